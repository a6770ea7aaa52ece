#include "core/inference.h"

#include "core/compute_device.h"
#include "core/torch_include.h"

#include "core/int8_convolution.h"
#include "core/networks.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <stdexcept>

namespace fluocount {

struct HeatmapPredictor::State {
  Model model;
  InferenceSettings settings;
  torch::Device device{torch::kCPU};
  torch::ScalarType activations = torch::kFloat32;  // the precision the network runs in
  std::string deviceName;
};

std::string precisionName(NetworkPrecision precision) {
  switch (precision) {
    case NetworkPrecision::BFloat16: return "bfloat16";
    case NetworkPrecision::Int8: return "int8";
    case NetworkPrecision::Float32: break;
  }
  return "float32";
}

NetworkPrecision parsePrecision(const std::string& text) {
  if (text == "float32" || text == "fp32") return NetworkPrecision::Float32;
  if (text == "bfloat16" || text == "bf16") return NetworkPrecision::BFloat16;
  if (text == "int8") return NetworkPrecision::Int8;
  throw std::invalid_argument("the network precision is float32, bfloat16 or int8, not '" + text + "'");
}

bool cpuHasNativeBfloat16() {
  if (std::getenv("FLUOCOUNT_NO_BFLOAT16")) return false;  // as if the CPU had none (tests, and users who want to)
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#else
  return false;
#endif
}

namespace {

int roundDownTo(int value, int multiple) { return value / multiple * multiple; }

}  // namespace

bool bfloat16Available(DevicePreference preference) {
  return cpuHasNativeBfloat16() || describeComputeDevice(preference == DevicePreference::Cpu).gpu;
}

bool precisionAvailable(NetworkPrecision precision, DevicePreference preference) {
  switch (precision) {
    case NetworkPrecision::BFloat16: return bfloat16Available(preference);
    case NetworkPrecision::Int8:
      return int8ConvolutionAvailable() &&
             (preference == DevicePreference::Cpu || !describeComputeDevice(/*cpuOnly=*/false).gpu);
    case NetworkPrecision::Float32: break;
  }
  return true;
}

std::optional<NetworkPrecision> fasterPrecisionHere(DevicePreference preference) {
  for (const NetworkPrecision faster : {NetworkPrecision::BFloat16, NetworkPrecision::Int8})
    if (precisionAvailable(faster, preference)) return faster;
  return std::nullopt;
}

void requireNativeBfloat16(bool onGpu, const std::string& task) {
  if (onGpu || cpuHasNativeBfloat16()) return;
  throw std::runtime_error(
      "bfloat16 needs a CPU with AVX512-BF16 (or a CUDA GPU); this one has none, and emulating it "
      "would be slower than float32: " +
      task + " in float32");
}

HeatmapPredictor::HeatmapPredictor(Model model, InferenceSettings settings) : state_(std::make_unique<State>()) {
  state_->model = std::move(model);
  state_->settings = settings;
  const DeviceInUse device = useComputeDevice(settings.device, settings.threads);
  state_->device = device.gpu ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  state_->deviceName = device.description;
  if (settings.precision == NetworkPrecision::BFloat16) {
    requireNativeBfloat16(device.gpu, "count");
    state_->activations = torch::kBFloat16;
    state_->deviceName += ", bfloat16";
  }
  if (settings.precision == NetworkPrecision::Int8) {
    std::string whyNot;
    if (device.gpu)
      throw std::runtime_error(
          "int8 counting runs on the CPU: on a GPU count in float32 or bfloat16 (or choose "
          "the CPU)");
    if (!int8ConvolutionAvailable(&whyNot)) throw std::runtime_error(whyNot + ": count in float32");
    // Only the ResUnet blocks have int8 convolutions; a Unet would run in float32 while saying int8.
    const Architecture architecture = state_->model.network->architecture();
    if (architecture != Architecture::CResUnet && architecture != Architecture::ResUnet)
      throw std::runtime_error("int8 runs the c-ResUnet and ResUnet networks; this model is a " +
                               architectureName(architecture) + ": count in float32");
    state_->deviceName += ", int8";
  }
  state_->model.network->to(state_->device);
  state_->model.network->eval();
}

HeatmapPredictor::~HeatmapPredictor() = default;
HeatmapPredictor::HeatmapPredictor(HeatmapPredictor&&) noexcept = default;
HeatmapPredictor& HeatmapPredictor::operator=(HeatmapPredictor&&) noexcept = default;

const ModelInfo& HeatmapPredictor::info() const { return state_->model.info; }
std::string HeatmapPredictor::deviceDescription() const { return state_->deviceName; }
int HeatmapPredictor::cpuThreads() const { return at::get_num_threads(); }
bool HeatmapPredictor::onGpu() const { return state_->device.is_cuda(); }

std::string computeDeviceStatus() { return describeComputeDevice().summary(); }

namespace {

// The image as a 1x3xHxW tensor over the Mat's own pixels, which it keeps alive: no copy. Interleaved RGB is
// the channels-last layout the CPU network runs in, so for float32 on the CPU the network reads the slide itself
// (a copy here and another to channels-last were 46 MB of a 1600x1200 slide's peak memory). The network never
// writes to its input (test_inference pins that the caller's image is left as it was).
torch::Tensor toTensor(const cv::Mat& rgb) {
  const cv::Mat pixels = rgb.isContinuous() ? rgb : rgb.clone();
  return torch::from_blob(
             const_cast<float*>(pixels.ptr<float>()), {1, pixels.rows, pixels.cols, 3}, [pixels](void*) {},
             torch::kFloat32)
      .permute({0, 3, 1, 2});
}

cv::Mat toMat(const torch::Tensor& probabilities) {
  const auto cpu = probabilities.to(torch::kCPU).contiguous();
  cv::Mat out(static_cast<int>(cpu.size(2)), static_cast<int>(cpu.size(3)), CV_32F);
  std::memcpy(out.ptr<float>(), cpu.data_ptr<float>(), out.total() * sizeof(float));
  return out;
}

// Reflect-pads bottom and right to a multiple of `multiple` (replicate when the image is too small to reflect).
cv::Mat padToMultiple(const cv::Mat& image, int multiple) {
  const int bottom = (multiple - image.rows % multiple) % multiple,
            right = (multiple - image.cols % multiple) % multiple;
  if (bottom == 0 && right == 0) return image;
  const int border = bottom < image.rows && right < image.cols ? cv::BORDER_REFLECT_101 : cv::BORDER_REPLICATE;
  cv::Mat padded;
  cv::copyMakeBorder(image, padded, 0, bottom, 0, right, border);
  return padded;
}

int roundUpTo(int value, int multiple) { return (value + multiple - 1) / multiple * multiple; }

// One tile along one axis: the window the network sees and the core of it that is kept.
struct AxisTile {
  int coreStart, coreEnd, windowStart, windowLength;
};

// Every window has the same length (so LibTorch reuses its buffers and oneDNN its kernels) and starts on a
// multiple of the network's size multiple (so it sees the whole image's pooling grid). A core stays `margin` away
// from its window's edges unless that edge is the image's border; with a margin at least the network's reach,
// every core is what a whole-image pass would give.
std::vector<AxisTile> axisTiles(int length, int window, int margin) {
  if (length <= window) return {{0, length, 0, length}};
  std::vector<AxisTile> tiles;
  const int core = window - 2 * margin;
  for (int start = 0; start < length; start += core)
    tiles.push_back({start, std::min(start + core, length), std::clamp(start - margin, 0, length - window), window});
  return tiles;
}

// The window closest to `preferred` whose cores split `length` evenly, so that no tile is mostly overlap.
int evenWindow(int length, int preferred, int margin, int multiple) {
  const int tiles = std::max(1, (length + (preferred - 2 * margin) - 1) / (preferred - 2 * margin));
  return std::min(length, roundUpTo((length + tiles - 1) / tiles + 2 * margin, multiple));
}

struct Tile {
  cv::Rect window, core;  // in full-resolution input pixels
};

std::vector<Tile> tilesOf(cv::Size size, int window, int margin, int multiple) {
  std::vector<Tile> tiles;
  for (const AxisTile& y : axisTiles(size.height, evenWindow(size.height, window, margin, multiple), margin))
    for (const AxisTile& x : axisTiles(size.width, evenWindow(size.width, window, margin, multiple), margin))
      tiles.push_back({cv::Rect(x.windowStart, y.windowStart, x.windowLength, y.windowLength),
                       cv::Rect(x.coreStart, y.coreStart, x.coreEnd - x.coreStart, y.coreEnd - y.coreStart)});
  return tiles;
}

// The part of a tensor (N x C x H x W) under `rect`, given in full-resolution pixels, at 1/2^level resolution.
torch::Tensor region(const torch::Tensor& t, const cv::Rect& rect, int level) {
  return t.narrow(2, rect.y >> level, rect.height >> level).narrow(3, rect.x >> level, rect.width >> level);
}

torch::Tensor networkInput(const cv::Mat& padded, const torch::Device& device, torch::ScalarType activations) {
  return toTensor(padded).to(device, activations).contiguous(activationLayout(device));
}

// Probabilities in float32 whatever the precision the network ran in.
torch::Tensor probabilitiesOf(const torch::Tensor& logits) { return torch::sigmoid(logits.to(torch::kFloat32)); }

void keepCore(cv::Mat& heatmap, const torch::Tensor& logits, const Tile& tile) {
  const cv::Mat probabilities = toMat(probabilitiesOf(logits));
  probabilities(tile.core - tile.window.tl()).copyTo(heatmap(tile.core));
}

// Encoder in tiles, bottleneck over the whole image, decoder in tiles. The full-resolution stages are the
// expensive and memory-hungry ones; their reach is short, so their tiles need only small margins.
cv::Mat predictStaged(SegmentationNetworkImpl& network, const cv::Mat& padded, const torch::Device& device,
                      torch::ScalarType activations, int window) {
  const int levels = network.levels(), multiple = network.sizeMultiple();
  const auto reach = network.reach();
  const torch::Tensor input = networkInput(padded, device, activations);

  std::vector<torch::Tensor> skips;
  torch::Tensor deepest;
  for (const Tile& tile : tilesOf(padded.size(), window, roundUpTo(reach.encoder, multiple), multiple)) {
    const auto features = network.encode(region(input, tile.window, 0));
    if (skips.empty()) {
      for (int l = 0; l < levels; ++l)
        skips.push_back(torch::empty({1, features.skips[l].size(1), padded.rows >> l, padded.cols >> l},
                                     features.skips[l].options().memory_format(activationLayout(device))));
      deepest = torch::empty({1, features.deepest.size(1), padded.rows >> levels, padded.cols >> levels},
                             features.deepest.options().memory_format(activationLayout(device)));
    }
    const cv::Rect inWindow = tile.core - tile.window.tl();
    for (int l = 0; l < levels; ++l) region(skips[l], tile.core, l).copy_(region(features.skips[l], inWindow, l));
    region(deepest, tile.core, levels).copy_(region(features.deepest, inWindow, levels));
  }

  const torch::Tensor bottom = network.bottleneck(deepest);
  deepest = torch::Tensor();

  cv::Mat heatmap(padded.size(), CV_32F);
  for (const Tile& tile : tilesOf(padded.size(), window, roundUpTo(reach.decoder, multiple), multiple)) {
    std::vector<torch::Tensor> tileSkips;
    for (int l = 0; l < levels; ++l) tileSkips.push_back(region(skips[l], tile.window, l));
    keepCore(heatmap, network.decode(region(bottom, tile.window, levels), tileSkips), tile);
  }
  return heatmap;
}

// Large images: overlapping blocks, each run staged, overlapping by the whole network's reach. Memory depends on
// the block size only, whatever the slide's size.
cv::Mat predictInBlocks(SegmentationNetworkImpl& network, const cv::Mat& padded, const torch::Device& device,
                        torch::ScalarType activations, int window, std::int64_t blockPixels) {
  const int multiple = network.sizeMultiple();
  const int margin = roundUpTo(network.reach().total(), multiple);
  const int blockSide = std::max(4 * margin, roundDownTo(static_cast<int>(std::sqrt(double(blockPixels))), multiple));
  cv::Mat heatmap(padded.size(), CV_32F);
  for (const Tile& block : tilesOf(padded.size(), blockSide, margin, multiple)) {
    const cv::Mat probabilities = predictStaged(network, padded(block.window), device, activations, window);
    probabilities(block.core - block.window.tl()).copyTo(heatmap(block.core));
  }
  return heatmap;
}

}  // namespace

cv::Mat HeatmapPredictor::predict(const cv::Mat& rgb, double cellDiameterPx) const {
  CV_Assert(rgb.type() == CV_32FC3);
  c10::InferenceMode inferenceMode;
  std::optional<Int8InferenceGuard> int8;
  if (state_->settings.precision == NetworkPrecision::Int8) int8.emplace();
  auto& network = *state_->model.network;
  const InferenceSettings& s = state_->settings;
  const torch::Device& device = state_->device;

  // Resample so that cells have the diameter the network was trained at.
  const double scale = state_->model.info.canonicalDiameterPx / cellDiameterPx;
  cv::Mat scaled = rgb;
  if (std::abs(scale - 1.0) > 1e-3) {
    const cv::Size size(std::max(1, int(std::lround(rgb.cols * scale))),
                        std::max(1, int(std::lround(rgb.rows * scale))));
    cv::resize(rgb, scaled, size, 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  const int multiple = network.sizeMultiple();
  const cv::Mat padded = padToMultiple(scaled, multiple);
  const int window = std::max(8 * multiple, roundDownTo(s.tileSide, multiple));
  const std::int64_t pixels = std::int64_t(padded.total());

  cv::Mat heatmap;
  if (pixels <= s.maxWholePixels || (padded.cols <= window && padded.rows <= window))
    heatmap = toMat(probabilitiesOf(network.forward(networkInput(padded, device, state_->activations))));
  else if (pixels <= s.maxStagedPixels)
    heatmap = predictStaged(network, padded, device, state_->activations, window);
  else
    heatmap = predictInBlocks(network, padded, device, state_->activations, window,
                              std::max<std::int64_t>(s.maxStagedPixels, 1 << 20));

  heatmap = heatmap(cv::Rect(0, 0, scaled.cols, scaled.rows));
  if (heatmap.size() != rgb.size())
    cv::resize(heatmap, heatmap, rgb.size(), 0, 0, cv::INTER_LINEAR);
  else if (!heatmap.isContinuous())  // cropped from the padding's columns
    heatmap = heatmap.clone();
  return heatmap;
}

}  // namespace fluocount
