#include "core/counter.h"

#include <chrono>

namespace fluocount {

struct CellCounter::State {
  CountSettings settings;
  std::optional<HeatmapPredictor> predictor;
  NormalisationSettings normalisation;
  PostprocessSettings postprocess;  // at its reference diameter
  double diameter = 50;
  std::string modelName;
};

CellCounter::CellCounter() : state_(std::make_unique<State>()) {}
CellCounter::~CellCounter() = default;
CellCounter::CellCounter(CellCounter&&) noexcept = default;
CellCounter& CellCounter::operator=(CellCounter&&) noexcept = default;

CellCounter CellCounter::withModel(Model model, const CountSettings& settings) {
  CellCounter counter;
  State& s = *counter.state_;
  s.settings = settings;
  s.normalisation = model.info.normalisation;
  s.postprocess = model.info.postprocess;
  s.diameter = settings.cellDiameterPx > 0 ? settings.cellDiameterPx : model.info.defaultCellDiameterPx;
  s.modelName = architectureName(model.info.architecture);
  if (!settings.threshold) s.settings.threshold = model.info.threshold;
  s.predictor.emplace(std::move(model), settings.inference);
  return counter;
}

CellCounter CellCounter::classical(const CountSettings& settings) {
  CellCounter counter;
  State& s = *counter.state_;
  s.settings = settings;
  s.postprocess = settings.classicalPostprocess;
  s.diameter = settings.cellDiameterPx > 0 ? settings.cellDiameterPx : 50.0;
  return counter;
}

ImageCount CellCounter::count(const std::string& path) const { return countRaw(loadImage(path, state_->settings.limits)); }

ImageCount CellCounter::countRaw(const RawImage& raw) const {
  const auto start = std::chrono::steady_clock::now();
  const State& s = *state_;
  ImageCount result;
  result.path = raw.path;
  result.size = raw.pixels.size();
  result.bitDepth = raw.bitDepth();
  result.channels = raw.pixels.channels();
  result.rgb = normaliseToRgb(raw.pixels, s.normalisation);
  result.cellDiameterPx = s.diameter;
  result.postprocess = s.postprocess.scaledTo(s.diameter);
  if (s.predictor) {
    result.heatmap = s.predictor->predict(result.rgb, s.diameter);
    result.threshold = *s.settings.threshold;
  } else {
    const ClassicalForeground foreground = classicalForeground(result.rgb, s.diameter, s.settings.classical);
    result.heatmap = foreground.score;
    result.threshold = s.settings.threshold.value_or(foreground.threshold);
  }
  result.detection = detect(result, result.threshold);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

Detection CellCounter::detect(const ImageCount& image, double threshold) const {
  return detectObjects(image.heatmap, threshold, image.postprocess, intensityOf(image.rgb));
}

double CellCounter::cellDiameterPx() const { return state_->diameter; }
bool CellCounter::usesNetwork() const { return state_->predictor.has_value(); }
const CountSettings& CellCounter::settings() const { return state_->settings; }

std::string CellCounter::methodDescription() const {
  if (state_->predictor) return state_->modelName + " on " + state_->predictor->deviceDescription();
  return std::string("classical (Gaussian blur + ") +
         (state_->settings.classical.method == AutoThreshold::Otsu ? "Otsu" : "triangle") + " threshold)";
}

}  // namespace fluocount
