#include "app/cli_common.h"

#include "app/progress_bar.h"
#include "core/hand_counts.h"
#include "core/numeric_locale.h"
#include "core/slide_folder.h"
#include "core/training_data.h"
#include "core/true_cells.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>

namespace fluocount::cli {
namespace fs = std::filesystem;

void parseOrExit(QCommandLineParser& parser, const QStringList& arguments) {
  parser.addHelpOption();
  if (!parser.parse(arguments)) throw CliError(parser.errorText().toStdString());
  if (parser.isSet("help")) {
    // Qt names the program by argv[0] (a path, without the command); the usage line names both.
    QString help = parser.helpText();
    const QString qtUsage = QStringLiteral("Usage: ") + QCoreApplication::arguments().value(0);
    if (help.startsWith(qtUsage)) help.replace(0, qtUsage.size(), QStringLiteral("Usage: ") + arguments.value(0));
    std::fputs(help.toLocal8Bit().constData(), stdout);
    std::exit(0);
  }
}

void holdRunLock(std::optional<RunLock>& lock, const std::filesystem::path& lockFile, const std::string& what,
                 const std::string& place) {
  try {
    lock.emplace(lockFile, what, place);
  } catch (const RunLockError& e) {
    throw CliError(e.what());
  }
  if (!lock->held())
    std::fprintf(stderr, "note: %s is not guarded against a second run: %s\n", place.c_str(),
                 lock->notLockedBecause().c_str());
}

double numberOption(const QCommandLineParser& parser, const QString& name, double min, double max) {
  bool ok = false;
  const double value = parser.value(name).toDouble(&ok);
  if (!ok || !(value >= min && value <= max))
    throw CliError("--" + name.toStdString() + " must be a number from " + std::to_string(min) + " to " +
                   std::to_string(max) + ", not '" + parser.value(name).toStdString() + "'");
  return value;
}

void addCounterOptions(QCommandLineParser& parser) {
  parser.addOptions({
      {"model", "Model file (.fcmodel). Default: the bundled model, or the classical method if none is bundled.",
       "file"},
      {"classical", "Count with the classical method (blur + Otsu threshold) instead of a network."},
      {"diameter",
       "Typical cell diameter: 'auto' (the default with a network) estimates it for each image from what "
       "the counter detects at a few probe diameters (measured on the bundled FNC samples: about 3x the time of a "
       "count at a given diameter); "
       "a number in pixels; or micrometres with a unit, e.g. 12um (each image's pixel size converts it). "
       "The classical method's default is 50 px.",
       "px|Num|auto"},
      {"pixel-size",
       "Micrometres per pixel for every image, over what the files declare (TIFF resolution, ImageJ, "
       "OME-XML, PNG pHYs). With a pixel size the tables give areas in um2 and densities in cells/mm2.",
       "um"},
      {"channel",
       "Which channel(s) the network sees: one (as gray), e.g. 2, or three as red, green, blue, e.g. "
       "3,2,1 (1-based, in the file's order: an RGB file's red, green, blue; a multi-channel TIFF's "
       "channels). Default: an RGB file's colours, a multi-channel TIFF's first channel.",
       "n[,n,n]"},
      {"positive",
       "Call each cell positive in channel CH when its mean raw intensity there is at least T (0-255, or "
       "0-65535 for 16-bit), e.g. --positive 2:120; repeat for up to 4 channels. The tables gain counts "
       "per marker and per combination (ch2+ch3-, ...) and objects.csv each cell's call.",
       "CH:T"},
      {"threshold", "Probability threshold (default: the model's, chosen by Kneedle).", "t"},
      {"threads", "CPU threads for the network (default: all cores).", "n"},
      {"device", "auto, cpu or cuda (default auto: CUDA when available).", "device", "auto"},
      {"precision",
       "The network's number type: float32 (default, exact), bfloat16 (about 1.5x as fast on CPUs with "
       "AVX512-BF16, and on GPUs; heatmaps move by a few thousandths) or int8 (CPU only: about 2x as fast on "
       "CPUs without AVX-512); see models/README.md.",
       "type", "float32"},
      {"max-pixels", "Refuse images with more pixels than this (default 200000000).", "n"},
      {"min-area",
       "Advanced: remove objects smaller than this many px, given for 50 px cells and scaled with "
       "--diameter (default: the model's, 200).",
       "px"},
      {"no-split", "Advanced: do not split touching cells (watershed)."},
      {"reference-postprocess",
       "Advanced: post-process exactly as the authors' code does (4-connected objects, "
       "markers over the whole mask, cells without a marker dropped); see docs/method.md."},
      {"tta",
       "Test-time augmentation: average the network's heatmaps of the image and its three flips (4x the "
       "network's time)."},
  });
}

InferenceSettings inferenceFromOptions(const QCommandLineParser& parser) {
  InferenceSettings inference;
  if (parser.isSet("threads")) inference.threads = static_cast<int>(numberOption(parser, "threads", 1, 1024));
  const QString device = parser.value("device");
  if (device == "cpu")
    inference.device = DevicePreference::Cpu;
  else if (device == "cuda")
    inference.device = DevicePreference::Cuda;
  else if (device != "auto" && !device.isEmpty())
    throw CliError("--device must be auto, cpu or cuda");
  return inference;
}

NetworkPrecision precisionFromOptions(const QCommandLineParser& parser) {
  if (!parser.isSet("precision")) return NetworkPrecision::Float32;
  try {
    return parsePrecision(parser.value("precision").toStdString());
  } catch (const std::invalid_argument& e) {
    throw CliError(std::string("--precision: ") + e.what());
  }
}

void noteImagesWithoutAnEstimate(std::ptrdiff_t without, std::size_t total, double defaultDiameterPx,
                                 const std::string& whereMarked, const std::string& advice) {
  if (without <= 0) return;
  const std::string marked = whereMarked.empty() ? "" : " (" + whereMarked + ")";
  std::fprintf(stderr,
               "note: %td of %zu image(s) had too few cells to estimate their cell diameter%s: they were counted at "
               "%.0f px. %s\n",
               without, total, marked.c_str(), defaultDiameterPx, advice.c_str());
}

void countAgainAtTheMedian(const std::vector<std::optional<CountedDiameter>>& counted,
                           const std::function<void(std::size_t, double)>& countAgain) {
  const std::optional<SecondPass> pass = secondPassOf(counted);
  if (!pass) return;
  std::fprintf(stderr,
               "note: %zu image(s) had too few cells to estimate their cell diameter: counting them again at the "
               "median of the others' estimates, %s px\n",
               pass->images.size(), fixedDecimal(pass->diameterPx, 1).c_str());
  ProgressBar progress("count again", static_cast<int>(pass->images.size()));
  for (std::size_t i : pass->images) {
    countAgain(i, pass->diameterPx);
    progress.advance("");
  }
  progress.finish();
}

bool diameterIsAutomatic(const QCommandLineParser& parser) {
  if (parser.isSet("diameter")) return parser.value("diameter").trimmed() == "auto";
  return !parser.isSet("classical");
}

CellCounter makeCounter(const QCommandLineParser& parser) {
  CountSettings settings;
  settings.inference = inferenceFromOptions(parser);
  settings.inference.precision = precisionFromOptions(parser);
  const QString diameter = parser.value("diameter").trimmed();
  if (diameterIsAutomatic(parser))
    settings.automaticDiameter = true;
  else if (diameter.endsWith("um") || diameter.endsWith(QString::fromUtf8("\u00B5m"))) {
    bool ok = false;
    const double micrometres = diameter.chopped(2).trimmed().toDouble(&ok);
    if (!ok || !(micrometres > 0) || micrometres > 10000)
      throw CliError("--diameter " + diameter.toStdString() +
                     ": a diameter in micrometres is a number above 0, e.g. 12um");
    settings.cellDiameterUm = micrometres;
  } else if (parser.isSet("diameter"))
    settings.cellDiameterPx = numberOption(parser, "diameter", 2, 2000);
  if (parser.isSet("pixel-size")) {
    try {
      settings.pixelSizeUm =
          checkedUserPixelSize(numberOption(parser, "pixel-size", 0, 1e9), "--pixel-size").micrometres;
    } catch (const std::invalid_argument& e) {
      throw CliError(e.what());
    }
  }
  try {
    if (parser.isSet("channel")) settings.channels = parseChannelList(parser.value("channel").toStdString());
    for (const QString& rule : parser.values("positive"))
      settings.positivity.push_back(parsePositivityRule(rule.toStdString()));
  } catch (const std::invalid_argument& e) {
    throw CliError(e.what());
  }
  if (settings.positivity.size() > kMaxPositivityRules)
    throw CliError("--positive: at most 4 channels (16 combinations)");
  if (parser.isSet("threshold")) settings.threshold = numberOption(parser, "threshold", 0, 1);
  if (parser.isSet("min-area")) settings.minObjectAreaPx = numberOption(parser, "min-area", 0, 1e7);
  if (parser.isSet("no-split")) settings.splitTouchingCells = false;
  if (parser.isSet("reference-postprocess")) settings.referencePostprocess = true;
  settings.testTimeAugmentation = parser.isSet("tta");
  if (parser.isSet("max-pixels"))
    settings.limits.maxPixels = static_cast<std::int64_t>(numberOption(parser, "max-pixels", 1, 1e12));
  if (parser.isSet("classical") && parser.isSet("model")) throw CliError("--model and --classical exclude each other");
  CounterChoice choice;
  choice.classical = parser.isSet("classical");
  choice.modelFile = parser.value("model").toStdString();
  std::string note;
  CellCounter counter = chooseCounter(choice, settings, defaultModelPath(), &note);
  if (!note.empty()) std::fprintf(stderr, "note: %s (use --model FILE)\n", note.c_str());
  return counter;
}

namespace {

// The error for a folder without slides, with what it holds instead where that helps: files FluoCount does not read
// (`unread`, describeUnreadFiles), subfolders of slides.
std::string noSlidesIn(const std::string& folder, const std::string& unread) {
  std::string message = folder + ": no PNG, TIFF or JPEG images in this folder.";
  if (!unread.empty()) message += " " + unread;
  const std::vector<std::string> subfolders = subfoldersWithSlides(folder);
  if (!subfolders.empty())
    message += " " + describeSubfoldersWithSlides(subfolders) + " Name them to count them all, e.g. " +
               (fs::path(folder) / "*").string() + "/";
  return message;
}

// Each image once, in the order first named: `count day1/ day1/slide3.png` (or globs that overlap) would otherwise
// count slide3 twice and add it twice to the total. Paths are compared as the files they name (./a.png, ../x/a.png).
std::vector<std::string> eachImageOnce(const std::vector<std::string>& files) {
  std::set<std::string> seen, repeated;
  std::vector<std::string> once;
  std::string firstRepeated;
  for (const std::string& file : files) {
    const std::string key = sameFileKey(file);
    if (seen.insert(key).second)
      once.push_back(file);
    else if (repeated.insert(key).second && firstRepeated.empty())
      firstRepeated = fs::path(file).filename().string();
  }
  if (!repeated.empty())
    std::fprintf(stderr, "note: %zu image(s) named more than once, each counted once: %s%s\n", repeated.size(),
                 firstRepeated.c_str(), repeated.size() > 1 ? " and others" : "");
  return once;
}

}  // namespace

std::vector<std::string> collectImages(const QStringList& paths) {
  std::vector<std::string> files;
  for (const QString& path : paths) {
    if (QFileInfo(path).isDir()) {
      const std::string folder = imagesFolderOf(path.toStdString());
      const std::vector<std::string> inFolder = imagesIn(folder);
      const std::string unread = describeUnreadFiles(unreadImagesIn(folder));
      if (inFolder.empty()) throw CliError(noSlidesIn(folder, unread));
      if (!unread.empty()) std::fprintf(stderr, "note: %s: %s\n", folder.c_str(), unread.c_str());
      files.insert(files.end(), inFolder.begin(), inFolder.end());
    } else {
      // Files are passed on even when missing or odd, so that the count reports them by name.
      files.push_back(path.toStdString());
    }
  }
  return eachImageOnce(files);
}

std::vector<AnnotatedImage> collectAnnotated(const QStringList& datasetDirs, std::vector<std::string>& unannotated) {
  std::vector<AnnotatedImage> annotated;
  std::set<std::string> seen;  // a dataset given twice is scored once (sameFileKey)
  int repeated = 0;
  for (const QString& dir : datasetDirs) {
    SlideFolder dataset;
    try {
      dataset = scanAnnotatedDataset(dir.toStdString());
    } catch (const ImageError& e) {
      throw CliError(e.what());
    }
    const std::string unread = describeUnreadFiles(dataset.unread);
    if (dataset.slides.empty()) throw CliError(noSlidesIn(dataset.imagesFolder, unread));
    if (!unread.empty()) std::fprintf(stderr, "note: %s: %s\n", dataset.imagesFolder.c_str(), unread.c_str());
    for (const std::string& note :
         {describeNewerTiffMasks(dataset.slides), describeMasksOfNoSlide(dataset.masksOfNoSlide),
          describeOutlinesToReview(outlinesToReview(dataset.slides), "scored against")})
      if (!note.empty()) std::fprintf(stderr, "note: %s: %s\n", qPrintable(dir), note.c_str());
    for (const SlideFiles& slide : dataset.slides) {
      if (!seen.insert(sameFileKey(slide.image)).second) {
        ++repeated;
        continue;
      }
      if (slide.mask.empty())
        unannotated.push_back(slide.image);
      else
        annotated.push_back({slide.image, slide.mask, slide.labels});
    }
  }
  if (repeated)
    std::fprintf(stderr, "note: %d image(s) in more than one of the datasets given, each scored once\n", repeated);
  return annotated;
}

std::vector<AnnotatedImage> collectHandCounted(const QStringList& paths, const std::string& handCountsFolder,
                                               std::vector<std::string>& uncounted, std::vector<std::string>& refused) {
  const std::vector<std::string> images = collectImages(paths);
  const std::vector<std::string> sharedStems = sharedStemReasons(images);
  std::vector<AnnotatedImage> counted;
  for (std::size_t i = 0; i < images.size(); ++i) {
    const std::vector<RegionsFileMatch> files = handCountFilesFor(handCountsFolder, images[i]);
    if (files.empty())
      uncounted.push_back(images[i]);
    else if (files.size() > 1)
      refused.push_back(images[i] + ": " + files[0].path + " and " + files[1].path +
                        " could both be its count by hand");
    else if (files[0].byStem && !sharedStems[i].empty())
      refused.push_back(images[i] + ": " + files[0].path + " not used: " + sharedStems[i]);
    else
      counted.push_back({images[i], {}, {}, files[0].path});
  }
  return counted;
}

std::string fileName(const std::string& path) { return fs::path(path).filename().string(); }

}  // namespace fluocount::cli

