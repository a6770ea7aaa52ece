#pragma once
// Training and fine-tuning (docs/method.md sections 2, 3, 5 and 8): what `fluocount-cli train` and the GUI's
// retraining run. Progress goes to an observer; a cancel flag stops within one step and leaves a checkpoint from
// which a resumed run continues exactly as an uninterrupted one would.
#include "core/architecture.h"
#include "core/augmentation.h"
#include "core/inference.h"
#include "core/settings.h"
#include "core/threshold_sweep.h"
#include "core/training_data.h"
#include "core/weight_map.h"

#include <atomic>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace fluocount {

struct TrainingSettings {
  std::vector<DatasetSource> training;
  std::vector<DatasetSource> validation;  // empty: a seeded split of `training`
  // Explicit images (the GUI's slides with masks): when trainingExamples is not empty it replaces the folder
  // scan, and validationExamples (also explicit) replaces the split.
  std::vector<TrainingExample> trainingExamples, validationExamples;
  // The explicit examples each at the cell diameter measured on its own mask (giveEachItsOwnDiameter, measured
  // together so that one with too few cells takes the median of all), instead of the diameter they carry: the
  // slides a user corrected may come from different magnifications, and one diameter for all resamples some of
  // them away from the canonical size (models/README.md, few-shot benchmark). Measured on the training thread.
  bool explicitExamplesAtOwnDiameter = false;
  double validationFraction = 0.3;
  std::set<std::string> excludedImages;  // image file names never trained or validated on (a held-out test split)
  Architecture architecture = Architecture::CResUnet;
  std::string initialModel;           // fine-tune from this model file; empty: from scratch
  double canonicalDiameterPx = 50;    // the network's working cell size; every image is resampled to it
  double defaultCellDiameterPx = 50;  // recorded in the model: the diameter assumed when a user gives none
  NormalisationSettings normalisation;
  int cropSize = 512;
  int cropStep = 400;
  int batchSize = 4;
  int maxEpochs = 100;
  int maxStepsPerEpoch = 0;  // 0: every sample each epoch
  double learningRate = 0.006;
  // How the learning rate changes: docs/method.md's reduction on a validation plateau (factor and patience
  // below), or a cosine decay over maxEpochs x the steps per epoch (cosineLearningRate), which early stopping may
  // cut short.
  enum class LearningRateSchedule { Plateau, Cosine } learningRateSchedule = LearningRateSchedule::Plateau;
  double learningRateFactor = 0.7;
  int learningRatePatience = 4;
  double minimumLearningRate = 9e-8;
  int earlyStoppingPatience = 20;
  double cellClassWeight = 1.5, backgroundClassWeight = 1.0;
  bool useWeightMaps = true;
  // Cut the lines where two instances of a folder's labels/ touch out of the training masks (prepareExample).
  // Off by default: it changes what an unchanged command trains on.
  bool separateTouchingInstances = false;
  // Keep the BatchNorm layers' running statistics (enterTrainingMode); for fine-tunes on a few slides.
  bool freezeBatchNorm = false;
  // Fine-tune the decoder only (belongsToDecoder): the encoder and bottleneck keep the starting model's weights
  // and statistics. Fewer weights to fit to a user's few slides, and no gradients through the encoder.
  bool decoderOnly = false;
  // Validate and write an exponential moving average of the weights (and BatchNorm statistics) instead of the
  // weights of the last step: after every step, average = decay * average + (1 - decay) * weights. 0: off. On a
  // few slides single steps swing the model (validation F1 by 0.3 between neighbouring epochs); the average follows
  // the trend of the last 1 / (1 - decay) steps. A fine-tune's average starts at the starting model.
  double weightAverageDecay = 0;
  // The training steps' arithmetic: float32, or mixed bfloat16 (training_step.h: convolutions in bfloat16, weights,
  // loss and optimiser in float32) where the hardware computes bfloat16 natively; refused elsewhere. Validation,
  // the threshold and the written model are float32 either way.
  NetworkPrecision stepPrecision = NetworkPrecision::Float32;
  // Which weights the run writes: those of the epoch of lowest validation loss (docs/method.md: keep the best
  // checkpoint), of highest validation F1, or of the last epoch. A fine-tune's starting weights compete as
  // epoch 0 under the first two.
  enum class Selection {
    LowestValidationLoss,
    HighestValidationF1,
    LastEpoch
  } selection = Selection::LowestValidationLoss;
  // Under the first two, a fine-tune also keeps its starting model (weights and threshold) unless the selected
  // epoch, at the threshold picked for it, counts the validation images with an F1 at least this much above the
  // starting model's at its own threshold: the epoch of lowest loss can still count them worse.
  double minimumF1GainOverStart = 0;
  // And, when set, unless the selected epoch also makes fewer detection errors (false positives + false negatives)
  // on the validation images than the starting model by more than chance would (fewerErrorsBeyondChance): on one
  // small validating slide an F1 gain of 0.02-0.03 is a cell or two, and the few-shot benchmark saw such gains
  // go with F1 falling on the other slides (models/README.md).
  bool requireFewerErrorsBeyondChance = false;
  // Which annotated images the written weights' threshold is picked on (Kneedle on their pooled sweep): the
  // validation images, or the training and validation images together. A fine-tune on a user's few slides has
  // one validation slide, whose knee swings with the epoch written (models/README.md, few-shot benchmark); the
  // pooled sweep has three times the cells. Unused when a fine-tune keeps its starting weights (and threshold).
  enum class ThresholdImages { Validation, TrainingAndValidation } thresholdImages = ThresholdImages::Validation;
  bool useOversampling = true;
  int artifactOversampling = 150;
  std::vector<ArtifactCrop> artifacts;
  // A fine-tune also finds its artifact crops: one around each object its starting model detects in a training
  // image, at the model's threshold, that no annotated cell matches (cropsAroundFalseDetections). These are the
  // places a person would flag, what the model counts that the annotators did not (faint stain, debris, a bright
  // background), and they are oversampled like flagged crops (unless useOversampling is off).
  bool mineFalseDetections = false;
  AugmentationSettings augmentation;
  WeightMapSettings weightMaps;
  PostprocessSettings postprocess;
  std::uint64_t seed = 1;
  InferenceSettings inference;  // device and threads, for training and validation
  std::string outputModel;
  bool overwriteOutput = false;  // an existing outputModel is an error unless this is set
  std::string checkpoint;        // empty: outputModel + ".checkpoint"
  bool resume = false;
  std::string trainedBy = "fluocount-cli train";  // recorded in the model's provenance
};

