#pragma once
// A project's trained model versions: <folder>/v1.fcmodel, v2.fcmodel, ... each with the metrics, threshold, data
// and date that training recorded in it, so that versions can be compared, made active, rolled back and deleted.
// Deleting moves a version into <folder>/deleted/ rather than destroying it.
#include "core/model_info.h"

#include <optional>
#include <string>
#include <vector>

namespace fluocount {

struct ModelVersion {
  std::string path;
  std::string name;   // file stem: "v3"
  int number = 0;     // 3 for v3.fcmodel; 0 for a model outside the numbering (the bundled one)
  std::string error;  // why the file could not be read; the fields below are then empty
  ModelInfo info;
  std::string date, startedFrom, trainedBy;
  std::string sha256;  // of the file: the model_sha256 of the count tables it writes
  int epochs = 0, trainingImages = 0, validationImages = 0;
  // On its validation images at its own threshold, when training recorded them.
  std::optional<double> validationF1, validationPrecision, validationRecall, validationMae;
  // A fine-tune's starting model on the same validation images, at that model's threshold.
  std::optional<double> startingF1;
  bool readable() const { return error.empty(); }
};

// Reads the model's header; never throws (a damaged file gets `error`).
ModelVersion describeModel(const std::string& path);

// The v<N>.fcmodel files in `folder`, by increasing N (an absent folder has none).
std::vector<ModelVersion> listModelVersions(const std::string& folder);

// Where the next version goes: v<largest N + 1>.fcmodel (v1 in an empty folder). Versions in deleted/ count too,
// so a deleted name is never reused.
std::string nextModelVersionPath(const std::string& folder);

// The version that rolling back from `active` makes active: the readable version with the largest number below
// its own, or nothing (meaning the bundled model) when there is none.
std::optional<ModelVersion> previousModelVersion(const std::vector<ModelVersion>& versions, const std::string& active);

// Moves the model file (and its training checkpoint, if any) into <folder>/deleted/. Throws std::runtime_error
// saying why when it cannot.
void deleteModelVersion(const std::string& path);

}  // namespace fluocount