namespace fluocount::cli {

void addEvaluationOptions(QCommandLineParser& parser) {
  parser.addPositionalArgument("datasets", "Dataset folders, each with images/ and masks/ (and optional labels/).",
                               "datasets...");
  parser.addOptions({
      {"mask-components", "Take the connected components of masks/ as the true cells even where labels/ exists."},
      {"match-distance",
       "A prediction matches a true cell whose centre is closer than this (default: the cell "
       "diameter).",
       "px"},
      {"limit", "Use only the first N annotated images of each run (in name order).", "n"},
      {"only", "Use only the images whose file names are listed (one per line) in this file.", "file"},
      {"hand-counts",
       "Score against cells marked by hand instead of masks: for each image, a file in this folder named after it "
       "(<name or stem>.roi or .zip: Fiji multi-point ROIs; .geojson: QuPath points; .xml or CellCounter_<name or "
       "stem>.xml: Fiji Cell Counter markers). The datasets may then be any slide folders or images.",
       "dir"},
      {"min-true-area",
       "Leave out annotated cells smaller than this many px, given for 50 px cells and scaled with "
       "--diameter like --min-area (default: keep all). '--min-true-area 200' scores only the "
       "annotations that are as large as the smallest object the counter reports.",
       "px"},
  });
}

std::vector<AnnotatedImage> annotatedImagesFromOptions(const QCommandLineParser& parser) {
  if (parser.positionalArguments().isEmpty()) throw CliError("name at least one dataset folder");
  if (parser.isSet("hand-counts")) {
    const std::string folder = parser.value("hand-counts").toStdString();
    if (!fs::is_directory(folder)) throw CliError("--hand-counts: " + folder + " is not a folder");
    for (const char* maskOption : {"min-true-area", "mask-components"})
      if (parser.isSet(maskOption))
        throw CliError(std::string("--") + maskOption + " applies to masks, not to --hand-counts");
    std::vector<std::string> uncounted, refused;
    std::vector<AnnotatedImage> items = collectHandCounted(parser.positionalArguments(), folder, uncounted, refused);
    for (const auto& file : uncounted) std::fprintf(stderr, "skipped (no count by hand): %s\n", file.c_str());
    for (const auto& reason : refused) std::fprintf(stderr, "skipped: %s\n", reason.c_str());
    items = selectedByOptions(std::move(items), parser);
    if (items.empty()) throw CliError("no image has a count by hand in " + folder);
    return items;
  }
  std::vector<std::string> unannotated;
  std::vector<AnnotatedImage> items = collectAnnotated(parser.positionalArguments(), unannotated);
  for (const auto& file : unannotated) std::fprintf(stderr, "skipped (no mask): %s\n", file.c_str());
  items = selectedByOptions(std::move(items), parser);
  if (items.empty()) throw CliError("no annotated images to use");
  return items;
}

std::vector<AnnotatedImage> selectedByOptions(std::vector<AnnotatedImage> items, const QCommandLineParser& parser) {
  if (parser.isSet("only")) {
    const std::set<std::string> wanted = readImageNameList(parser.value("only").toStdString());
    std::vector<AnnotatedImage> kept;
    for (const auto& item : items)
      if (wanted.count(fileName(item.image))) kept.push_back(item);
    items = kept;
  }
  if (parser.isSet("limit")) {
    const auto limit = static_cast<std::size_t>(numberOption(parser, "limit", 1, 1e9));
    if (items.size() > limit) items.resize(limit);
  }
  return items;
}

MatchingSettings matchingFromOptions(const QCommandLineParser& parser, double cellDiameterPx) {
  MatchingSettings matching;
  matching.maxCentreDistancePx =
      parser.isSet("match-distance") ? numberOption(parser, "match-distance", 0.1, 1e5) : cellDiameterPx;
  return matching;
}

namespace {

Detection annotatedCells(const AnnotatedImage& item, cv::Size imageSize, const QCommandLineParser& parser) {
  const TrueCells truth = trueCells(item.mask, item.labels, imageSize, item.image, !parser.isSet("mask-components"));
  if (!truth.note.empty()) std::fprintf(stderr, "note: %s\n", truth.note.c_str());
  return measureLabels(truth.labels);
}

}  // namespace

Detection truthFor(const AnnotatedImage& item, cv::Size imageSize, const QCommandLineParser& parser,
                   double cellDiameterPx) {
  if (!item.handCount.empty()) {
    const HandCount count = loadHandCount(item.handCount, imageSize, item.image);
    if (count.otherObjects)
      std::fprintf(stderr, "note: %s: %d object(s) that are not marks (regions, lines, outlines) left out\n",
                   item.handCount.c_str(), count.otherObjects);
    return marksAsCells(count.marks);
  }
  Detection truth = annotatedCells(item, imageSize, parser);
  if (!parser.isSet("min-true-area")) return truth;
  PostprocessSettings sizes;  // the same rule that scales --min-area to the cell diameter
  sizes.minObjectAreaPx = numberOption(parser, "min-true-area", 0, 1e7);
  const double minArea = sizes.scaledTo(cellDiameterPx).minObjectAreaPx;
  std::vector<DetectedObject> kept;
  std::vector<bool> dropped;  // by label, so that the label image is cleared in one pass
  for (const DetectedObject& object : truth.objects) {
    if (object.areaPx >= minArea) {
      kept.push_back(object);
      continue;
    }
    if (dropped.size() <= std::size_t(object.label)) dropped.resize(object.label + 1, false);
    dropped[object.label] = true;
  }
  if (!dropped.empty())
    truth.labels.forEach<int>([&](int& label, const int*) {
      if (std::size_t(label) < dropped.size() && dropped[label]) label = 0;
    });
  truth.objects = std::move(kept);
  return truth;
}

}  // namespace fluocount::cli
