// fluocount-cli count: images or folders -> count table (+ per-object table, label masks, overlays).
#include "app/cli_common.h"
#include "app/progress_bar.h"
#include "core/atomic_file.h"
#include "core/count_pipeline.h"
#include "core/diameter_estimate.h"
#include "core/export.h"
#include "core/imagej_roi.h"
#include "core/numeric_locale.h"
#include "core/sharding.h"
#include "core/slide_folder.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

namespace fluocount::cli {
namespace fs = std::filesystem;

namespace {

// Set by Ctrl-C or a scheduler's SIGTERM (a cluster job at its time limit): the images counted so far are written to
// the tables, the rest listed as not counted. A second signal ends the process at once.
std::atomic<bool> stopRequested{false};

void onStopSignal(int signal) {
  if (stopRequested.exchange(true)) {
    std::signal(signal, SIG_DFL);
    std::raise(signal);
  }
}

struct OutputPlan {
  fs::path folder;
  // Set for one shard of a run (--shard): the run's tables go to <folder>/shards/<table>/shard-IIII-of-NNNN.csv,
  // which `merge` joins, instead of <folder>/<table>.csv, which every shard would write.
  std::optional<Shard> shard;
  bool objects = false, labels = false, overlays = false, geojson = false, imagej = false;
  fs::path regions;                                // <regions>/<stem>.geojson per image, when given
  std::map<std::string, std::string> nameClashes;  // image -> why <regions>/<stem>.* is not its (sharedStemReasons)
  Overwrite overwrite = Overwrite::Refuse;
};

// Where the run's table `name` ("counts", "objects", "regions") goes.
fs::path tablePath(const OutputPlan& plan, const std::string& name) {
  if (plan.shard) return plan.folder / "shards" / name / shardTableName(*plan.shard);
  return plan.folder / (name + ".csv");
}

double pixelSizeOf(const ImageCount& result) {
  return result.facts.pixelSize ? result.facts.pixelSize->micrometres : 0;
}

// An image's own files (labels, overlay, GeoJSON, ROI set), all or none: when one cannot be written (a full disk, a
// file that exists without --overwrite), those this call created are removed again, so that no image that
// counts.csv calls failed leaves files behind that look like its results. (A file --overwrite replaced stays
// replaced: the one it held before is gone either way.)
void writeImageOutputs(const OutputPlan& plan, const std::string& stem, const ImageCount& result,
                       const std::vector<PositivityRule>& positivity) {
  std::vector<fs::path> created;
  const auto write = [&](const fs::path& path, const std::string& bytes) {
    std::error_code error;
    const bool existed = fs::exists(path, error);
    writeFileAtomically(path.string(), bytes, plan.overwrite);
    if (!existed) created.push_back(path);
  };
  try {
    if (plan.labels) write(plan.folder / "labels" / (stem + ".png"), labelsPng(result.detection.labels));
    if (plan.overlays)
      write(plan.folder / "overlays" / (stem + ".png"), overlayPng(result.rgb, result.detection, pixelSizeOf(result)));
    if (plan.geojson)
      write(plan.folder / "geojson" / (stem + ".geojson"),
            detectionsGeoJson(result.detection, {pixelSizeOf(result), positivity}));
    if (plan.imagej)
      write(plan.folder / "roisets" / (stem + ".zip"),
            detectionsRoiSet(result.detection, {pixelSizeOf(result), positivity}));
  } catch (...) {
    for (const fs::path& path : created) {
      std::error_code ignored;
      fs::remove(path, ignored);
    }
    throw;
  }
}

// The image's regions: its file in the --regions folder (regionsFilesFor: <name>.geojson or <stem>.geojson from
// QuPath, .zip or .roi from ImageJ), else none (the whole image). Two files that could be its are refused, as is a
// <stem>.* file another image of the run could claim too.
std::vector<Region> regionsOf(const OutputPlan& plan, const std::string& file, cv::Size size) {
  if (plan.regions.empty()) return {};
  const std::vector<RegionsFileMatch> found = regionsFilesFor(plan.regions.string(), file);
  if (found.empty()) return {};
  if (found.size() > 1)
    throw RegionError(found[0].path + " and " + found[1].path + " are both regions of " + file +
                      ": none is used (remove one of them)");
  const RegionsFileMatch& regions = found.front();
  if (const auto clash = plan.nameClashes.find(file); regions.byStem && clash != plan.nameClashes.end())
    throw RegionError(regions.path + " not used: " + clash->second);
  return fs::path(regions.path).extension() == ".geojson" ? loadRegions(regions.path, size)
                                                          : loadRoiRegions(regions.path, size);
}

// What the count command gathers image by image, in the order of the images: the count table's rows, the
// per-object and per-region tables, and each image's own files (written as it arrives).
struct CountTables {
  CountTables(const CellCounter& counter, const OutputPlan& plan) : counter(counter), plan(plan) {}

