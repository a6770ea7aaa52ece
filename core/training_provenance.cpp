#include "core/training_provenance.h"

#include "core/utf8.h"

#include <ctime>

namespace fluocount {
namespace {

std::string now() {
  const std::time_t time = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&time));
  return text;
}

nlohmann::json sourcesJson(const std::vector<DatasetSource>& sources) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& s : sources) {
    nlohmann::json source = {{"folder", validUtf8(s.folder)}, {"augmentation_factor", s.augmentationFactor}};
    if (s.eachImageOwnDiameter)
      source["each_image_own_cell_diameter"] = true;  // measured on its mask (DatasetSource)
    else
      source["cell_diameter_px"] = s.cellDiameterPx;
    list.push_back(source);
  }
  return list;
}

template <typename Texts>
std::vector<std::string> utf8Texts(const Texts& texts) {
  std::vector<std::string> out;
  for (const std::string& text : texts) out.push_back(validUtf8(text));
  return out;
}

nlohmann::json namesJson(const std::vector<PreparedImage>& images) {
  nlohmann::json list = nlohmann::json::array();
  // A file name in another encoding than UTF-8 (Latin-1 from an old share) would stop the model file from being
  // written after the whole run: it is recorded with U+FFFD for the bytes JSON cannot hold.
  for (const auto& image : images) list.push_back(validUtf8(image.name));
  return list;
}

std::string selectionName(TrainingSettings::Selection selection) {
  switch (selection) {
    case TrainingSettings::Selection::LowestValidationLoss: return "lowest validation loss";
    case TrainingSettings::Selection::HighestValidationF1: return "highest validation F1";
    case TrainingSettings::Selection::LastEpoch: return "last epoch";
  }
  return "";
}

nlohmann::json settingsJson(const TrainingSettings& s, const TrainingRunRecord& run) {
  return {{"crop_size", s.cropSize},
          {"crop_step", s.cropStep},
          {"batch_size", s.batchSize},
          {"max_epochs", s.maxEpochs},
          {"learning_rate", s.learningRate},
          {"learning_rate_schedule", learningRateScheduleName(s)},
          {"weight_maps", s.useWeightMaps},
          {"separate_touching_instances", s.separateTouchingInstances},
          {"freeze_batchnorm", s.freezeBatchNorm},
          {"decoder_only", s.decoderOnly},
          {"weight_average_decay", s.weightAverageDecay},
          {"step_precision", precisionName(s.stepPrecision)},
          {"each_image_own_diameter", !s.trainingExamples.empty() && s.explicitExamplesAtOwnDiameter},
          {"oversampling", s.useOversampling},
          {"artifact_oversampling", s.artifactOversampling},
          {"flagged_artifact_crops", s.artifacts.size()},
          {"false_detection_crops", s.mineFalseDetections},
          {"zoom", {s.augmentation.minZoom, s.augmentation.maxZoom}},
          {"weight_normaliser", run.weightNormaliser},
          {"steps_per_epoch", run.stepsPerEpoch}};
}

nlohmann::json thresholdCurveJson(const SweepResult& sweep) {
  nlohmann::json curve = nlohmann::json::array();
  for (const auto& p : sweep.points)
    curve.push_back({{"threshold", p.threshold},
                     {"f1", p.f1},
                     {"precision", p.precision},
                     {"recall", p.recall},
                     {"count", p.totalCount}});
  return curve;
}

}  // namespace

std::string learningRateScheduleName(const TrainingSettings& settings) {
  return settings.learningRateSchedule == TrainingSettings::LearningRateSchedule::Cosine ? "cosine" : "plateau";
}

nlohmann::json trainingProvenance(const TrainingSettings& s, const TrainingOutcome& outcome,
                                  const TrainingRunRecord& run) {
  const bool pooledCurve =
      s.thresholdImages == TrainingSettings::ThresholdImages::TrainingAndValidation && !outcome.keptStartingWeights;
  const SweepResult& sweep = outcome.sweep;
  const auto& v = outcome.validation;
  return {
      {"trained_by", s.trainedBy},
      {"date", now()},
      {"started_from", s.initialModel.empty() ? "scratch" : validUtf8(s.initialModel)},
      {"training_data", sourcesJson(s.training)},
      {"validation_data", sourcesJson(s.validation)},
      {"split",
       {{"seed", s.seed},
        {"train", namesJson(run.trainImages)},
        {"validation", namesJson(run.validationImages)},
        {"held_out", utf8Texts(s.excludedImages)}}},
      {"settings", settingsJson(s, run)},
      {"epochs", outcome.epochs},
      {"selected_epoch", outcome.selectedEpoch},
      {"selection", selectionName(s.selection)},
      {"kept_starting_weights", outcome.keptStartingWeights},
      {"minimum_f1_gain_over_start", s.minimumF1GainOverStart},
      {"fewer_errors_beyond_chance", s.requireFewerErrorsBeyondChance},
      {"history", run.history},
      {"threshold_curve", thresholdCurveJson(sweep)},
      {"threshold_curve_images", pooledCurve ? "training and validation" : "validation"},
      {"starting_model_validation", run.startingModel},
      {"knee_threshold", sweep.knee ? nlohmann::json(sweep.points[*sweep.knee].threshold) : nlohmann::json(nullptr)},
      {"argmax_f1_threshold", sweep.points[sweep.argmaxF1.value_or(0)].threshold},
      {"validation_metrics",
       {{"threshold", outcome.threshold},
        {"f1", v.f1},
        {"precision", v.precision},
        {"recall", v.recall},
        {"accuracy", v.accuracy},
        {"mae", v.meanAbsoluteError},
        {"medae", v.medianAbsoluteError},
        {"mpe", v.meanPercentageError}}}};
}

}  // namespace fluocount
