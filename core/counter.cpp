#include "core/counter.h"

#include <opencv2/core.hpp>

#include "core/numeric_locale.h"
#include "core/sha256.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <locale>
#include <sstream>
#include <thread>

namespace fluocount {

struct CellCounter::State {
  CountSettings settings;
  std::optional<HeatmapPredictor> predictor;
  NormalisationSettings normalisation;
  PostprocessSettings postprocess;  // at its reference diameter
  double diameter = 50;
  std::string modelName;
  std::string modelSha256;      // of the model file's bytes (empty for the classical method)
  double modelThreshold = 0.5;  // the network's own, whatever threshold the count is at
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

namespace {
const std::pair<DiameterSource, const char*> kDiameterSourceNames[] = {
    {DiameterSource::Default, "default"},
    {DiameterSource::Given, "given"},
    {DiameterSource::GivenInMicrometres, "given in um"},
    {DiameterSource::Estimated, "estimated"},
    {DiameterSource::NotEstimated, "not estimated"},
    {DiameterSource::MedianOfOthers, "median of others"},
};
}  // namespace

std::string diameterSourceName(DiameterSource source) {
  for (const auto& [s, name] : kDiameterSourceNames)
    if (s == source) return name;
  return {};
}

std::optional<DiameterSource> diameterSourceNamed(const std::string& name) {
  for (const auto& [source, n] : kDiameterSourceNames)
    if (name == n) return source;
  return std::nullopt;
}

CellCounter CellCounter::withModel(Model model, const CountSettings& settings) {
  CellCounter counter;
  State& s = *counter.state_;
  s.settings = settings;
  s.normalisation = model.info.normalisation;
  s.postprocess = withOverrides(model.info.postprocess, settings);
  s.diameter = settings.cellDiameterPx > 0 ? settings.cellDiameterPx : model.info.defaultCellDiameterPx;
  s.modelName = architectureName(model.info.architecture);
  s.modelSha256 = model.sha256;
  s.modelThreshold = model.info.threshold;
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

std::optional<std::string> modelFileFor(const CounterChoice& choice, const std::optional<std::string>& bundledModel) {
  if (choice.classical) return std::nullopt;
  if (!choice.modelFile.empty()) return choice.modelFile;
  return bundledModel;
}

CellCounter chooseCounter(const CounterChoice& choice, const CountSettings& settings,
                          const std::optional<std::string>& bundledModel, std::string* note) {
  const std::optional<std::string> modelFile = modelFileFor(choice, bundledModel);
  if (!modelFile) {
    if (note && !choice.classical) *note = "no bundled model found; counting with the classical method";
    return CellCounter::classical(settings);
  }
  CountSettings withModelFile = settings;
  withModelFile.modelFile = *modelFile;
  return CellCounter::withModel(loadModel(*modelFile), withModelFile);
}

ImageCount CellCounter::count(const std::string& path, std::optional<double> othersMedianPx) const {
  return countRaw(loadImage(path, state_->settings.limits), othersMedianPx);
}

std::optional<SecondPass> secondPassOf(const std::vector<std::optional<CountedDiameter>>& counted) {
  std::vector<DiameterEstimate> estimates;
  int cells = 0;
  for (const auto& image : counted)
    if (image && image->source == DiameterSource::Estimated) {
      estimates.push_back({image->diameterPx, 1.0, {}});
      cells += image->cells;
    }
  if (cells < kCellsForTheMedian) return std::nullopt;
  SecondPass pass;
  pass.diameterPx = folderDiameter(estimates);
  for (std::size_t i = 0; i < counted.size(); ++i) {
    const auto& image = counted[i];
    if (!image) continue;
    const bool atAnotherMedian =
        image->source == DiameterSource::MedianOfOthers && std::abs(image->diameterPx - pass.diameterPx) > 1e-6;
    if (image->source == DiameterSource::NotEstimated || atAnotherMedian) pass.images.push_back(i);
  }
  if (pass.images.empty()) return std::nullopt;
  return pass;
}

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

// The score map of the network (or the classical method) at one assumed diameter, the threshold the count cuts it
// at, and the method's own threshold (the model's; the classical method's automatic one), at which the diameter is
// estimated: the estimate does not follow the user's threshold, as the app's does not follow its slider.
struct Foreground {
  cv::Mat heatmap;
  double threshold = 0;
  double ownThreshold = 0;
};

Foreground foregroundOf(const std::optional<HeatmapPredictor>& predictor, const CountSettings& settings,
                        double modelThreshold, const cv::Mat& rgb, double diameter) {
  if (predictor)
    return {networkHeatmap(*predictor, rgb, diameter, settings.testTimeAugmentation), *settings.threshold,
            modelThreshold};
  ClassicalForeground classical = classicalForeground(rgb, diameter, settings.classical);
  return {classical.score, settings.threshold.value_or(classical.threshold), classical.threshold};
}
}  // namespace

// What the diameter search's counter detects at an assumed diameter, on a window of the image.
Detection CellCounter::detectInWindow(const cv::Mat& rgb, const cv::Rect& window, double diameter) const {
  const State& s = *state_;
  const cv::Mat part = window == cv::Rect(0, 0, rgb.cols, rgb.rows) ? rgb : rgb(window).clone();
  const Foreground f = foregroundOf(s.predictor, s.settings, s.modelThreshold, part, diameter);
  return detectObjects(f.heatmap, f.ownThreshold, postprocess(diameter));
}

std::vector<std::string> CellCounter::notesOn(const RawImage& raw) const {
  const CountSettings& settings = state_->settings;
  std::vector<std::string> notes = raw.notes;
  if (settings.pixelSizeUm && raw.pixelSize && std::abs(raw.pixelSize->micrometres - *settings.pixelSizeUm) > 1e-9)
    notes.push_back(raw.pixelSize->source + "'s " + fixedDecimal(raw.pixelSize->micrometres, 4) +
                    " \xC2\xB5m per pixel replaced by the " + fixedDecimal(*settings.pixelSizeUm, 4) + " given");
  return notes;
}

ImageFacts CellCounter::factsOf(const RawImage& raw) const {
  const CountSettings& settings = state_->settings;
  ImageFacts facts{raw.path, raw.bitDepth(), raw.channels, raw.channelNames, raw.pixelSize, notesOn(raw)};
  facts.pixelSize = pixelSizeOf(raw);
  checkPositivityRules(settings.positivity, static_cast<int>(raw.channels.size()), raw.bitDepth(), raw.path);
  return facts;
}

std::optional<PixelSize> CellCounter::pixelSizeOf(const RawImage& raw) const {
  if (state_->settings.pixelSizeUm) return PixelSize{*state_->settings.pixelSizeUm, "given"};
  return raw.pixelSize;
}

void CellCounter::measureChannels(Detection& detection, const ImageFacts& facts) const {
  if (!facts.channels.empty() && facts.channels.front().size() == detection.labels.size())
    measureChannelMeans(detection, facts.channels);
}

std::vector<std::string> CellCounter::markerColumns() const { return markerColumnNames(state_->settings.positivity); }

cv::Mat CellCounter::normalisedImage(const RawImage& raw) const {
  return normaliseToRgb(selectChannels(raw, state_->settings.channels), state_->normalisation);
}

cv::Mat CellCounter::seenChannels(const RawImage& raw) const {
  return rawRgb(selectChannels(raw, state_->settings.channels));
}

std::pair<double, double> CellCounter::normalisationRange(const cv::Mat& seen) const {
  return fluocount::normalisationRange(seen, state_->normalisation);
}

namespace {
double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
}  // namespace

ImageCount CellCounter::countRaw(const RawImage& raw, std::optional<double> othersMedianPx) const {
  ImageCount result = prepareCount(raw);
  computeHeatmap(result, othersMedianPx);
  finishCount(result);
  return result;
}

ImageCount CellCounter::prepareCount(const RawImage& raw) const {
  const auto start = std::chrono::steady_clock::now();
  const State& s = *state_;
  ImageCount result;
  result.path = raw.path;
  result.size = raw.pixels.size();
  result.bitDepth = raw.bitDepth();
  result.channels = static_cast<int>(raw.channels.size());
  result.facts = factsOf(raw);
  result.rgb = normalisedImage(raw);
  result.cellDiameterPx = s.diameter;
  result.diameterSource = s.settings.cellDiameterPx > 0 ? DiameterSource::Given : DiameterSource::Default;
  if (s.settings.cellDiameterUm) {
    result.diameterSource = DiameterSource::GivenInMicrometres;
    if (!result.facts.pixelSize)
      throw ImageError(raw.path +
                       ": the cell diameter is given in \xC2\xB5m, but the image declares no pixel size "
                       "(give one with --pixel-size, or the diameter in pixels)");
    result.cellDiameterPx = *s.settings.cellDiameterUm / result.facts.pixelSize->micrometres;
    if (result.cellDiameterPx < 2 || result.cellDiameterPx > 2000)
      throw ImageError(raw.path + ": a cell diameter of " + fixedDecimal(*s.settings.cellDiameterUm, 2) +
                       " \xC2\xB5m is " + fixedDecimal(result.cellDiameterPx, 1) +
                       " px at its pixel size; 2 to 2000 px can be counted");
  }
  result.seconds += secondsSince(start);
  return result;
}

void CellCounter::computeHeatmap(ImageCount& result, std::optional<double> othersMedianPx) const {
  const auto start = std::chrono::steady_clock::now();
  const State& s = *state_;
  std::map<double, Foreground> byDiameter;  // each pass the estimate made, kept so that the count reuses it
  auto foregroundAt = [&](double diameter) -> const Foreground& {
    auto found = byDiameter.find(diameter);
    if (found != byDiameter.end()) return found->second;
    return byDiameter.emplace(diameter, foregroundOf(s.predictor, s.settings, s.modelThreshold, result.rgb, diameter))
        .first->second;
  };
  if (s.settings.automaticDiameter && othersMedianPx) {
    result.cellDiameterPx = *othersMedianPx;
    result.diameterSource = DiameterSource::MedianOfOthers;
  } else if (s.settings.automaticDiameter) {
    result.diameterEstimate = estimateCellDiameter(
        [&](double diameter, const cv::Rect& window) {
          if (!window.empty()) return detectInWindow(result.rgb, window, diameter);
          const Foreground& f = foregroundAt(diameter);
          return detectObjects(f.heatmap, f.ownThreshold, postprocess(diameter));
        },
        s.settings.diameterSearch);
    const bool found = result.diameterEstimate->found();
    if (found) result.cellDiameterPx = result.diameterEstimate->diameterPx;
    result.diameterSource = found ? DiameterSource::Estimated : DiameterSource::NotEstimated;
  }
  result.postprocess = postprocess(result.cellDiameterPx);
  const Foreground& chosen = foregroundAt(result.cellDiameterPx);
  result.heatmap = chosen.heatmap;
  result.threshold = chosen.threshold;
  result.seconds += secondsSince(start);
}

void CellCounter::finishCount(ImageCount& result) const {
  const auto start = std::chrono::steady_clock::now();
  result.detection = detect(result, result.threshold);
  measureChannels(result.detection, result.facts);
  result.seconds += secondsSince(start);
}

DiameterEstimate CellCounter::estimateDiameter(const cv::Mat& rgb) const {
  const State& s = *state_;
  return estimateCellDiameter(
      [&](double diameter, const cv::Rect& window) {
        return detectInWindow(rgb, window.empty() ? cv::Rect(0, 0, rgb.cols, rgb.rows) : window, diameter);
      },
      s.settings.diameterSearch);
}

cv::Mat CellCounter::normalisedImage(const std::string& path) const {
  return normalisedImage(loadImage(path, state_->settings.limits));
}

Detection CellCounter::detect(const ImageCount& image, double threshold) const {
  return detectObjects(image.heatmap, threshold, image.postprocess, intensityOf(image.rgb));
}

double CellCounter::cellDiameterPx() const { return state_->diameter; }
bool CellCounter::estimatesDiameter() const { return state_->settings.automaticDiameter; }
std::optional<double> CellCounter::defaultThreshold() const {
  return usesNetwork() ? std::optional<double>(state_->modelThreshold) : std::nullopt;
}
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
  if (state_->predictor)
    options << "--model " << (s.modelFile.empty() ? "?" : s.modelFile);
  else
    options << "--classical";
  options << " --diameter " << cellDiameterPx << " --threshold " << threshold;
  appendResultOptions(options);
  return options.str();
}

// The options besides the model, diameter and threshold that change what a count finds or reports.
void CellCounter::appendResultOptions(std::ostream& options) const {
  const CountSettings& s = state_->settings;
  if (s.minObjectAreaPx) options << " --min-area " << *s.minObjectAreaPx;
  if (s.splitTouchingCells == false) options << " --no-split";
  if (s.referencePostprocess) options << " --reference-postprocess";
  if (s.testTimeAugmentation && state_->predictor) options << " --tta";
  if (s.inference.precision != NetworkPrecision::Float32 && state_->predictor)
    options << " --precision " << precisionName(s.inference.precision);
  if (!s.channels.empty()) options << " --channel " << channelListText(s.channels);
  if (s.pixelSizeUm) options << " --pixel-size " << *s.pixelSizeUm;
  for (const PositivityRule& rule : s.positivity) options << " --positive " << positivityRuleText(rule);
}

// The model by its bytes, not its path (the same file may sit at another path on each node of a cluster), the
// diameter and threshold as asked ("auto" stays auto, each image's own is in its row), and the other options.
std::string CellCounter::runFingerprint(std::vector<std::string> images) const {
  const CountSettings& s = state_->settings;
  std::ostringstream run;
  run.imbue(std::locale::classic());
  run.precision(17);
  // The same folder given as a relative path on one shard and an absolute one on another is the same run.
  for (std::string& image : images) {
    std::error_code error;
    const std::filesystem::path absolute = std::filesystem::weakly_canonical(image, error);
    if (!error) image = absolute.string();
  }
  std::sort(images.begin(), images.end());
  for (const std::string& image : images) run << image << '\n';
  run << '\0' << (state_->predictor ? "model sha256 " + state_->modelSha256 : methodDescription());
  run << " tables " << kCountTablesLayout;
  if (s.cellDiameterUm)
    run << " --diameter " << *s.cellDiameterUm << "um";
  else
    run << " --diameter " << state_->diameter;
  if (s.automaticDiameter) run << " auto";
  run << " --threshold ";
  if (s.threshold)
    run << *s.threshold;
  else
    run << "auto";
  appendResultOptions(run);
  return sha256Hex(run.str()).substr(0, 16);
}

const std::string& CellCounter::modelSha256() const { return state_->modelSha256; }

CountRow CellCounter::rowFor(const std::string& file) const {
  CountRow row;
  row.file = file;
  row.method = methodDescription();
  row.model = usesNetwork() ? state_->settings.modelFile : "classical";
  row.modelSha256 = state_->modelSha256;
  return row;
}

void CellCounter::recordResult(CountRow& row, const Detection& detection, cv::Size size, double threshold,
                               double cellDiameterPx, double seconds, const ImageFacts& facts,
                               std::optional<DiameterSource> diameterSource) const {
  if (facts.pixelSize) {
    row.pixelSizeUm = facts.pixelSize->micrometres;
    row.pixelSizeSource = facts.pixelSize->source;
  }
  if (!state_->settings.positivity.empty())
    row.markerCounts = markerCounts(detection.objects, state_->settings.positivity);
  row.count = detection.count();
  row.width = size.width;
  row.height = size.height;
  row.threshold = threshold;
  row.cellDiameterPx = cellDiameterPx;
  row.cellDiameterSource = diameterSource ? diameterSourceName(*diameterSource) : std::string();
  row.seconds = seconds;
  row.options = reproducingOptions(threshold, cellDiameterPx);
}

bool CellCounter::usesNetwork() const { return state_->predictor.has_value(); }
bool CellCounter::leavesCoresIdle() const {
  if (!state_->predictor || state_->predictor->onGpu()) return true;
  return int(std::thread::hardware_concurrency()) > state_->predictor->cpuThreads();
}
const CountSettings& CellCounter::settings() const { return state_->settings; }

std::string CellCounter::methodDescription() const {
  if (state_->predictor) return state_->modelName + " on " + state_->predictor->deviceDescription();
  return std::string("classical (Gaussian blur + ") +
         (state_->settings.classical.method == AutoThreshold::Otsu ? "Otsu" : "triangle") + " threshold)";
}

}  // namespace fluocount
