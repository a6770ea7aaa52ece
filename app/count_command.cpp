// fluocount-cli count: images or folders -> count table (+ per-object table, label masks, overlays).
#include "app/cli_common.h"
#include "app/count_tables.h"
#include "app/progress_bar.h"
#include "core/atomic_file.h"
#include "core/numeric_locale.h"
#include "core/slide_folder.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
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

// With --diameter auto, what became of the images in which too few cells were found to measure their size: counted
// again at the median of the others' estimates (countAgainAtTheRunMedian), which the table shows as measured
// diameters and this says; or, where the estimates rest on too few cells (kCellsForTheMedian) or a shard saw only its
// own, at the default diameter, which says nothing about their cells: the table marks them, and this says what to do.
void warnOfImagesWithoutAnEstimate(const CellCounter& counter, const std::vector<CountRow>& rows, bool shard) {
  if (!counter.estimatesDiameter()) return;
  const std::string notEstimated = diameterSourceName(DiameterSource::NotEstimated);
  const std::string atTheMedian = diameterSourceName(DiameterSource::MedianOfOthers);
  const std::string estimated = diameterSourceName(DiameterSource::Estimated);
  std::vector<DiameterEstimate> estimates;  // each image one vote, as in the second pass
  std::ptrdiff_t without = 0, counted = 0;
  double medianPx = 0;
  for (const CountRow& row : rows) {
    if (row.status != "ok") continue;
    if (row.cellDiameterSource == notEstimated) ++without;
    if (row.cellDiameterSource == atTheMedian) {
      ++counted;
      medianPx = row.cellDiameterPx;
    }
    if (row.cellDiameterSource == estimated) estimates.push_back({row.cellDiameterPx, 1.0, {}});
  }
  if (counted)
    std::fprintf(
        stderr,
        "note: %td of %zu image(s) had too few cells to estimate their cell diameter: they were counted at the "
        "median of the others' estimates, %s px (cell_diameter_source \"%s\" in counts.csv). If they hold "
        "cells of another size, count them with --diameter.\n",
        counted, rows.size(), fixedDecimal(medianPx, 1).c_str(), atTheMedian.c_str());
  if (without == 0) return;
  std::string advice = kGiveTheDiameter;
  if (shard && !estimates.empty()) {
    const std::string median = fixedDecimal(std::round(folderDiameter(estimates)), 0);
    advice =
        "A shard counts them at the default, not at the median of the run's estimates, which it does not see; "
        "this shard's other images have a median of " +
        median +
        " px: if those images hold cells, count them "
        "with --diameter " +
        median + " (or your cells' diameter), or count the run without --shard.";
  }
  noteImagesWithoutAnEstimate(without, rows.size(), counter.cellDiameterPx(),
                              "marked '?' above; cell_diameter_source \"" + notEstimated + "\" in counts.csv", advice);
}

// The run's second pass (core/counter.h, SecondPass): the images in which too few cells were found to estimate their
// diameter are counted again at the median of the others' estimates, their rows and files replaced. Not for a shard,
// which sees only its own images' estimates (warnOfImagesWithoutAnEstimate says what to do). A resumed run does it
// over every image, journaled or not, so that all are counted at one median. Returns false when stopped.
bool countAgainAtTheRunMedian(CountTables& tables, PipelineSettings pipeline) {
  if (!tables.counter.estimatesDiameter()) return true;
  const std::optional<SecondPass> pass = secondPassOf(tables.countedDiameters());
  if (!pass) return true;
  std::fprintf(stderr,
               "Counting %zu image(s) with too few cells to estimate their diameter again, at the median of the "
               "others' estimates (%s px)\n",
               pass->images.size(), fixedDecimal(pass->diameterPx, 1).c_str());
  std::vector<std::string> paths;
  for (std::size_t i : pass->images) paths.push_back(tables.files.at(i));
  pipeline.othersMedianPx = pass->diameterPx;
  ProgressBar progress("count again", static_cast<int>(paths.size()));
  const std::size_t delivered = countInOrder(
      tables.counter, paths,
      [&](CountOutcome&& outcome) {
        progress.advance(fileName(outcome.path));
        tables.replace(pass->images.at(outcome.index), std::move(outcome));
      },
      pipeline, &stopRequested);
  progress.finish();
  return delivered == paths.size();
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
    const bool notEstimated = r.cellDiameterSource == diameterSourceName(DiameterSource::NotEstimated);
    const std::string diameter = fixedDecimal(r.cellDiameterPx, whole ? 0 : 1) + (notEstimated ? " px?" : " px");
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
                   " is the journal of a run of other images, model or settings (or of a FluoCount whose tables had "
                   "other columns): give the stopped run's images and options to --resume it, or --overwrite to count "
                   "every image again");
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
      {"out",
       "Folder for counts.csv and the optional outputs below (created if missing). One run at a time: while a run "
       "writes there, another into the same folder (or shard) is refused.",
       "dir"},
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
  std::optional<RunLock> outFolderLock;  // held until the run ends: a second run into the folder is refused
  if (!plan.folder.empty()) {
    journal = journalOf(plan);
    holdRunLock(outFolderLock, runLockFileOf(plan), "fluocount-cli count",
                plan.shard ? plan.folder.string() + " (this shard's tables)" : plan.folder.string());
  }
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
  const bool stopped = delivered < pending.size();
  const bool stoppedInSecondPass = !stopped && !plan.shard && !countAgainAtTheRunMedian(tables, pipeline);

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
  if (journal && !stopped && !stoppedInSecondPass && !tables.failures && !tables.regionFailures) journal->remove();
  // Without --out there is no journal to resume from: the run is counted again.
  if (stoppedInSecondPass) {
    std::printf(
        "stopped while counting the images without an estimate again: those it did not reach keep their count at the "
        "default diameter (cell_diameter_source \"%s\"); %s\n",
        diameterSourceName(DiameterSource::NotEstimated).c_str(),
        journal ? "the same command with --resume counts them at the median" : "run the command again");
    return 130;
  }
  if (stopped) {
    std::printf("stopped after %zu of %zu image(s): the tables list the other %zu as not counted; %s\n",
                files.size() - (pending.size() - delivered), files.size(), pending.size() - delivered,
                journal ? "the same command with --resume counts them"
                        : "run the command again (with --out DIR, a stopped run can be resumed)");
    return 130;
  }
  if (journal && (tables.failures || tables.regionFailures))
    std::printf("the same command with --resume counts the failed image(s) again and keeps the others\n");
  warnIfCountedAtAnUnsuitableDefaultDiameter(parser, counter, rows);
  warnOfImagesWithoutAnEstimate(counter, rows, plan.shard.has_value());
  return tables.failures || tables.regionFailures ? 1 : 0;
}

}  // namespace fluocount::cli