  const CellCounter& counter;
  const OutputPlan& plan;
  TableLayout layout;
  std::string run;  // CellCounter::runFingerprint of every image of the run, all shards'
  std::vector<CountRow> rows;
  std::string regions;  // regions.csv, header included
  // objects.csv has a column per channel of the image with the most: its rows wait for the last image.
  struct ObjectRows {
    std::string file;
    Detection detection;
    double pixelSizeUm;
    std::optional<std::vector<Region>> regions;  // nullopt: its regions file was refused
  };
  std::vector<ObjectRows> objectRows;
  // Each image's own output stem (labels/<stem>.png, ...), in the order of the images, chosen over the whole run (all
  // shards' images), so that no two shards write one file.
  std::vector<std::string> stems;
  std::size_t added = 0;
  int failures = 0, regionFailures = 0;

  void add(CountOutcome&& outcome) {
    CountRow row = counter.rowFor(outcome.path);
    row.run = run;
    const std::string& stem = stems.at(added++);
    try {
      if (outcome.count)
        record(row, *outcome.count, stem);
      else
        fail(row, outcome.error);
    } catch (const std::exception& e) {  // an output file that could not be written
      fail(row, e.what());
    }
    rows.push_back(std::move(row));
  }

  // An image the run stopped before: a row that says so, without an error line per image.
  void addNotCounted(const std::string& path) {
    CountRow row = counter.rowFor(path);
    row.run = run;
    row.status = "error";
    row.error = "not counted: the run was stopped before this image";
    ++added;
    ++failures;
    rows.push_back(std::move(row));
  }

private:
  // The image's rows of the other tables are kept only once its own files are written: an image that counts.csv
  // calls failed (a full disk while writing its overlay) has no cells in objects.csv or regions.csv either, so that
  // no table adds up cells another says were not counted.
  void record(CountRow& row, const ImageCount& result, const std::string& stem) {
    const std::string& file = result.path;
    counter.recordResult(row, result.detection, result.size, result.threshold, result.cellDiameterPx, result.seconds,
                         result.facts);
    for (const std::string& note : result.facts.notes)
      std::fprintf(stderr, "%snote: %s: %s\n", ::isatty(2) ? "\n" : "", file.c_str(), note.c_str());
    std::optional<std::vector<Region>> imageRegions = std::vector<Region>{};
    std::string imageRegionRows;
    if (!plan.regions.empty()) {
      try {  // a bad regions file loses that image's regions, not its count
        imageRegions = regionsOf(plan, file, result.size);
        imageRegionRows = regionsCsvRows(
            row, countByRegion(result.detection, *imageRegions, result.size, counter.settings().positivity));
      } catch (const RegionError& e) {
        imageRegions.reset();
        std::fprintf(stderr, "%serror: %s\n", ::isatty(2) ? "\n" : "", e.what());
      }
    }
    if (!plan.folder.empty()) writeImageOutputs(plan, stem, result, counter.settings().positivity);
    regions += imageRegionRows;
    if (!imageRegions) ++regionFailures;
    if (plan.objects) {
      layout.channels = std::max(layout.channels, static_cast<int>(result.facts.channels.size()));
      objectRows.push_back({file, {cv::Mat(), result.detection.objects}, pixelSizeOf(result), imageRegions});
    }
  }