struct TrainingProgress {
  int epoch = 0, maxEpochs = 0;  // epoch counts from 1
  int step = 0, stepsPerEpoch = 0;
  double trainLoss = 0;  // running mean over this epoch; -1 for "epoch 0", the starting model
  // Of the last finished epoch, -1 before the first: loss on validation crops, and F1 and count MAE on the full
  // validation images at the threshold of best F1.
  double validationLoss = -1, validationF1 = -1, validationMae = -1;
  double learningRate = 0;
  double elapsedSeconds = 0, etaSeconds = 0;
  bool epochFinished = false;
};

class TrainingObserver {
public:
  virtual ~TrainingObserver() = default;
  virtual void progress(const TrainingProgress&) {}
  virtual void message(const std::string&) {}
};

struct TrainingOutcome {
  enum class Status { Finished, EarlyStopped, Cancelled } status = Status::Finished;
  int epochs = 0;
  std::string modelPath;  // empty when cancelled
  std::string checkpointPath;
  double threshold = 0;          // chosen by Kneedle (argmax F1 when the curve has no knee)
  EvaluationSummary validation;  // at that threshold, on the full validation images
  // A fine-tune's starting model on the same validation images at its own threshold (nothing from scratch).
  std::optional<double> startingF1, startingMae;
  std::optional<int> startingErrors;  // its false positives + false negatives there (absent in older checkpoints)
  // The epoch whose weights were written (0: a fine-tune's starting weights, which no epoch beat).
  int selectedEpoch = 0;
  bool keptStartingWeights = false;
  SweepResult sweep;  // the sweep the threshold was picked on (TrainingSettings::thresholdImages)
};

// Throws ImageError / ModelFileError / CheckpointError / FileWriteError with clear messages on bad input.
// Where the run keeps its checkpoint: TrainingSettings::checkpoint, or beside the output model.
std::string checkpointPathOf(const TrainingSettings& settings);

TrainingOutcome trainModel(const TrainingSettings& settings, TrainingObserver& observer,
                           const std::atomic<bool>& cancel);

}  // namespace fluocount
