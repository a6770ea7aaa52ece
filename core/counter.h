#pragma once
// The counting pipeline that the CLI and the GUI both call, so that their counts agree to the object:
// load -> normalise -> heatmap (network or classical) -> threshold -> post-process -> measured objects.
#include "core/cell_channels.h"
#include "core/classical.h"
#include "core/diameter_estimate.h"
#include "core/export.h"
#include "core/image_io.h"
#include "core/inference.h"
#include "core/postprocess.h"

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

namespace fluocount {

struct CountSettings {
  double cellDiameterPx = 0;  // 0: the model's default cell diameter (50 px for the classical method)
  // Estimate each image's cell diameter (core/diameter_estimate.h) instead; cellDiameterPx (or the default) is
  // then used only for an image in which no probe finds cells.
  bool automaticDiameter = false;
  // Test-time augmentation: the network also sees the image flipped left-right, top-bottom and both, and the four
  // heatmaps, flipped back, are averaged (four times the network's work).
  bool testTimeAugmentation = false;
  DiameterSearchSettings diameterSearch;
  std::optional<double> threshold;  // empty: the model's threshold (classical: its automatic one)
  ImageLimits limits;
  InferenceSettings inference;
  ClassicalSettings classical;
  PostprocessSettings classicalPostprocess;  // the network's come from its model file
  // Advanced post-processing overrides, at the reference diameter (50 px) like the model's own settings.
  std::optional<double> minObjectAreaPx;
  std::optional<bool> splitTouchingCells;
  bool referencePostprocess = false;  // PostprocessSettings::referenceStyle (the authors' code exactly)
  std::string modelFile;              // where the model came from, for the records (count tables)
  // Which channels the network sees (selectChannels: one as gray, or three as red, green, blue); empty: the image as
  // decoded (an RGB file's colours, a multi-channel TIFF's first channel).
  std::vector<int> channels;
  std::optional<double> pixelSizeUm;  // µm per pixel for every image, over what the files declare
  // The cell diameter in µm: each image's diameter in pixels follows from its pixel size (an image without one is
  // an error). Replaces cellDiameterPx.
  std::optional<double> cellDiameterUm;
  std::vector<PositivityRule> positivity;  // per-channel positive/negative calls and their combination counts
};

// What a count's tables say about an image besides its cells: its raw channels (for each cell's intensity in every
// channel and its positivity), its pixel size (the override or the file's) and what its metadata declared that was
// not used.
struct ImageFacts {
  std::string path;
  int bitDepth = 8;
  std::vector<cv::Mat> channels;
  std::vector<std::string> channelNames;
  std::optional<PixelSize> pixelSize;
  std::vector<std::string> notes;
};

// Where the cell diameter an image was counted at came from: counts.csv's cell_diameter_source, the app's slide
// list. An estimate that found too few cells falls back on the given or default diameter, which then says nothing
// about this image's cells: the tables say so rather than show it like a measured one.
enum class DiameterSource {
  Default,             // no diameter given: the model's default (50 px for the classical method)
  Given,               // given in pixels (--diameter 28; the app's Settings, Measure Cell Diameter, calibration)
  GivenInMicrometres,  // given in µm and converted at the image's pixel size
  Estimated,           // estimated from the image itself (--diameter auto)
  NotEstimated,        // --diameter auto found too few cells to measure: counted at the default diameter
  MedianOfOthers,      // too few cells to measure: counted at the median of the other images' estimates
};
// The tables' words ("default", "given", "given in um", "estimated", "not estimated", "median of others"), and back
// (nullopt for any other text).
std::string diameterSourceName(DiameterSource source);
std::optional<DiameterSource> diameterSourceNamed(const std::string& name);

// A run that estimates each image's diameter ends with a second pass: the images in which too few cells were found to
// measure theirs are counted again at the median of the other images' estimates (a folder's slides mostly come from
// one microscope; an image of a few small nuclei counted at the default 50 px finds almost none of them, and an empty
// field counts 0 at either). Each image is one vote, so that a reader of counts.csv can check the median from its
// cell_diameter_px column. The estimated images must hold kCellsForTheMedian cells between them: a folder of empty
// fields, one of which got an estimate from a few fragments, keeps the default rather than spread that estimate.
// `counted`: each image's diameter as counted, by index (nullopt: not counted, failed).
struct CountedDiameter {
  DiameterSource source = DiameterSource::Default;
  double diameterPx = 0;
  int cells = 0;  // counted at it
};
inline constexpr int kCellsForTheMedian = 10;
struct SecondPass {
  double diameterPx = 0;            // the median of the estimates
  std::vector<std::size_t> images;  // to count at it: not estimated, or counted at another median
};
// None where the estimated images hold too few cells, or every image without an estimate is already counted at the
// median (a resumed run, a folder recounted); an image counted at an older median (the run or folder has more
// estimates since) is counted again.
std::optional<SecondPass> secondPassOf(const std::vector<std::optional<CountedDiameter>>& counted);

struct ImageCount {
  std::string path;
  cv::Size size;
  int bitDepth = 8;
  int channels = 3;
  cv::Mat rgb;      // normalised CV_32FC3
  cv::Mat heatmap;  // CV_32F in [0,1]
  double threshold = 0;
  double cellDiameterPx = 0;
  std::optional<DiameterEstimate> diameterEstimate;  // how cellDiameterPx was found, with --diameter auto
  DiameterSource diameterSource = DiameterSource::Default;
  PostprocessSettings postprocess;  // scaled to cellDiameterPx
  Detection detection;              // with every object's channelMeans
  ImageFacts facts;
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

