#include "core/inference.h"

#include "core/networks.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <thread>

namespace fluocount {

struct HeatmapPredictor::State {
  Model model;
  InferenceSettings settings;
  torch::Device device{torch::kCPU};
  std::string deviceName;
};

namespace {

torch::Device chooseDevice(DevicePreference preference) {
  if (preference == DevicePreference::Cpu) return torch::kCPU;
  const bool cuda = torch::cuda::is_available();
  if (preference == DevicePreference::Cuda && !cuda)
    throw std::runtime_error("CUDA was requested but this LibTorch has no CUDA support or no GPU is present");
  return cuda ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
}

int roundDownTo(int value, int multiple) { return value / multiple * multiple; }

}  // namespace

HeatmapPredictor::HeatmapPredictor(Model model, InferenceSettings settings) : state_(std::make_unique<State>()) {
  state_->model = std::move(model);
  state_->settings = settings;
  state_->device = chooseDevice(settings.device);
  if (state_->device.is_cuda()) {
    state_->deviceName = "CUDA GPU";
  } else {
    const int threads = settings.threads > 0 ? settings.threads
                                             : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    at::set_num_threads(threads);  // LibTorch otherwise uses a single thread
    state_->deviceName = "CPU (" + std::to_string(at::get_num_threads()) + " threads)";
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

namespace {

torch::Tensor toTensor(const cv::Mat& rgb) {
  const cv::Mat input = rgb.isContinuous() ? rgb : rgb.clone();
  return torch::from_blob(const_cast<float*>(input.ptr<float>()), {1, input.rows, input.cols, 3}, torch::kFloat32)
      .permute({0, 3, 1, 2})
      .contiguous();
}

cv::Mat toMat(const torch::Tensor& probabilities) {
  const auto cpu = probabilities.to(torch::kCPU).contiguous();
  cv::Mat out(static_cast<int>(cpu.size(2)), static_cast<int>(cpu.size(3)), CV_32F);
  std::memcpy(out.ptr<float>(), cpu.data_ptr<float>(), out.total() * sizeof(float));
  return out;
}

// Reflect-pads bottom and right to a multiple of `multiple` (replicate when the image is too small to reflect).
cv::Mat padToMultiple(const cv::Mat& image, int multiple) {
  const int bottom = (multiple - image.rows % multiple) % multiple, right = (multiple - image.cols % multiple) % multiple;
  if (bottom == 0 && right == 0) return image;
  const int border = bottom < image.rows && right < image.cols ? cv::BORDER_REFLECT_101 : cv::BORDER_REPLICATE;
  cv::Mat padded;
  cv::copyMakeBorder(image, padded, 0, bottom, 0, right, border);
  return padded;
}

// Start of each tile's kept core along one axis, and where that tile's window begins. Every window has the same
// size (so LibTorch reuses its buffers and oneDNN its kernels) and starts on a multiple of the network's size
// multiple (so it sees the whole image's pooling grid). A core is at least `margin` away from its window's edges
// unless that edge is the image's border, so with a margin beyond the receptive field every core is what a
// whole-image pass would give.
std::vector<std::pair<int, int>> tileLayout(int length, int window, int margin) {
  std::vector<std::pair<int, int>> layout;
  const int core = window - 2 * margin;
  for (int start = 0; start < length; start += core)
    layout.emplace_back(start, std::clamp(start - margin, 0, length - window));
  return layout;
}

}  // namespace

cv::Mat HeatmapPredictor::predict(const cv::Mat& rgb, double cellDiameterPx) const {
  CV_Assert(rgb.type() == CV_32FC3);
  c10::InferenceMode inferenceMode;
  auto& network = *state_->model.network;
  const InferenceSettings& s = state_->settings;
  const torch::Device& device = state_->device;

  // Resample so that cells have the diameter the network was trained at.
  const double scale = state_->model.info.canonicalDiameterPx / cellDiameterPx;
  cv::Mat scaled = rgb;
  if (std::abs(scale - 1.0) > 1e-3) {
    const cv::Size size(std::max(1, int(std::lround(rgb.cols * scale))), std::max(1, int(std::lround(rgb.rows * scale))));
    cv::resize(rgb, scaled, size, 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  const int multiple = network.sizeMultiple();
  const cv::Mat padded = padToMultiple(scaled, multiple);
  const int window = std::max(multiple, roundDownTo(s.tileSide, multiple));
  const int margin = std::min(roundDownTo(s.tileMargin + multiple - 1, multiple), (window - multiple) / 2);

  cv::Mat heatmap;
  const bool whole = std::int64_t(scaled.total()) <= s.maxUntiledPixels || (padded.cols <= window && padded.rows <= window);
  if (whole) {
    heatmap = toMat(torch::sigmoid(network.forward(toTensor(padded).to(device))));
  } else {
    heatmap.create(padded.size(), CV_32F);
    const int windowWidth = std::min(window, padded.cols), windowHeight = std::min(window, padded.rows);
    for (const auto& [coreY, windowY] : tileLayout(padded.rows, windowHeight, windowHeight < window ? 0 : margin)) {
      for (const auto& [coreX, windowX] : tileLayout(padded.cols, windowWidth, windowWidth < window ? 0 : margin)) {
        const cv::Rect windowRect(windowX, windowY, windowWidth, windowHeight);
        const cv::Rect kept = cv::Rect(coreX, coreY, windowWidth - 2 * (windowWidth < window ? 0 : margin),
                                       windowHeight - 2 * (windowHeight < window ? 0 : margin)) &
                              cv::Rect(0, 0, padded.cols, padded.rows);
        const cv::Mat tile = toMat(torch::sigmoid(network.forward(toTensor(padded(windowRect)).to(device))));
        tile(kept - windowRect.tl()).copyTo(heatmap(kept));
      }
    }
  }
  heatmap = heatmap(cv::Rect(0, 0, scaled.cols, scaled.rows));
  if (heatmap.size() != rgb.size()) cv::resize(heatmap, heatmap, rgb.size(), 0, 0, cv::INTER_LINEAR);
  else heatmap = heatmap.clone();
  return heatmap;
}

}  // namespace fluocount
