#pragma once
// Image -> heatmap with a trained network: resampling to the model's cell diameter, tiling with overlap for large
// images (bounded memory, same result), CUDA when the linked LibTorch has it and a GPU is present.
#include "core/model_file.h"

#include <opencv2/core.hpp>

#include <memory>
#include <string>

namespace fluocount {

enum class DevicePreference { Automatic, Cpu, Cuda };

struct InferenceSettings {
  DevicePreference device = DevicePreference::Automatic;
  int threads = 0;                          // CPU threads for LibTorch; 0 = all cores
  // Images with more pixels than this (at network scale) are processed in tiles, which bounds memory.
  std::int64_t maxUntiledPixels = 2'500'000;
  int tileSide = 1024;   // side of every tile (network input), network-scale pixels
  int tileMargin = 96;   // context on each side of a tile's kept core, discarded after the forward pass
};

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

private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace fluocount
