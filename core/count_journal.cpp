#include "core/count_journal.h"

#include "core/atomic_file.h"
#include "core/counter.h"
#include "core/image_io.h"
#include "core/run_lock.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>

namespace fluocount {
namespace {

using json = nlohmann::json;

constexpr int kJournalFormat = 1;
const std::string kCountRunLockPrefix = ".fluocount-count-";

// An integer field: a JSON integer within int's range (a float or a huge number is a damaged entry, not a value to
// convert).
int integerOf(const json& value) {
  if (value.is_number_unsigned()) {
    if (value.get<std::uint64_t>() > std::uint64_t(std::numeric_limits<int>::max()))
      throw JournalError("an integer field is out of range");
    return int(value.get<std::uint64_t>());
  }
  if (!value.is_number_integer()) throw JournalError("an integer field holds " + std::string(value.type_name()));
  const std::int64_t number = value.get<std::int64_t>();
  if (number < std::numeric_limits<int>::min() || number > std::numeric_limits<int>::max())
    throw JournalError("an integer field is out of range");
  return int(number);
}

std::vector<int> integersOf(const json& array) {
  std::vector<int> values;
  for (const json& v : array.get<std::vector<json>>()) values.push_back(integerOf(v));
  return values;
}

// A channel's mean is NaN where the cell has no pixel in it; JSON has no NaN, so it is written as null.
json measurementsJson(const std::vector<double>& values) {
  json array = json::array();
  for (double v : values) array.push_back(std::isfinite(v) ? json(v) : json(nullptr));
  return array;
}

std::vector<double> measurementsFrom(const json& array) {
  std::vector<double> values;
  for (const json& v : array.get<std::vector<json>>())
    values.push_back(v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.get<double>());
  return values;
}

json rowJson(const CountRow& row) {
  return {{"file", row.file},
          {"status", row.status},
          {"count", row.count},
          {"width", row.width},
          {"height", row.height},
          {"threshold", row.threshold},
          {"cell_diameter_px", row.cellDiameterPx},
          {"cell_diameter_source", row.cellDiameterSource},
          {"seconds", row.seconds},
          {"method", row.method},
          {"error", row.error},
          {"model", row.model},
          {"model_sha256", row.modelSha256},
          {"run", row.run},
          {"options", row.options},
          {"pixel_size_um", row.pixelSizeUm},
          {"pixel_size_source", row.pixelSizeSource},
          {"marker_counts", row.markerCounts}};
}

CountRow rowFrom(const json& j) {
  CountRow row;
  row.file = j.at("file").get<std::string>();
  row.status = j.at("status").get<std::string>();
  row.count = integerOf(j.at("count"));
  row.width = integerOf(j.at("width"));
  row.height = integerOf(j.at("height"));
  row.threshold = j.at("threshold").get<double>();
  row.cellDiameterPx = j.at("cell_diameter_px").get<double>();
  // Not in a journal written before 2026-12-07: the source is then not known.
  row.cellDiameterSource = j.value("cell_diameter_source", std::string());
  if (!row.cellDiameterSource.empty() && !diameterSourceNamed(row.cellDiameterSource))
    throw JournalError("its row's cell_diameter_source \"" + row.cellDiameterSource + "\" is not one FluoCount writes");
  row.seconds = j.at("seconds").get<double>();
  row.method = j.at("method").get<std::string>();
  row.error = j.at("error").get<std::string>();
  row.model = j.at("model").get<std::string>();
  row.modelSha256 = j.at("model_sha256").get<std::string>();
  row.run = j.at("run").get<std::string>();
  row.options = j.at("options").get<std::string>();
  row.pixelSizeUm = j.at("pixel_size_um").get<double>();
  row.pixelSizeSource = j.at("pixel_size_source").get<std::string>();
  row.markerCounts = integersOf(j.at("marker_counts"));
  return row;
}

json objectJson(const DetectedObject& o) {
  return {{"label", o.label},
          {"centroid", {o.centroid.x, o.centroid.y}},
          {"box", {o.boundingBox.x, o.boundingBox.y, o.boundingBox.width, o.boundingBox.height}},
          {"area_px", o.areaPx},
          {"mean_probability", o.meanProbability},
          {"mean_intensity", o.meanIntensity},
          {"channel_means", measurementsJson(o.channelMeans)}};
}

DetectedObject objectFrom(const json& j) {
  DetectedObject o;
  o.label = integerOf(j.at("label"));
  const auto centroid = j.at("centroid").get<std::vector<double>>();
  const auto box = integersOf(j.at("box"));
  if (centroid.size() != 2 || box.size() != 4) throw JournalError("an object's centroid or box is malformed");
  o.centroid = {centroid[0], centroid[1]};
  o.boundingBox = {box[0], box[1], box[2], box[3]};
  o.areaPx = integerOf(j.at("area_px"));
  o.meanProbability = j.at("mean_probability").get<double>();
  o.meanIntensity = j.at("mean_intensity").get<double>();
  o.channelMeans = measurementsFrom(j.at("channel_means"));
  return o;
}

}  // namespace

std::string journalEntryJson(const JournalEntry& entry) {
  json objects = json::array();
  for (const DetectedObject& o : entry.objects) objects.push_back(objectJson(o));
  const json j = {{"fluocount_count_journal", kJournalFormat},
                  {"run", entry.run},
                  {"image_stamp", entry.imageStamp},
                  {"row", rowJson(entry.row)},
                  {"objects", objects},
                  {"channels", entry.channels},
                  {"regions_source", entry.regionsSource},
                  {"regions_refused", entry.regionsRefused},
                  {"region_rows", entry.regionRows},
                  {"object_regions", entry.objectRegions},
                  {"outputs", entry.outputs}};
  try {
    return j.dump() + "\n";
  } catch (const json::exception&) {  // JSON holds UTF-8 text only
    throw JournalError("a name in the entry is not UTF-8 text (a file name in another encoding)");
  }
}

JournalEntry parseJournalEntry(const std::string& text) {
  try {
    const json j = json::parse(text);
    if (!j.is_object() || j.value("fluocount_count_journal", 0) != kJournalFormat)
      throw JournalError("not a FluoCount count journal entry of format " + std::to_string(kJournalFormat));
    JournalEntry entry;
    entry.run = j.at("run").get<std::string>();
    entry.imageStamp = j.at("image_stamp").get<std::string>();
    entry.row = rowFrom(j.at("row"));
    for (const json& o : j.at("objects")) entry.objects.push_back(objectFrom(o));
    entry.channels = integerOf(j.at("channels"));
    entry.regionsSource = j.at("regions_source").get<std::string>();
    entry.regionsRefused = j.at("regions_refused").get<bool>();
    entry.regionRows = j.at("region_rows").get<std::string>();
    entry.objectRegions = j.at("object_regions").get<std::vector<std::string>>();
    entry.outputs = j.at("outputs").get<std::vector<std::string>>();
    if (entry.row.status != "ok" || entry.row.count != int(entry.objects.size()))
      throw JournalError("its row and its cells disagree");
    if (!entry.regionsSource.empty() && entry.objectRegions.size() != entry.objects.size())
      throw JournalError("its cells and their regions disagree");
    return entry;
  } catch (const json::exception& e) {
    throw JournalError(std::string("damaged journal entry: ") + e.what());
  }
}

std::string fileStamp(const std::string& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  if (error) return {};
  const auto modified = std::filesystem::last_write_time(path, error);
  if (error) return {};
  return std::to_string(size) + " bytes, modified " + std::to_string(modified.time_since_epoch().count());
}

std::string imageStamp(const std::string& path) {
  const std::string stamp = fileStamp(path);
  return stamp.empty() ? stamp : stamp + ", read " + std::to_string(kImageReaderVersion);
}

namespace {
namespace fs = std::filesystem;

bool sameFile(const std::string& a, const std::string& b) {
  std::error_code error;
  return a == b || fs::weakly_canonical(a, error) == fs::weakly_canonical(b, error);
}
}  // namespace

fs::path countRunLockFile(const fs::path& outFolder, const std::string& journalName) {
  return outFolder / (kCountRunLockPrefix + journalName + ".lock");
}

std::optional<std::string> countRunWritingTo(const fs::path& outFolder) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(outFolder, error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kCountRunLockPrefix, 0) != 0) continue;
    if (auto holder = runLockHolder(entry.path())) return holder;
  }
  return std::nullopt;
}

