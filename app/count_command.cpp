// fluocount-cli count: images or folders -> count table (+ per-object table, label masks, overlays).
#include "app/cli_common.h"
#include "app/progress_bar.h"
#include "core/atomic_file.h"
#include "core/count_journal.h"
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

// An image's own files (labels/<stem>.png, ...) under the plan, relative to the out folder.
std::vector<std::string> imageOutputs(const OutputPlan& plan, const std::string& stem) {
  std::vector<std::string> outputs;
  if (plan.labels) outputs.push_back("labels/" + stem + ".png");
  if (plan.overlays) outputs.push_back("overlays/" + stem + ".png");
  if (plan.geojson) outputs.push_back("geojson/" + stem + ".geojson");
  if (plan.imagej) outputs.push_back("roisets/" + stem + ".zip");
  return outputs;
}

// An image's own files (labels, overlay, GeoJSON, ROI set) and last its journal entry, all or none: when one cannot
// be written (a full disk, a file that exists without --overwrite), those this call created are removed again, so
// that no image that counts.csv calls failed leaves files behind that look like its results, and no journal entry
// names files that are not there. (A file --overwrite replaced stays replaced: the one it held before is gone
// either way.) `replaceable`: files the run claimed for this image before it was stopped, replaced unasked.
void writeImageOutputs(const OutputPlan& plan, const std::string& stem, const ImageCount& result,
                       const std::vector<PositivityRule>& positivity, const CountJournal* journal,
                       const JournalEntry& entry, const std::vector<std::string>& replaceable) {
  const auto overwriteOf = [&](const std::string& output) {
    return std::find(replaceable.begin(), replaceable.end(), output) != replaceable.end() ? Overwrite::Allow
                                                                                          : plan.overwrite;
  };
  // Refused before the journal claims them as this run's.
  for (const std::string& output : entry.outputs)
    if (overwriteOf(output) == Overwrite::Refuse && fs::exists(plan.folder / output))
      throw FileWriteError((plan.folder / output).string() + " already exists; refusing to overwrite it");
  if (journal) journal->claimOutputs(stem, entry.outputs);
  std::vector<fs::path> created;
  const auto write = [&](const std::string& output, const std::string& bytes) {
    const fs::path path = plan.folder / output;
    std::error_code error;
    const bool existed = fs::exists(path, error);
    writeFileAtomically(path.string(), bytes, overwriteOf(output));
    if (!existed) created.push_back(path);
  };
  try {
    if (plan.labels) write("labels/" + stem + ".png", labelsPng(result.detection.labels));
    if (plan.overlays)
      write("overlays/" + stem + ".png", overlayPng(result.rgb, result.detection, pixelSizeOf(result)));
    if (plan.geojson)
      write("geojson/" + stem + ".geojson", detectionsGeoJson(result.detection, {pixelSizeOf(result), positivity}));
    if (plan.imagej)
      write("roisets/" + stem + ".zip", detectionsRoiSet(result.detection, {pixelSizeOf(result), positivity}));
    // Last, as it says that the files above are there; an entry an earlier attempt at this image left is replaced.
    if (journal) writeFileAtomically(journal->entryPath(stem).string(), journalEntryJson(entry), Overwrite::Allow);
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

// What an image's regions come from, as its journal entry records it: the regions folder, the image's regions files
// there and their stamps (a regions file edited since changes it); empty without --regions.
std::string regionsSourceOf(const OutputPlan& plan, const std::string& file) {
  if (plan.regions.empty()) return {};
  std::error_code error;
  std::string source = fs::weakly_canonical(plan.regions, error).string();
  for (const RegionsFileMatch& match : regionsFilesFor(plan.regions.string(), file))
    source += "\n" + match.path + " " + fileStamp(match.path);
  return source;
}

// The journal this process keeps in the out folder: one per shard, as shards may share the folder.
CountJournal journalOf(const OutputPlan& plan) {
  return CountJournal(plan.folder, plan.shard ? fs::path(shardTableName(*plan.shard)).stem().string() : "run");
}

// What the count command gathers image by image: the count table's rows, the per-object and per-region tables, and
// each image's own files (written as it arrives), in the order of the images whatever order they are added in (a
// resumed run adds the journaled images first).
struct CountTables {
  CountTables(const CellCounter& counter, const OutputPlan& plan, std::vector<std::string> files)
      : counter(counter), plan(plan), files(std::move(files)), images(this->files.size()) {}

  const CellCounter& counter;
  const OutputPlan& plan;
  const std::vector<std::string> files;  // this process's images (its shard's), in order
  // Each image's own output stem (labels/<stem>.png, ...), chosen over the whole run (all shards' images), so that
  // no two shards write one file.
  std::vector<std::string> stems;
  TableLayout layout;
  std::string run;                        // CellCounter::runFingerprint of every image of the run, all shards'
  const CountJournal* journal = nullptr;  // with --out
  // Per image, the files a stopped run of this run wrote for it (relative to the out folder), which counting it
  // again replaces without --overwrite.
  std::map<std::size_t, std::vector<std::string>> ownFiles;
  int failures = 0, regionFailures = 0;

  void add(std::size_t i, CountOutcome&& outcome) {
    ImageTables image;
    image.row = counter.rowFor(outcome.path);
    image.row.run = run;
    try {
      if (outcome.count)
        record(image, *outcome.count, stems.at(i), ownFiles[i]);
      else
        fail(image.row, outcome.error);
    } catch (const std::exception& e) {  // an output file that could not be written
      fail(image.row, e.what());
    }
    images.at(i) = std::move(image);
  }

  // An image a stopped run had counted, as its journal holds it.
  void addJournaled(std::size_t i, JournalEntry&& entry) {
    ImageTables image;
    image.row = std::move(entry.row);
    image.channels = entry.channels;
    image.objectRegions = std::move(entry.objectRegions);
    image.regionRows = std::move(entry.regionRows);
    if (plan.objects) image.objects = std::move(entry.objects);
    if (entry.regionsRefused) ++regionFailures;
    images.at(i) = std::move(image);
  }

  // An image the run stopped before: a row that says so, without an error line per image.
  void addNotCounted(std::size_t i) {
    ImageTables image;
    image.row = counter.rowFor(files.at(i));
    image.row.run = run;
    image.row.status = "error";
    image.row.error = "not counted: the run was stopped before this image";
    ++failures;
    images.at(i) = std::move(image);
  }

  std::vector<CountRow> rows() const {
    std::vector<CountRow> rows;
    for (const auto& image : images)
      if (image) rows.push_back(image->row);
    return rows;
  }

  // objects.csv has a column per channel of the image with the most, so it is written once every image is in.
  std::string objectsCsv() const {
    TableLayout objectsLayout = layout;
    for (const auto& image : images)
      if (image) objectsLayout.channels = std::max(objectsLayout.channels, image->channels);
    std::string csv = objectsCsvHeader(objectsLayout);
    for (const auto& image : images)
      if (image && image->row.status == "ok")
        csv += objectsCsvRows(image->row.file, image->objects, image->row.pixelSizeUm, counter.settings().positivity,
                              objectsLayout, image->objectRegions);
    return csv;
  }

  std::string regionsCsv() const {
    std::string csv = regionsCsvHeader(layout);
    for (const auto& image : images)
      if (image) csv += image->regionRows;
    return csv;
  }

private:
  struct ImageTables {
    CountRow row;
    std::vector<DetectedObject> objects;
    int channels = 0;
    std::vector<std::string> objectRegions;  // objects.csv's regions field of each cell
    std::string regionRows;                  // regions.csv's rows
  };
  std::vector<std::optional<ImageTables>> images;  // by index in `files`; empty until added

  // The image's rows of the other tables are kept only once its own files (and its journal entry) are written: an
  // image that counts.csv calls failed (a full disk while writing its overlay) has no cells in objects.csv or
  // regions.csv either, so that no table adds up cells another says were not counted.
  void record(ImageTables& image, const ImageCount& result, const std::string& stem,
              const std::vector<std::string>& replaceable) {
    CountRow& row = image.row;
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
    JournalEntry entry;
    entry.run = run;
    entry.imageStamp = fileStamp(file);
    entry.row = row;
    entry.objects = result.detection.objects;
    entry.channels = static_cast<int>(result.facts.channels.size());
    entry.regionsSource = regionsSourceOf(plan, file);
    entry.regionsRefused = !imageRegions;
    entry.regionRows = imageRegionRows;
    if (!plan.regions.empty()) entry.objectRegions = regionsColumn(result.detection.objects, imageRegions);
    entry.outputs = imageOutputs(plan, stem);
    if (!plan.folder.empty())
      writeImageOutputs(plan, stem, result, counter.settings().positivity, journal, entry, replaceable);
    if (plan.objects) image.objects = std::move(entry.objects);  // objects.csv's rows wait for the last image
    image.channels = entry.channels;
    image.objectRegions = std::move(entry.objectRegions);
    image.regionRows = std::move(imageRegionRows);
    if (!imageRegions) ++regionFailures;
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

std::vector<std::size_t> allIndices(std::size_t n) {
  std::vector<std::size_t> indices(n);
  for (std::size_t i = 0; i < n; ++i) indices[i] = i;
  return indices;
}

// A stopped run continued: the images its journal holds, unchanged and with every file asked for, are taken from
// it; returns the others, which are counted again.
std::vector<std::size_t> resumeJournal(CountTables& tables, const CountJournal& journal) {
  if (journal.run().empty())
    throw CliError(journal.folder().string() +
                   " cannot be read as a journal (its run file is missing or damaged): --overwrite counts every image "
                   "again");
  if (journal.run() != tables.run)
    throw CliError(journal.folder().string() +
                   " is the journal of a run of other images, model or settings: give the stopped run's images and "
                   "options to --resume it, or --overwrite to count every image again");
  std::vector<std::size_t> pending;
  std::string firstReason;
  int countedAgain = 0;
  for (std::size_t i = 0; i < tables.files.size(); ++i) {
    CountJournal::Lookup lookup =
        journal.lookUp(tables.stems.at(i), tables.files[i], tables.run, regionsSourceOf(tables.plan, tables.files[i]),
                       imageOutputs(tables.plan, tables.stems[i]));
    if (lookup.entry) {
      tables.addJournaled(i, std::move(*lookup.entry));
      continue;
    }
    pending.push_back(i);
    tables.ownFiles[i] = std::move(lookup.ownFiles);
    if (lookup.counted && !countedAgain++) firstReason = fileName(tables.files[i]) + ": " + lookup.whyNot;
  }
  std::fprintf(stderr, "Resuming the run in %s: %zu of %zu image(s) kept from its journal, %zu to count\n",
               tables.plan.folder.string().c_str(), tables.files.size() - pending.size(), tables.files.size(),
               pending.size());
  if (countedAgain)
    std::fprintf(stderr, "note: %d image(s) the stopped run had counted are counted again (%s%s)\n", countedAgain,
                 firstReason.c_str(), countedAgain > 1 ? "; and others" : "");
  return pending;
}

// Whether a resumed run may replace its --csv table: where it is the stopped run's own table (every row of this
// run), as an existing table of anything else is refused without --overwrite.
Overwrite csvTableOverwrite(const std::string& path, const std::string& run, const OutputPlan& plan) {
  if (plan.overwrite == Overwrite::Allow || !fs::exists(path)) return plan.overwrite;
  std::string content;
  try {
    content = readWholeFile(path, std::size_t(4) << 30);
  } catch (const std::exception& e) {
    throw CliError(e.what());
  }
  if (runOfTable(content) != run)
    throw CliError(path + " already exists and is not this run's table; use --overwrite to replace it");
  return Overwrite::Allow;
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
      {"resume",
       "Continue a run that was stopped (Ctrl-C, a scheduler's time limit, a killed job) or had failures: give "
       "the same images, options and --out. The images it counted, unchanged since and with their files there, are "
       "kept from its journal (<out>/.fluocount-journal/, removed once a run counts every image); the others are "
       "counted, and the tables written whole. With no stopped run in --out, counts every image."},
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
  std::optional<CountJournal> journal;
  if (!plan.folder.empty()) journal = journalOf(plan);
  if (parser.isSet("resume") && !journal) throw CliError("--resume needs --out DIR, the folder of the stopped run");
  const bool resuming = parser.isSet("resume") && journal->exists();
  if (journal && !resuming) {
    if (journal->exists() && plan.overwrite == Overwrite::Refuse)
      throw CliError(plan.folder.string() + " holds the journal of a run that was stopped or had failures (" +
                     journal->folder().string() +
                     "): --resume counts the images it did not, --overwrite counts every image again");
    if (parser.isSet("resume")) {
      for (const auto& table : tableFiles)
        if (fs::exists(table))
          throw CliError("nothing to resume in " + plan.folder.string() + ": " + table +
                         " is there but no journal of a stopped run (a run that counts every image removes its "
                         "journal); --overwrite counts every image again");
      std::fprintf(stderr, "note: no stopped run in %s: counting every image\n", plan.folder.string().c_str());
    }
  }
  // A resumed run replaces its own tables in the out folder (its journal says they are this run's), and a --csv
  // table whose rows are all this run's (checked once the run is known: resumeJournal).
  if (resuming) tableFiles.clear();
  if (parser.isSet("csv") && !resuming) tableFiles.push_back(parser.value("csv").toStdString());
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

  CountTables tables(counter, plan, files);
  tables.run = counter.runFingerprint(runImages);
  tables.layout.run = tables.run;
  std::set<std::string> usedStems;
  for (const std::string& image : runImages) tables.stems.push_back(uniqueOutputStem(image, usedStems));
  if (plan.shard) tables.stems = shardOf(tables.stems, *plan.shard);
  tables.layout.markerColumns = counter.markerColumns();
  tables.layout.regions = !plan.regions.empty();
  if (journal) tables.journal = &*journal;
  const std::vector<std::size_t> pending = resuming ? resumeJournal(tables, *journal) : allIndices(files.size());
  Overwrite replaceCsv = plan.overwrite;
  if (resuming && parser.isSet("csv"))
    replaceCsv = csvTableOverwrite(parser.value("csv").toStdString(), tables.run, plan);
  if (journal && !resuming) journal->begin(tables.run);

  ProgressBar progress("count", static_cast<int>(pending.size()));
  std::signal(SIGINT, onStopSignal);
  std::signal(SIGTERM, onStopSignal);
  std::vector<std::string> pendingFiles;
  for (std::size_t i : pending) pendingFiles.push_back(files[i]);
  // While the network counts one image, the next is read and the previous one post-processed and written.
  const std::size_t delivered = countInOrder(
      counter, pendingFiles,
      [&](CountOutcome&& outcome) {
        progress.advance(fileName(outcome.path));
        tables.add(pending.at(outcome.index), std::move(outcome));
      },
      pipeline, &stopRequested);
  progress.finish();
  for (std::size_t k = delivered; k < pending.size(); ++k) tables.addNotCounted(pending[k]);

  const std::vector<CountRow> rows = tables.rows();
  printTable(rows);
  const std::string table = countsCsv(rows, tables.layout);
  if (!plan.folder.empty()) {
    const Overwrite replaceTables = resuming ? Overwrite::Allow : plan.overwrite;
    writeFileAtomically(tablePath(plan, "counts").string(), table, replaceTables);
    if (plan.objects) writeFileAtomically(tablePath(plan, "objects").string(), tables.objectsCsv(), replaceTables);
    if (!plan.regions.empty())
      writeFileAtomically(tablePath(plan, "regions").string(), tables.regionsCsv(), replaceTables);
  }
  if (parser.isSet("csv")) writeFileAtomically(parser.value("csv").toStdString(), table, replaceCsv);
  int total = 0;
  for (const auto& r : rows)
    if (r.status == "ok") total += r.count;
  std::printf("total: %d cells in %zu image(s)%s\n", total, rows.size() - tables.failures,
              tables.failures ? (", " + std::to_string(tables.failures) + " failed").c_str() : "");
  if (tables.regionFailures)
    std::printf("%d image(s) without regions (their regions file was refused)\n", tables.regionFailures);
  const bool stopped = delivered < pending.size();
  if (journal && !stopped && !tables.failures && !tables.regionFailures) journal->remove();
  if (stopped) {
    std::printf(
        "stopped after %zu of %zu image(s): the tables list the other %zu as not counted; the same command "
        "with --resume counts them\n",
        files.size() - (pending.size() - delivered), files.size(), pending.size() - delivered);
    return 130;
  }
  if (journal && (tables.failures || tables.regionFailures))
    std::printf("the same command with --resume counts the failed image(s) again and keeps the others\n");
  warnIfCountedAtAnUnsuitableDefaultDiameter(parser, counter, rows);
  return tables.failures || tables.regionFailures ? 1 : 0;
}

}  // namespace fluocount::cli
