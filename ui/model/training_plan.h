#pragma once
// A retraining run as the user set it up: which slides train and which validate, where it starts from, the
// architecture and ablation switches, and the settings. It is kept with its state in
// <folder>/.fluocount/training/job.json, so that a run that was cancelled or cut short by closing the app can be
// resumed from its checkpoint later.
#include "core/architecture.h"
#include "core/compute_device.h"
#include "core/trainer.h"
#include "ui/model/project.h"

#include <QString>
#include <QStringList>

#include <optional>

namespace fluocount::ui {

struct TrainingPlan {
  QStringList trainingSlides, validationSlides;        // slide file names
  QString startModel;                                  // fine-tune from this model file; empty: train from scratch
  QString startModelName;                              // what the user knows it as ("bundled", "v2")
  Architecture architecture = Architecture::CResUnet;  // from scratch only; a fine-tune keeps the model's
  bool weightMaps = true;                              // ablation switch (docs/method.md section 5)
  // A fine-tune also oversamples a crop around each object the starting model detects on the training slides that
  // the corrected mask does not hold (TrainingSettings::mineFalseDetections): what the user deleted. The app has no
  // tool to flag artifact crops by hand, so this is how its runs get docs/method.md's artifact oversampling.
  bool learnFromFalseDetections = false;
  int epochs = 8;
  int stepsPerEpoch = 40;
  int cropSize = 256;
  int batchSize = 4;
  double learningRate = 0.0005;
  double cellDiameterPx = 50;  // the slides' typical cell diameter
  // Each slide resampled by the cell diameter measured on its own mask (TrainingSettings::
  // explicitExamplesAtOwnDiameter); cellDiameterPx then serves slides with fewer than three cells and is what the new
  // version records as its default.
  bool eachSlideOwnDiameter = true;
  bool useGpu = true;
  // Training steps in mixed bfloat16 (TrainingSettings::stepPrecision), where the device computes it natively.
  bool bfloat16 = false;
  quint64 seed = 1;
  QString outputModel;  // the version this run writes: <folder>/.fluocount/models/v<N>.fcmodel
};

// One corrected slide validates: F1 on it moves by about 0.01 a cell, so a retrained version must count it better by
// two cells' worth before it replaces the model the user had (TrainingSettings::minimumF1GainOverStart; the few-shot
// benchmark saw falls of up to 0.05 on the other slides where an epoch of lower loss counted it no better).
inline constexpr double kRetrainMinimumF1GainOverStart = 0.02;

// How many augmented copies of each crop around a false detection join a Retrain run's crops (learnFromFalseDetections).
inline constexpr int kFalseDetectionOversampling = 150;

// Defaults for this project and device: every slide with a mask, about a third of them (at least one) for
// validation, fine-tuning the active model, and a run of minutes on a CPU or a longer one on a GPU.
TrainingPlan suggestedPlan(Project& project, const ComputeDevice& device);
// Settings that differ between a fine-tune and a run from scratch on this device.
void applyDeviceDefaults(TrainingPlan& plan, const ComputeDevice& device, bool fromScratch);

// What the core trainer runs. Throws std::runtime_error naming a slide that no longer exists or lost its mask.
TrainingSettings trainingSettingsFor(const TrainingPlan& plan, const Project& project, bool resume);

enum class TrainingJobState { Running, Cancelled, Finished, Failed };

// One finished epoch, for the curves (kept in the job file so that they survive a restart).
struct EpochFigures {
  int epoch = 0;
  double trainLoss = 0, validationLoss = -1, validationF1 = -1;
};

struct TrainingJob {
  TrainingPlan plan;
  std::vector<EpochFigures> history;
  TrainingJobState state = TrainingJobState::Running;
  QString message;  // the error of a failed run
  // A run that was cancelled, or was running when the app closed, and has not written its model yet.
  bool resumable() const;
  // Records a finished epoch, replacing any later ones (a resumed run repeats what its checkpoint had not kept).
  void addEpoch(const EpochFigures& figures);
};

QString modelsFolder(const Project& project);  // <folder>/.fluocount/models
QString jobPath(const Project& project);       // <folder>/.fluocount/training/job.json
bool saveJob(const Project& project, const TrainingJob& job, QString* error);
// Nothing when there is no job file or it cannot be read.
std::optional<TrainingJob> loadJob(const Project& project);

}  // namespace fluocount::ui