CountJournal::CountJournal(const fs::path& outFolder, const std::string& name)
    : outFolder_(outFolder), folder_(outFolder / ".fluocount-journal" / name) {}

bool CountJournal::exists() const {
  std::error_code error;
  return fs::exists(folder_, error);
}

std::string CountJournal::run() const {
  try {
    std::string run = readWholeFile((folder_ / "run").string(), 1024);
    while (!run.empty() && (run.back() == '\n' || run.back() == '\r')) run.pop_back();
    return run;
  } catch (const std::exception&) {
    return {};
  }
}

void CountJournal::begin(const std::string& run) {
  std::error_code error;
  fs::remove_all(folder_, error);
  if (error) throw FileWriteError("cannot remove the old journal " + folder_.string() + ": " + error.message());
  fs::create_directories(folder_, error);
  if (error) throw FileWriteError("cannot create the journal " + folder_.string() + ": " + error.message());
  writeFileAtomically((folder_ / "run").string(), run + "\n");
}

fs::path CountJournal::entryPath(const std::string& stem) const { return folder_ / (stem + ".json"); }

void CountJournal::claimOutputs(const std::string& stem, const std::vector<std::string>& outputs) const {
  std::string lines;
  for (const std::string& output : outputs) lines += output + "\n";
  writeFileAtomically((folder_ / (stem + ".outputs")).string(), lines);
}