  // Throws ImageError for unreadable images. `othersMedianPx`, with automatic diameters: a run's second pass
  // (SecondPass) of an image whose estimate found too few cells: it is counted at this diameter, the median of the
  // other images' estimates, without estimating again (the estimate would find what it found the first time).
  ImageCount count(const std::string& path, std::optional<double> othersMedianPx = std::nullopt) const;
  ImageCount countRaw(const RawImage& raw, std::optional<double> othersMedianPx = std::nullopt) const;

  // countRaw's three stages, which core/count_pipeline.h runs on three threads (each adds its time to `seconds`):
  // the image's facts, normalised pixels and diameter; the network's heatmap (with the diameter estimate, which
  // needs the network at several diameters); the cells at the threshold, measured in every channel.
  ImageCount prepareCount(const RawImage& raw) const;
  void computeHeatmap(ImageCount& image, std::optional<double> othersMedianPx = std::nullopt) const;
  void finishCount(ImageCount& image) const;

  // The image as the counter sees it (normalised CV_32FC3), for re-detecting from a cached heatmap.
  cv::Mat normalisedImage(const std::string& path) const;
  cv::Mat normalisedImage(const RawImage& raw) const;
  // The channels the network sees, as raw RGB (rawRgb: depth kept), and the raw values it sees as 0 and 1: what a
  // display of the raw values needs to show a slide as the counter sees it.
  cv::Mat seenChannels(const RawImage& raw) const;
  std::pair<double, double> normalisationRange(const cv::Mat& seen) const;
  // The image's facts under this counter's settings (pixel size override, positivity rules checked: an ImageError
  // names the file when a rule's channel is missing).
  ImageFacts factsOf(const RawImage& raw) const;
  // What the file declares that is not used, and a declared pixel size the settings replace (factsOf's notes).
  std::vector<std::string> notesOn(const RawImage& raw) const;
  // The pixel size the tables use for this image: the one given in the settings, else the file's.
  std::optional<PixelSize> pixelSizeOf(const RawImage& raw) const;
  // Each object's mean in every channel (detection from a cached heatmap; count() does this itself).
  void measureChannels(Detection& detection, const ImageFacts& facts) const;
  // The positivity counts' column names for this counter's rules (empty without rules).
  std::vector<std::string> markerColumns() const;

