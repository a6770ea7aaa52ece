#include "core/counter.h"

#include <chrono>
#include <sstream>

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

namespace {
PostprocessSettings withOverrides(PostprocessSettings postprocess, const CountSettings& settings) {
  if (settings.minObjectAreaPx) postprocess.minObjectAreaPx = *settings.minObjectAreaPx;
  if (settings.splitTouchingCells) postprocess.splitTouchingCells = *settings.splitTouchingCells;
  return postprocess;
}
}  // namespace

CellCounter CellCounter::withModel(Model model, const CountSettings& settings) {
  CellCounter counter;
  State& s = *counter.state_;
  s.settings = settings;
  s.normalisation = model.info.normalisation;
  s.postprocess = withOverrides(model.info.postprocess, settings);
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
  s.postprocess = withOverrides(settings.classicalPostprocess, settings);
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
  result.postprocess = postprocess();
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

cv::Mat CellCounter::normalisedImage(const std::string& path) const {
  return normaliseToRgb(loadImage(path, state_->settings.limits).pixels, state_->normalisation);
}

Detection CellCounter::detect(const ImageCount& image, double threshold) const {
  return detectObjects(image.heatmap, threshold, image.postprocess, intensityOf(image.rgb));
}

double CellCounter::cellDiameterPx() const { return state_->diameter; }
PostprocessSettings CellCounter::postprocess() const { return state_->postprocess.scaledTo(state_->diameter); }
std::string CellCounter::reproducingOptions(double threshold) const {
  const CountSettings& s = state_->settings;
  std::ostringstream options;
  options.precision(6);
  if (state_->predictor) options << "--model " << (s.modelFile.empty() ? "?" : s.modelFile);
  else options << "--classical";
  options << " --diameter " << state_->diameter << " --threshold " << threshold;
  if (s.minObjectAreaPx) options << " --min-area " << *s.minObjectAreaPx;
  if (s.splitTouchingCells == false) options << " --no-split";
  return options.str();
}

CountRow CellCounter::rowFor(const std::string& file) const {
  CountRow row;
  row.file = file;
  row.method = methodDescription();
  row.model = usesNetwork() ? state_->settings.modelFile : "classical";
  return row;
}

void CellCounter::recordResult(CountRow& row, const Detection& detection, cv::Size size, double threshold,
                               double cellDiameterPx, double seconds) const {
  row.count = detection.count();
  row.width = size.width;
  row.height = size.height;
  row.threshold = threshold;
  row.cellDiameterPx = cellDiameterPx;
  row.seconds = seconds;
  row.options = reproducingOptions(threshold);
}

bool CellCounter::usesNetwork() const { return state_->predictor.has_value(); }
const CountSettings& CellCounter::settings() const { return state_->settings; }

std::string CellCounter::methodDescription() const {
  if (state_->predictor) return state_->modelName + " on " + state_->predictor->deviceDescription();
  return std::string("classical (Gaussian blur + ") +
         (state_->settings.classical.method == AutoThreshold::Otsu ? "Otsu" : "triangle") + " threshold)";
}

}  // namespace fluocount
