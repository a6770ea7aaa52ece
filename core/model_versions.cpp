#include "core/model_versions.h"

#include "core/model_file.h"

#include <algorithm>
#include <filesystem>
#include <regex>

namespace fluocount {
namespace fs = std::filesystem;

namespace {

// 3 for "v3.fcmodel", 0 for anything else.
int versionNumber(const fs::path& file) {
  static const std::regex pattern(R"(v([0-9]{1,6})\.fcmodel)");
  std::smatch match;
  const std::string name = file.filename().string();
  return std::regex_match(name, match, pattern) ? std::stoi(match[1]) : 0;
}

template <typename T>
std::optional<T> optionalField(const nlohmann::json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object.at(key).is_number()) return std::nullopt;
  return object.at(key).get<T>();
}

int listLength(const nlohmann::json& object, const char* key) {
  return object.is_object() && object.contains(key) && object.at(key).is_array() ? int(object.at(key).size()) : 0;
}

std::string textField(const nlohmann::json& object, const char* key) {
  return object.is_object() && object.contains(key) && object.at(key).is_string() ? object.at(key).get<std::string>()
                                                                                  : "";
}

}  // namespace

ModelVersion describeModel(const std::string& path) {
  ModelVersion version;
  version.path = path;
  version.name = fs::path(path).stem().string();
  version.number = versionNumber(path);
  try {
    version.info = readModelInfo(path, &version.sha256);
  } catch (const std::exception& e) {
    version.error = e.what();
    return version;
  }
  const nlohmann::json& p = version.info.provenance;
  version.date = textField(p, "date");
  version.startedFrom = textField(p, "started_from");
  version.trainedBy = textField(p, "trained_by");
  version.epochs = optionalField<int>(p, "epochs").value_or(0);
  if (p.contains("split")) {
    version.trainingImages = listLength(p.at("split"), "train");
    version.validationImages = listLength(p.at("split"), "validation");
  }
  if (p.contains("validation_metrics")) {
    const nlohmann::json& m = p.at("validation_metrics");
    version.validationF1 = optionalField<double>(m, "f1");
    version.validationPrecision = optionalField<double>(m, "precision");
    version.validationRecall = optionalField<double>(m, "recall");
    version.validationMae = optionalField<double>(m, "mae");
  }
  if (p.contains("starting_model_validation"))
    version.startingF1 = optionalField<double>(p.at("starting_model_validation"), "f1");
  return version;
}

std::vector<ModelVersion> listModelVersions(const std::string& folder) {
  std::vector<ModelVersion> versions;
  std::error_code error;
  if (!fs::is_directory(folder, error)) return versions;
  for (const auto& entry : fs::directory_iterator(folder, error))
    if (entry.is_regular_file() && versionNumber(entry.path()) > 0)
      versions.push_back(describeModel(entry.path().string()));
  std::sort(versions.begin(), versions.end(), [](const auto& a, const auto& b) { return a.number < b.number; });
  return versions;
}

std::string nextModelVersionPath(const std::string& folder) {
  int largest = 0;
  for (const fs::path& place : {fs::path(folder), fs::path(folder) / "deleted"}) {
    std::error_code error;
    if (!fs::is_directory(place, error)) continue;
    for (const auto& entry : fs::directory_iterator(place, error)) {
      // A checkpoint reserves its version too: an interrupted run writes that version when it is resumed.
      std::string name = entry.path().filename().string();
      const std::string suffix = ".checkpoint";
      if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
        name.resize(name.size() - suffix.size());
      largest = std::max(largest, versionNumber(name));
    }
  }
  return (fs::path(folder) / ("v" + std::to_string(largest + 1) + ".fcmodel")).string();
}

std::optional<ModelVersion> previousModelVersion(const std::vector<ModelVersion>& versions, const std::string& active) {
  const int activeNumber = versionNumber(active);
  if (activeNumber == 0) return std::nullopt;  // the bundled model (or a model from elsewhere) has no predecessor
  std::optional<ModelVersion> previous;
  for (const ModelVersion& v : versions)
    if (v.readable() && v.number > 0 && v.number < activeNumber && (!previous || v.number > previous->number))
      previous = v;
  return previous;
}

void deleteModelVersion(const std::string& path) {
  const fs::path file(path);
  const fs::path bin = file.parent_path() / "deleted";
  std::error_code error;
  fs::create_directories(bin, error);
  if (error) throw std::runtime_error("cannot create " + bin.string() + ": " + error.message());
  for (const fs::path& source : {file, fs::path(path + ".checkpoint")}) {
    if (!fs::exists(source)) continue;
    fs::path target = bin / source.filename();
    for (int n = 2; fs::exists(target); ++n) target = bin / (source.filename().string() + "." + std::to_string(n));
    fs::rename(source, target, error);
    if (error)
      throw std::runtime_error("cannot move " + source.string() + " to " + target.string() + ": " + error.message());
  }
}

}  // namespace fluocount
