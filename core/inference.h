#pragma once
// Image -> heatmap with a trained network: resampling to the model's cell diameter, tiling with overlap for large
// images (bounded memory, same result), CUDA when the linked LibTorch has it and a GPU is present.
#include "core/compute_device.h"
#include "core/model_file.h"

#include <opencv2/core.hpp>

#include <memory>
#include <optional>
#include <string>

namespace fluocount {

// The number type the network's activations are computed in. Float32 is exact (the same heatmap on every machine,
// to float rounding). BFloat16 keeps float32's range with an 8-bit mantissa: on CPUs with native bfloat16
// arithmetic (AVX512-BF16 or AMX) and on CUDA GPUs it runs the convolutions about twice as fast and halves the
// activations' memory, and the heatmap moves by a few thousandths (models/README.md measures what that does to
// counts). Weights stay float32 in the model; they are cast as each layer runs.
// Int8 (counting on a CPU only) runs the ResUnet blocks' k x k convolutions -- most of the arithmetic -- in 8-bit
// integers (core/int8_convolution.h): each tile's activations quantized to 7 bits for its own range, the weights
// to 8 bits per output channel, the sums exact; everything between the convolutions stays float32. About twice as
// fast as float32 on a CPU without AVX-512 (README, performance; models/README.md measures the counts).
enum class NetworkPrecision { Float32, BFloat16, Int8 };
std::string precisionName(NetworkPrecision precision);  // "float32", "bfloat16", "int8"
// Reads "float32"/"fp32", "bfloat16"/"bf16" or "int8"; throws std::invalid_argument on anything else.
NetworkPrecision parsePrecision(const std::string& text);
// Whether this CPU computes bfloat16 natively (AVX512-BF16 with AVX-512 BW/VL/DQ, as oneDNN needs). Elsewhere
// oneDNN would refuse or emulate it, slower than float32. The environment variable FLUOCOUNT_NO_BFLOAT16 makes
// any CPU count as one without.
bool cpuHasNativeBfloat16();
// Whether the network can run in bfloat16 where `preference` puts it: a CUDA GPU, or a CPU with native bfloat16.
bool bfloat16Available(DevicePreference preference);
// Whether the network can count in `precision` where `preference` puts it: float32 everywhere, bfloat16 as
// bfloat16Available says, int8 on a CPU that runs it (int8ConvolutionAvailable) and not where the network would
// run on a GPU.
bool precisionAvailable(NetworkPrecision precision, DevicePreference preference);
// The faster arithmetic this machine offers for counting (the app's "Faster network arithmetic"): bfloat16 where
// it is native, else int8 where it runs; nullopt where neither.
std::optional<NetworkPrecision> fasterPrecisionHere(DevicePreference preference);
// Throws std::runtime_error saying why, where neither the GPU in use nor the CPU computes bfloat16 natively; `task`
// ("count", "train") names what to do in float32 instead.
void requireNativeBfloat16(bool onGpu, const std::string& task);

struct InferenceSettings {
  DevicePreference device = DevicePreference::Automatic;
  int threads = 0;  // CPU threads for LibTorch; 0 = all cores
  // How an image (at network scale) is split, so that memory stays bounded and the cache is used well. Every
  // mode gives the same heatmap (to float rounding): tiles overlap by at least the network's reach.
  //  - at most maxWholePixels: one forward pass over the whole image;
  //  - at most maxStagedPixels: encoder and decoder in tiles of tileSide, the bottleneck over the whole image;
  //  - larger: overlapping blocks of about maxStagedPixels, each run staged (memory independent of image size).
  std::int64_t maxWholePixels = 0;
  std::int64_t maxStagedPixels = 6'000'000;
  int tileSide = 448;  // preferred; adjusted per image so that tiles split it evenly
  // BFloat16 on a CPU without native bfloat16, and Int8 on a GPU or where int8ConvolutionAvailable() says no, are
  // refused by HeatmapPredictor (std::runtime_error that says so).
  NetworkPrecision precision = NetworkPrecision::Float32;
};

// What the network would run on here, and why, for users: "CUDA GPU (1 device)", or "CPU (16 threads): no CUDA
// GPU found" / "...: this LibTorch was built without CUDA".
std::string computeDeviceStatus();

class HeatmapPredictor {
public:
  HeatmapPredictor(Model model, InferenceSettings settings = {});
  ~HeatmapPredictor();
  HeatmapPredictor(HeatmapPredictor&&) noexcept;
  HeatmapPredictor& operator=(HeatmapPredictor&&) noexcept;

  // rgb: normalised CV_32FC3. Returns the per-pixel cell probability (CV_32F) at the image's own size.
  cv::Mat predict(const cv::Mat& rgb, double cellDiameterPx) const;

  const ModelInfo& info() const;
  std::string deviceDescription() const;  // e.g. "CPU (2 threads)" or "CUDA GPU"
  int cpuThreads() const;
  bool onGpu() const;

private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace fluocount