CountJournal::Lookup CountJournal::lookUp(const std::string& stem, const std::string& file, const std::string& run,
                                          const std::string& regionsSource,
                                          const std::vector<std::string>& requiredOutputs) const {
  Lookup lookup;
  try {
    const std::string claimed = readWholeFile((folder_ / (stem + ".outputs")).string(), std::size_t(1) << 20);
    for (std::size_t start = 0, end; (end = claimed.find('\n', start)) != std::string::npos; start = end + 1)
      lookup.ownFiles.push_back(claimed.substr(start, end - start));
  } catch (const std::exception&) {  // none claimed
  }
  const fs::path path = entryPath(stem);
  std::error_code error;
  if (!fs::exists(path, error)) return lookup;
  lookup.counted = true;
  JournalEntry entry;
  try {
    entry = parseJournalEntry(readWholeFile(path.string(), std::size_t(1) << 30));
  } catch (const std::exception& e) {
    lookup.whyNot = path.string() + ": " + e.what();
    return lookup;
  }
  if (entry.run != run || !sameFile(entry.row.file, file)) {
    lookup.whyNot = "its journal entry is of another run or image";
    return lookup;
  }
  if (!entry.imageStamp.empty() && entry.imageStamp == fileStamp(file)) {
    lookup.whyNot = "an earlier FluoCount counted it, which read images otherwise";
  } else if (entry.imageStamp.empty() || entry.imageStamp != imageStamp(file)) {
    lookup.whyNot = "the image changed after it was counted";
  } else if (entry.regionsSource != regionsSource) {
    lookup.whyNot = "its regions changed after it was counted";
  } else if (entry.regionsRefused) {
    lookup.whyNot = "its regions file was refused";
  } else {
    for (const std::string& output : requiredOutputs)
      if (std::find(entry.outputs.begin(), entry.outputs.end(), output) == entry.outputs.end() ||
          !fs::exists(outFolder_ / output, error)) {
        lookup.whyNot = output + " is missing";
        return lookup;
      }
    entry.row.file = file;  // the same file, as this run names it
    lookup.entry = std::move(entry);
  }
  return lookup;
}

void CountJournal::remove() const {
  std::error_code error;
  fs::remove_all(folder_, error);
  fs::remove(folder_.parent_path(), error);  // only when empty: another shard's journal stays
}

}  // namespace fluocount
