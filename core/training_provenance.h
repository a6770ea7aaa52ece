#pragma once
// What a trained model file records of how it was made (ModelInfo::provenance): who trained it and when, the data,
// the split, the settings, each epoch's history, the written weights' threshold curve and validation metrics. The
// trainer writes it; people and the app's version table read it.
#include "core/trainer.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace fluocount {

// What the run itself knows beyond its settings and outcome.
struct TrainingRunRecord {
  const std::vector<PreparedImage>& trainImages;
  const std::vector<PreparedImage>& validationImages;
  const nlohmann::json& history;        // one entry per epoch, a fine-tune's starting model first (epoch 0)
  const nlohmann::json& startingModel;  // a fine-tune's starting model on the validation images; null from scratch
  double weightNormaliser;
  int stepsPerEpoch;
};

// "plateau" or "cosine", as checkpoints and model files name TrainingSettings::learningRateSchedule.
std::string learningRateScheduleName(const TrainingSettings& settings);

nlohmann::json trainingProvenance(const TrainingSettings& settings, const TrainingOutcome& outcome,
                                  const TrainingRunRecord& run);

}  // namespace fluocount
