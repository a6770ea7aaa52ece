#include "core/counter.h"

#include <opencv2/core.hpp>

#include <chrono>
#include <map>
#include <locale>
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
  if (settings.referencePostprocess) postprocess.referenceStyle = true;
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

namespace {
// The network's heatmap, or with test-time augmentation the mean of the heatmaps of the image and its three
// flips, each flipped back (flip codes: 1 left-right, 0 top-bottom, -1 both).
cv::Mat networkHeatmap(const HeatmapPredictor& predictor, const cv::Mat& rgb, double diameter, bool augment) {
  cv::Mat sum = predictor.predict(rgb, diameter);
  if (!augment) return sum;
  for (const int code : {1, 0, -1}) {
    cv::Mat flipped, heatmap;
    cv::flip(rgb, flipped, code);
    cv::flip(predictor.predict(flipped, diameter), heatmap, code);
    sum += heatmap;
  }
  return sum / 4.0;
}

// The score map of the network (or the classical method) and the threshold it is cut at, at one assumed diameter.
struct Foreground {
  cv::Mat heatmap;
  double threshold = 0;
};

Foreground foregroundOf(const std::optional<HeatmapPredictor>& predictor, const CountSettings& settings,
                        const cv::Mat& rgb, double diameter) {
  if (predictor) return {networkHeatmap(*predictor, rgb, diameter, settings.testTimeAugmentation), *settings.threshold};
  ClassicalForeground classical = classicalForeground(rgb, diameter, settings.classical);
  return {classical.score, settings.threshold.value_or(classical.threshold)};
}
}  // namespace

ImageCount CellCounter::countRaw(const RawImage& raw) const {
  const auto start = std::chrono::steady_clock::now();
  const State& s = *state_;
  ImageCount result;
  result.path = raw.path;
  result.size = raw.pixels.size();
  result.bitDepth = raw.bitDepth();
  result.channels = raw.pixels.channels();
  result.rgb = normaliseToRgb(raw.pixels, s.normalisation);
  std::map<double, Foreground> byDiameter;  // each pass the estimate made, kept so that the count reuses it
  auto foregroundAt = [&](double diameter) -> const Foreground& {
    auto found = byDiameter.find(diameter);
    if (found != byDiameter.end()) return found->second;
    return byDiameter.emplace(diameter, foregroundOf(s.predictor, s.settings, result.rgb, diameter)).first->second;
  };
  result.cellDiameterPx = s.diameter;
  if (s.settings.automaticDiameter) {
    result.diameterEstimate = estimateCellDiameter(
        [&](double diameter) {
          const Foreground& f = foregroundAt(diameter);
          return detectObjects(f.heatmap, f.threshold, postprocess(diameter));
        },
        s.settings.diameterSearch);
    if (result.diameterEstimate->found()) result.cellDiameterPx = result.diameterEstimate->diameterPx;
  }
  result.postprocess = postprocess(result.cellDiameterPx);
  const Foreground& chosen = foregroundAt(result.cellDiameterPx);
  result.heatmap = chosen.heatmap;
  result.threshold = chosen.threshold;
  result.detection = detect(result, result.threshold);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

DiameterEstimate CellCounter::estimateDiameter(const cv::Mat& rgb) const {
  const State& s = *state_;
  return estimateCellDiameter(
      [&](double diameter) {
        const Foreground f = foregroundOf(s.predictor, s.settings, rgb, diameter);
        return detectObjects(f.heatmap, f.threshold, postprocess(diameter));
      },
      s.settings.diameterSearch);
}

cv::Mat CellCounter::normalisedImage(const std::string& path) const {
  return normaliseToRgb(loadImage(path, state_->settings.limits).pixels, state_->normalisation);
}

Detection CellCounter::detect(const ImageCount& image, double threshold) const {
  return detectObjects(image.heatmap, threshold, image.postprocess, intensityOf(image.rgb));
}

double CellCounter::cellDiameterPx() const { return state_->diameter; }
bool CellCounter::estimatesDiameter() const { return state_->settings.automaticDiameter; }
PostprocessSettings CellCounter::postprocess() const { return postprocess(state_->diameter); }
PostprocessSettings CellCounter::postprocess(double cellDiameterPx) const {
  return state_->postprocess.scaledTo(cellDiameterPx);
}
std::string CellCounter::reproducingOptions(double threshold) const {
  return reproducingOptions(threshold, state_->diameter);
}
// The diameter is always the one used, also when it was estimated: the row then reproduces without the estimate.
std::string CellCounter::reproducingOptions(double threshold, double cellDiameterPx) const {
  const CountSettings& s = state_->settings;
  std::ostringstream options;
  options.imbue(std::locale::classic());  // options are read back by the CLI: never "0,85"
  options.precision(6);
  if (state_->predictor) options << "--model " << (s.modelFile.empty() ? "?" : s.modelFile);
  else options << "--classical";
  options << " --diameter " << cellDiameterPx << " --threshold " << threshold;
  if (s.minObjectAreaPx) options << " --min-area " << *s.minObjectAreaPx;
  if (s.splitTouchingCells == false) options << " --no-split";
  if (s.referencePostprocess) options << " --reference-postprocess";
  if (s.testTimeAugmentation && state_->predictor) options << " --tta";
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
  row.options = reproducingOptions(threshold, cellDiameterPx);
}

bool CellCounter::usesNetwork() const { return state_->predictor.has_value(); }
const CountSettings& CellCounter::settings() const { return state_->settings; }

std::string CellCounter::methodDescription() const {
  if (state_->predictor) return state_->modelName + " on " + state_->predictor->deviceDescription();
  return std::string("classical (Gaussian blur + ") +
         (state_->settings.classical.method == AutoThreshold::Otsu ? "Otsu" : "triangle") + " threshold)";
}

}  // namespace fluocount
