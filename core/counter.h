#pragma once
// The counting pipeline that the CLI and the GUI both call, so that their counts agree to the object:
// load -> normalise -> heatmap (network or classical) -> threshold -> post-process -> measured objects.
#include "core/classical.h"
#include "core/image_io.h"
#include "core/inference.h"
#include "core/postprocess.h"

#include <memory>
#include <optional>
#include <string>

namespace fluocount {

struct CountSettings {
  double cellDiameterPx = 0;         // 0: the model's default cell diameter (50 px for the classical method)
  std::optional<double> threshold;   // empty: the model's threshold (classical: its automatic one)
  ImageLimits limits;
  InferenceSettings inference;
  ClassicalSettings classical;
  PostprocessSettings classicalPostprocess;  // the network's come from its model file
};

struct ImageCount {
  std::string path;
  cv::Size size;
  int bitDepth = 8;
  int channels = 3;
  cv::Mat rgb;         // normalised CV_32FC3
  cv::Mat heatmap;     // CV_32F in [0,1]
  double threshold = 0;
  double cellDiameterPx = 0;
  PostprocessSettings postprocess;  // scaled to cellDiameterPx
  Detection detection;
  double seconds = 0;
};

class CellCounter {
public:
  // Counting with a trained network.
  static CellCounter withModel(Model model, const CountSettings& settings);
  // The classical method (no network).
  static CellCounter classical(const CountSettings& settings);

  ~CellCounter();
  CellCounter(CellCounter&&) noexcept;
  CellCounter& operator=(CellCounter&&) noexcept;

  // Throws ImageError for unreadable images.
  ImageCount count(const std::string& path) const;
  ImageCount countRaw(const RawImage& raw) const;

  // Re-thresholds an already computed heatmap (the GUI's slider).
  Detection detect(const ImageCount& image, double threshold) const;

  double cellDiameterPx() const;
  std::string methodDescription() const;  // "c-resunet model <file> on CPU (2 threads)" or "classical (Otsu)"
  bool usesNetwork() const;
  const CountSettings& settings() const;

private:
  CellCounter();
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace fluocount