  void fail(CountRow& row, const std::string& message) {
    row.status = "error";
    row.count = 0;  // counted, perhaps, but not reported: see record
    row.markerCounts.clear();
    row.error = message;
    ++failures;
    std::fprintf(stderr, "%serror: %s\n", ::isatty(2) ? "\n" : "", message.c_str());
  }
};

// The CLI's side of the app's default-diameter note: counted at the default fixed diameter (the classical method
// without --diameter), a folder whose images mostly came out empty was probably counted at the wrong cell size, and
// says how to find the right one.
void warnIfCountedAtAnUnsuitableDefaultDiameter(const QCommandLineParser& parser, const CellCounter& counter,
                                                const std::vector<CountRow>& rows) {
  if (parser.isSet("diameter") || counter.estimatesDiameter()) return;
  std::vector<int> counts;
  for (const CountRow& row : rows)
    if (row.status == "ok") counts.push_back(row.count);
  if (!mostImagesWithoutCells(counts)) return;
  std::fprintf(stderr,
               "note: no cells found in %td of %zu image(s) at the default cell diameter (%.0f px). Cells "
               "of another size are missed: give --diameter, or '--diameter auto' to estimate it per image.\n",
               std::count(counts.begin(), counts.end(), 0), counts.size(), counter.cellDiameterPx());
}

void printTable(const std::vector<CountRow>& rows) {
  std::size_t width = 4;
  for (const auto& r : rows) width = std::max(width, fileName(r.file).size());
  std::printf("%-*s  %7s  %11s  %8s  %9s  %7s\n", int(width), "file", "count", "size", "diameter", "threshold",
              "seconds");
  for (const auto& r : rows) {
    if (r.status != "ok") {
      std::printf("%-*s  %7s  %s\n", int(width), fileName(r.file).c_str(), "ERROR", r.error.c_str());
      continue;
    }
    const std::string size = std::to_string(r.width) + "x" + std::to_string(r.height);
    // What each slide was counted at (with --diameter auto, its own estimate).
    const bool whole = r.cellDiameterPx == std::round(r.cellDiameterPx);
    const std::string diameter = fixedDecimal(r.cellDiameterPx, whole ? 0 : 1) + " px";
    std::printf("%-*s  %7d  %11s  %8s  %9.3f  %7.2f\n", int(width), fileName(r.file).c_str(), r.count, size.c_str(),
                diameter.c_str(), r.threshold, r.seconds);
  }
}

}  // namespace

int runCountCommand(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(
      "Count cells in every image (PNG, TIFF, JPEG; files or folders). Prints the count table; with --out, also "
      "writes counts.csv and, on request, objects.csv, label masks and overlays. A file that cannot be read is "
      "reported and skipped; the exit status is 1 if any failed.");
  parser.addPositionalArgument("paths", "Image files or folders of images.", "paths...");
  addCounterOptions(parser);
  parser.addOptions({
      {"out", "Folder for counts.csv and the optional outputs below (created if missing).", "dir"},
      {"csv", "Write the count table to this CSV file.", "file"},
      {"objects", "Also write objects.csv: one row per cell (centroid, area, box, mean probability, intensity)."},
      {"labels", "Also write a 16-bit label mask per image to <out>/labels/."},
      {"overlays", "Also write an overlay PNG per image to <out>/overlays/."},
      {"geojson",
       "Also write each image's cells (outlines, measurements) as GeoJSON that QuPath imports, to "
       "<out>/geojson/<stem>.geojson."},
      {"imagej",
       "Also write each image's cells as an ImageJ ROI set (outlines with their measurements, and one "
       "point ROI of all centres) that Fiji's ROI Manager opens, to <out>/roisets/<stem>.zip."},
      {"regions",
       "Count per region too: read <dir>/<stem>.geojson (QuPath annotations: named Polygon or MultiPolygon "
       "features, pixel coordinates) or <dir>/<stem>.zip / .roi (an ImageJ ROI set or ROI, one region "
       "per ROI) for each image, <stem> with or without the image's extension (slide1.tif.geojson), and write "
       "<out>/regions.csv; an image without a file is one region, 'whole image'. A cell belongs to every region "
       "that contains its centroid.",
       "dir"},
      {"overwrite", "Replace existing output files (by default an existing file is an error)."},
      {"pipeline",
       "on: read the next image, and post-process and write the previous one, while the network works on one; off: "
       "each image from start to finish before the next; auto (default): on where the network leaves cores idle "
       "(a GPU, or fewer network threads than cores) or for --classical. The counts are the same either way.",
       "auto|on|off", "auto"},
      {"shard",
       "Count only shard I of N of the images (1-based; a contiguous block of the sorted list), e.g. "
       "$((SLURM_ARRAY_TASK_ID + 1))/$SLURM_ARRAY_TASK_COUNT; 'fluocount-cli merge' joins the shards' tables "
       "into exactly the table of one run. With --out, every shard may share one folder: the tables go to "
       "<out>/shards/<table>/shard-IIII-of-NNNN.csv.",
       "I/N"},
  });
  parseOrExit(parser, arguments);
  if (parser.positionalArguments().isEmpty()) throw CliError("count: name at least one image or folder");

  PipelineSettings pipeline;
  const QString overlap = parser.value("pipeline");
  if (overlap != "auto" && overlap != "on" && overlap != "off") throw CliError("--pipeline must be auto, on or off");
  pipeline.overlap = overlap == "on" ? Overlap::Always : overlap == "off" ? Overlap::Never : Overlap::Automatic;

  OutputPlan plan;
  plan.objects = parser.isSet("objects");
  plan.labels = parser.isSet("labels");
  plan.overlays = parser.isSet("overlays");
  plan.geojson = parser.isSet("geojson");
  plan.imagej = parser.isSet("imagej");
  if (parser.isSet("regions")) {
    plan.regions = parser.value("regions").toStdString();
    if (!fs::is_directory(plan.regions)) throw CliError("--regions: " + plan.regions.string() + " is not a folder");
  }
  plan.overwrite = parser.isSet("overwrite") ? Overwrite::Allow : Overwrite::Refuse;
  if ((plan.objects || plan.labels || plan.overlays || plan.geojson || plan.imagej || !plan.regions.empty()) &&
      !parser.isSet("out"))
    throw CliError("--objects, --labels, --overlays, --geojson, --imagej and --regions need --out DIR");
  std::vector<std::string> tableFiles;
  if (parser.isSet("out")) {
    plan.folder = parser.value("out").toStdString();
    fs::create_directories(plan.folder);
    if (plan.labels) fs::create_directories(plan.folder / "labels");
    if (plan.overlays) fs::create_directories(plan.folder / "overlays");
    if (plan.geojson) fs::create_directories(plan.folder / "geojson");
    if (plan.imagej) fs::create_directories(plan.folder / "roisets");
  }
  if (parser.isSet("shard")) {
    plan.shard = parseShard(parser.value("shard").toStdString());
    if (!plan.shard) throw CliError("--shard must be I/N with 1 <= I <= N, e.g. 3/10");
  }
  if (!plan.folder.empty()) {
    std::vector<std::string> tables{"counts"};
    if (plan.objects) tables.push_back("objects");
    if (!plan.regions.empty()) tables.push_back("regions");
    for (const std::string& name : tables) {
      const fs::path path = tablePath(plan, name);
      fs::create_directories(path.parent_path());
      tableFiles.push_back(path.string());
    }
  }
  if (parser.isSet("csv")) tableFiles.push_back(parser.value("csv").toStdString());
  // Fail before hours of counting rather than after.
  for (const auto& table : tableFiles)
    if (plan.overwrite == Overwrite::Refuse && fs::exists(table))
      throw CliError(table + " already exists; use --overwrite to replace it");

  std::vector<std::string> files = collectImages(parser.positionalArguments());
  const std::vector<std::string> runImages = files;
  if (!plan.regions.empty()) {  // over the whole run, so that every shard reads the same regions for an image
    const std::vector<std::string> clashes = sharedStemReasons(runImages);
    for (std::size_t i = 0; i < runImages.size(); ++i)
      if (!clashes[i].empty()) plan.nameClashes[runImages[i]] = clashes[i];
    // A regions file named after no image would leave its image counted as one "whole image" region in silence.
    const std::vector<std::string> unclaimed = regionsFilesOfNoImage(plan.regions.string(), runImages);
    if (!unclaimed.empty())
      std::fprintf(stderr,
                   "note: %zu regions file(s) in %s belong to no image of the run and are not used: %s%s (a regions "
                   "file is <image name>.geojson, .zip or .roi, with or without the image's extension)\n",
                   unclaimed.size(), plan.regions.string().c_str(), fs::path(unclaimed[0]).filename().c_str(),
                   unclaimed.size() > 1 ? " and others" : "");
  }
  if (const auto shard = plan.shard) {
    const std::size_t all = files.size();
    files = shardOf(files, *shard);
    std::fprintf(stderr, "Shard %d of %d: images %zu to %zu of %zu\n", shard->index, shard->count,
                 all * std::size_t(shard->index - 1) / std::size_t(shard->count) + 1,
                 all * std::size_t(shard->index - 1) / std::size_t(shard->count) + files.size(), all);
  }
  const CellCounter counter = makeCounter(parser);
  if (counter.settings().cellDiameterUm)
    std::fprintf(stderr,
                 "Counting %zu image(s) with %s, cell diameter %.1f um (in pixels from each image's pixel size)\n",
                 files.size(), counter.methodDescription().c_str(), *counter.settings().cellDiameterUm);
  else if (counter.estimatesDiameter())
    std::fprintf(stderr, "Counting %zu image(s) with %s, cell diameter estimated per image\n", files.size(),
                 counter.methodDescription().c_str());
  else
    std::fprintf(stderr, "Counting %zu image(s) with %s, cell diameter %.1f px\n", files.size(),
                 counter.methodDescription().c_str(), counter.cellDiameterPx());

  CountTables tables(counter, plan);
  tables.run = counter.runFingerprint(runImages);
  tables.layout.run = tables.run;
  std::set<std::string> usedStems;
  for (const std::string& image : runImages) tables.stems.push_back(uniqueOutputStem(image, usedStems));
  if (plan.shard) tables.stems = shardOf(tables.stems, *plan.shard);
  tables.layout.markerColumns = counter.markerColumns();
  tables.layout.regions = !plan.regions.empty();
  tables.regions = regionsCsvHeader(tables.layout);
  ProgressBar progress("count", static_cast<int>(files.size()));
  std::signal(SIGINT, onStopSignal);
  std::signal(SIGTERM, onStopSignal);
  // While the network counts one image, the next is read and the previous one post-processed and written.
  countInOrder(
      counter, files,
      [&](CountOutcome&& outcome) {
        tables.add(std::move(outcome));
        progress.advance(fileName(tables.rows.back().file));
      },
      pipeline, &stopRequested);
  progress.finish();
  const std::size_t counted = tables.rows.size();
  for (std::size_t i = counted; i < files.size(); ++i) tables.addNotCounted(files[i]);

  printTable(tables.rows);
  const std::string table = countsCsv(tables.rows, tables.layout);
  if (!plan.folder.empty()) {
    writeFileAtomically(tablePath(plan, "counts").string(), table, plan.overwrite);
    if (plan.objects) {
      std::string objects = objectsCsvHeader(tables.layout);
      for (const CountTables::ObjectRows& o : tables.objectRows)
        objects +=
            objectsCsvRows(o.file, o.detection, o.pixelSizeUm, counter.settings().positivity, tables.layout, o.regions);
      writeFileAtomically(tablePath(plan, "objects").string(), objects, plan.overwrite);
    }
    if (!plan.regions.empty()) writeFileAtomically(tablePath(plan, "regions").string(), tables.regions, plan.overwrite);
  }
  if (parser.isSet("csv")) writeFileAtomically(parser.value("csv").toStdString(), table, plan.overwrite);
  int total = 0;
  for (const auto& r : tables.rows)
    if (r.status == "ok") total += r.count;
  std::printf("total: %d cells in %zu image(s)%s\n", total, tables.rows.size() - tables.failures,
              tables.failures ? (", " + std::to_string(tables.failures) + " failed").c_str() : "");
  if (tables.regionFailures)
    std::printf("%d image(s) without regions (their regions file was refused)\n", tables.regionFailures);
  if (counted < files.size()) {
    std::printf("stopped after %zu of %zu image(s): the tables list the other %zu as not counted\n", counted,
                files.size(), files.size() - counted);
    return 130;
  }
  warnIfCountedAtAnUnsuitableDefaultDiameter(parser, counter, tables.rows);
  return tables.failures || tables.regionFailures ? 1 : 0;
}

}  // namespace fluocount::cli
