#include "app/count_tables.h"

#include "core/atomic_file.h"
#include "core/imagej_roi.h"
#include "core/slide_folder.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace fluocount::cli {
namespace fs = std::filesystem;

namespace {

double pixelSizeOf(const ImageCount& result) {
  return result.facts.pixelSize ? result.facts.pixelSize->micrometres : 0;
}

// The image's journal entry, or none where its names are not UTF-8 (a file name in another encoding): such an image is
// counted and written as any other, and a resumed run counts it again.
std::string journalEntryText(const JournalEntry& entry) {
  try {
    return journalEntryJson(entry);
  } catch (const JournalError&) {
    return {};
  }
}

// The bytes of one of an image's own files, by the folder imageOutputs names for it.
std::string outputBytes(const std::string& output, const ImageCount& result,
                        const std::vector<PositivityRule>& positivity) {
  const std::string folder = output.substr(0, output.find('/'));
  if (folder == "labels") return labelsPng(result.detection.labels);
  if (folder == "overlays") return overlayPng(result.rgb, result.detection, pixelSizeOf(result));
  if (folder == "geojson") return detectionsGeoJson(result.detection, {pixelSizeOf(result), positivity});
  if (folder == "roisets") return detectionsRoiSet(result.detection, {pixelSizeOf(result), positivity});
  throw std::logic_error("no output file kind " + folder);
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
    for (const std::string& output : entry.outputs) write(output, outputBytes(output, result, positivity));
    // Last, as it says that the files above are there; an entry an earlier attempt at this image left is replaced.
    if (const std::string text = journal ? journalEntryText(entry) : std::string(); !text.empty())
      writeFileAtomically(journal->entryPath(stem).string(), text, Overwrite::Allow);
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
  LeftOutOfRegions leftOut;  // a QuPath export's detections, a Fiji set's points: said, not taken for regions
  std::vector<Region> read = fs::path(regions.path).extension() == ".geojson"
                                 ? loadRegions(regions.path, size, &leftOut)
                                 : loadRoiRegions(regions.path, size, &leftOut);
  if (leftOut.any())
    std::fprintf(stderr, "%snote: %s: %s\n", ::isatty(2) ? "\n" : "", regions.path.c_str(), leftOut.describe().c_str());
  return read;
}

}  // namespace

fs::path tablePath(const OutputPlan& plan, const std::string& name) {
  if (plan.shard) return plan.folder / "shards" / name / shardTableName(*plan.shard);
  return plan.folder / (name + ".csv");
}

std::vector<std::string> imageOutputs(const OutputPlan& plan, const std::string& stem) {
  std::vector<std::string> outputs;
  if (plan.labels) outputs.push_back("labels/" + stem + ".png");
  if (plan.overlays) outputs.push_back("overlays/" + stem + ".png");
  if (plan.geojson) outputs.push_back("geojson/" + stem + ".geojson");
  if (plan.imagej) outputs.push_back("roisets/" + stem + ".zip");
  return outputs;
}

std::string regionsSourceOf(const OutputPlan& plan, const std::string& file) {
  if (plan.regions.empty()) return {};
  std::error_code error;
  std::string source = fs::weakly_canonical(plan.regions, error).string();
  for (const RegionsFileMatch& match : regionsFilesFor(plan.regions.string(), file))
    source += "\n" + match.path + " " + fileStamp(match.path);
  return source;
}

namespace {
std::string journalNameOf(const OutputPlan& plan) {
  return plan.shard ? fs::path(shardTableName(*plan.shard)).stem().string() : "run";
}
}  // namespace

CountJournal journalOf(const OutputPlan& plan) { return CountJournal(plan.folder, journalNameOf(plan)); }

fs::path runLockFileOf(const OutputPlan& plan) { return countRunLockFile(plan.folder, journalNameOf(plan)); }

fs::path runLockFileOfShardTable(const fs::path& table) {
  const fs::path tableFolder = table.parent_path(), shards = tableFolder.parent_path();
  if (shards.filename() != "shards" || table.extension() != ".csv") return {};
  return countRunLockFile(shards.parent_path(), table.stem().string());
}

void CountTables::add(std::size_t i, CountOutcome&& outcome) {
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

void CountTables::addJournaled(std::size_t i, JournalEntry&& entry) {
  ImageTables image;
  image.row = std::move(entry.row);
  image.channels = entry.channels;
  image.objectRegions = std::move(entry.objectRegions);
  image.regionRows = std::move(entry.regionRows);
  if (plan.objects) image.objects = std::move(entry.objects);
  image.regionsRefused = entry.regionsRefused;
  if (entry.regionsRefused) ++regionFailures;
  images.at(i) = std::move(image);
}

void CountTables::replace(std::size_t i, CountOutcome&& outcome) {
  if (images.at(i) && images[i]->regionsRefused) --regionFailures;
  ownFiles[i] = imageOutputs(plan, stems.at(i));
  add(i, std::move(outcome));
  if (images[i]->row.status == "ok") return;
  std::error_code ignored;  // what cannot be removed stays unclaimed by any journal entry, and a resume replaces it
  for (const std::string& output : ownFiles[i]) fs::remove(plan.folder / output, ignored);
  if (journal) fs::remove(journal->entryPath(stems[i]), ignored);
}

std::vector<std::optional<CountedDiameter>> CountTables::countedDiameters() const {
  std::vector<std::optional<CountedDiameter>> counted(images.size());
  for (std::size_t i = 0; i < images.size(); ++i) {
    if (!images[i] || images[i]->row.status != "ok") continue;
    const CountRow& row = images[i]->row;
    if (const auto source = diameterSourceNamed(row.cellDiameterSource))
      counted[i] = CountedDiameter{*source, row.cellDiameterPx, row.count};
  }
  return counted;
}

void CountTables::addNotCounted(std::size_t i) {
  ImageTables image;
  image.row = counter.rowFor(files.at(i));
  image.row.run = run;
  image.row.status = "error";
  image.row.error = "not counted: the run was stopped before this image";
  ++failures;
  images.at(i) = std::move(image);
}

std::vector<CountRow> CountTables::rows() const {
  std::vector<CountRow> rows;
  for (const auto& image : images)
    if (image) rows.push_back(image->row);
  return rows;
}

std::string CountTables::objectsCsv() const {
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

std::string CountTables::regionsCsv() const {
  std::string csv = regionsCsvHeader(layout);
  for (const auto& image : images)
    if (image) csv += image->regionRows;
  return csv;
}

// The image's rows of the other tables are kept only once its own files (and its journal entry) are written: an
// image that counts.csv calls failed (a full disk while writing its overlay) has no cells in objects.csv or
// regions.csv either, so that no table adds up cells another says were not counted.
void CountTables::record(ImageTables& image, const ImageCount& result, const std::string& stem,
                         const std::vector<std::string>& replaceable) {
  CountRow& row = image.row;
  const std::string& file = result.path;
  counter.recordResult(row, result.detection, result.size, result.threshold, result.cellDiameterPx, result.seconds,
                       result.facts, result.diameterSource);
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
  entry.imageStamp = imageStamp(file);
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
  image.regionsRefused = !imageRegions;
  if (!imageRegions) ++regionFailures;
}

void CountTables::fail(CountRow& row, const std::string& message) {
  row.status = "error";
  row.count = 0;  // counted, perhaps, but not reported: see record
  row.markerCounts.clear();
  row.error = message;
  ++failures;
  std::fprintf(stderr, "%serror: %s\n", ::isatty(2) ? "\n" : "", message.c_str());
}

}  // namespace fluocount::cli