  // Re-thresholds an already computed heatmap (the GUI's slider).
  Detection detect(const ImageCount& image, double threshold) const;

  // The diameter given (or the model's default); with automaticDiameter, each ImageCount has its own.
  double cellDiameterPx() const;
  bool estimatesDiameter() const;
  // The post-processing settings used, scaled to cellDiameterPx() or to another diameter.
  PostprocessSettings postprocess() const;
  PostprocessSettings postprocess(double cellDiameterPx) const;
  // Estimates the cell diameter of one normalised image (what countRaw does with automaticDiameter).
  DiameterEstimate estimateDiameter(const cv::Mat& rgb) const;
  // SHA-256 of the model file's bytes, which identifies what a saved result was counted with (empty for the
  // classical method).
  const std::string& modelSha256() const;
  std::string methodDescription() const;  // "c-resunet model <file> on CPU (2 threads)" or "classical (Otsu)"
  bool usesNetwork() const;
  // The threshold a count uses where none is given: the model's; none for the classical method, whose threshold is
  // each image's own (Otsu).
  std::optional<double> defaultThreshold() const;
  // Whether counting one image leaves CPU cores idle: the network runs on a GPU or on fewer threads than the machine
  // has cores, or the classical method (mostly one core) counts.
  bool leavesCoresIdle() const;
  // The fluocount-cli count options that reproduce this counter's results at `threshold`, e.g.
  // "--model m.fcmodel --diameter 50 --threshold 0.875 --no-split" or "--classical --diameter 30 --threshold 0.41".
  std::string reproducingOptions(double threshold) const;
  std::string reproducingOptions(double threshold, double cellDiameterPx) const;
  // What identifies a run in its count table: 16 hex digits of the SHA-256 of the images counted together (all of
  // them, before a --shard takes its block, by canonical path), the model file's bytes, the settings as asked and
  // the tables' layout (kCountTablesLayout). Shards of one run share it; merge refuses tables that do not, so that no row counted otherwise slips into a
  // study's table.
  std::string runFingerprint(std::vector<std::string> images) const;
  // A count-table row: the file and this counter's method and model (path and SHA-256); recordResult fills in one
  // result.
  CountRow rowFor(const std::string& file) const;
  // `diameterSource` empty: not known (a result saved before it was recorded), and the column is left empty.
  void recordResult(CountRow& row, const Detection& detection, cv::Size size, double threshold, double cellDiameterPx,
                    double seconds, const ImageFacts& facts = {},
                    std::optional<DiameterSource> diameterSource = std::nullopt) const;
  const CountSettings& settings() const;

private:
  void appendResultOptions(std::ostream& options) const;
  CellCounter();
  // What the diameter search detects at an assumed diameter on a window of a normalised image (in its coordinates).
  Detection detectInWindow(const cv::Mat& rgb, const cv::Rect& window, double diameter) const;
  struct State;
  std::unique_ptr<State> state_;
};

// Which counter a run uses: one rule for the CLI and the app, so that the same options count the same way.
struct CounterChoice {
  bool classical = false;  // the classical method, asked for by name
  std::string modelFile;   // a model file; empty: the bundled one
};
// The model file the choice counts with: none for the classical method, else the file named, else the bundled
// model; when no model is bundled, none (the classical method counts rather than nothing at all).
std::optional<std::string> modelFileFor(const CounterChoice& choice, const std::optional<std::string>& bundledModel);
// The counter for that choice (loading the model throws ModelError for an unreadable file). `note`, when given,
// says why the classical method counts although no one asked for it.
CellCounter chooseCounter(const CounterChoice& choice, const CountSettings& settings,
                          const std::optional<std::string>& bundledModel, std::string* note = nullptr);

}  // namespace fluocount
