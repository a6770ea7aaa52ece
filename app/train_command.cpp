// fluocount-cli train: train or fine-tune a network on annotated folders; progress bar, a line per epoch,
// Ctrl-C to stop with a checkpoint, --resume to continue.
#include "app/cli_common.h"
#include "app/progress_bar.h"
#include "core/trainer.h"

#include <csignal>
#include <cstdio>
#include <initializer_list>
#include <optional>
#include <utility>

namespace fluocount::cli {
namespace {

std::atomic<bool> interrupted{false};

void onInterrupt(int) { interrupted.store(true); }

// "folder[:diameter[:augmentation factor]]"; the diameter 'each' gives every image its own, measured on its mask.
DatasetSource parseSource(const QString& text, double defaultDiameter, int defaultFactor) {
  QStringList parts = text.split(':');
  DatasetSource source{parts.takeFirst().toStdString(), defaultDiameter, defaultFactor};
  bool ok = true;
  if (!parts.isEmpty()) {
    const QString diameter = parts.takeFirst();
    source.eachImageOwnDiameter = diameter == "each";
    if (!source.eachImageOwnDiameter) source.cellDiameterPx = diameter.toDouble(&ok);
  }
  if (ok && !parts.isEmpty()) source.augmentationFactor = parts.takeFirst().toInt(&ok);
  if (!ok || !parts.isEmpty() || source.cellDiameterPx < 2 || source.augmentationFactor < 1)
    throw CliError("'" + text.toStdString() + "': expected folder[:cell diameter px or 'each'[:augmentation factor]]");
  return source;
}

// The value of an option that names one of a few choices, e.g. --select loss|f1|last.
template <typename Choice>
Choice choiceOption(const QCommandLineParser& parser, const QString& name,
                    std::initializer_list<std::pair<const char*, Choice>> choices) {
  const QString value = parser.value(name);
  QStringList names;
  for (const auto& [text, choice] : choices) {
    if (value == text) return choice;
    names.append(text);
  }
  throw CliError(QString("--%1 must be %2 or %3")
                     .arg(name, names.mid(0, names.size() - 1).join(", "), names.last())
                     .toStdString());
}

class ConsoleObserver : public TrainingObserver {
public:
  void message(const std::string& text) override { std::fprintf(stderr, "%s\n", text.c_str()); }
  void progress(const TrainingProgress& p) override {
    if (!p.epochFinished) {
      if (!bar_ || epoch_ != p.epoch) {
        bar_ = std::make_unique<ProgressBar>("epoch " + std::to_string(p.epoch), p.stepsPerEpoch);
        epoch_ = p.epoch;
      }
      char item[64];
      std::snprintf(item, sizeof item, "loss %.4f", p.trainLoss);
      bar_->advance(item);
      return;
    }
    if (bar_) bar_->finish();
    bar_.reset();
    if (p.epoch == 0) {
      std::printf("start      validation loss %.5f  F1 %.4f  MAE %.2f  (the model being fine-tuned)\n",
                  p.validationLoss, p.validationF1, p.validationMae);
      std::fflush(stdout);
      return;
    }
    std::printf(
        "epoch %3d/%d  train loss %.5f  validation loss %.5f  F1 %.4f  MAE %.2f  lr %.2e  elapsed %.0f s  "
        "ETA %.0f s\n",
        p.epoch, p.maxEpochs, p.trainLoss, p.validationLoss, p.validationF1, p.validationMae, p.learningRate,
        p.elapsedSeconds, p.etaSeconds);
    std::fflush(stdout);
  }

private:
  std::unique_ptr<ProgressBar> bar_;
  int epoch_ = 0;
};

}  // namespace

int runTrainCommand(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(
      "Train a network on annotated folders (images/ + masks/, same stems), or fine-tune an existing model, and "
      "write a model file with its Kneedle threshold, validation metrics and provenance. Each folder may carry its "
      "own cell diameter and augmentation factor: folder[:diameter[:factor]]; the diameter 'each' resamples every "
      "image by its own cell diameter, measured on its mask (for folders that mix magnifications). Ctrl-C stops "
      "within one step and writes a checkpoint; --resume continues from it.");
  parser.addPositionalArgument(
      "folders", "Training folders, folder[:cell diameter px or 'each'[:augmentation factor]].", "folders...");
  parser.addOptions({
      {{"o", "out"}, "Model file to write (required).", "file"},
      {"validation", "Validation folder (repeatable); default: a seeded 30 % split of the training images.", "folder"},
      {"validation-fraction", "Share of images held out for validation when no --validation is given (default 0.3).",
       "f", "0.3"},
      {"architecture", "c-resunet (default), resunet, unet or small-unet.", "name", "c-resunet"},
      {"from", "Fine-tune this model file instead of starting from scratch.", "file"},
      {"diameter",
       "Default cell diameter of the folders, px (default 50); also recorded in the model as the "
       "diameter count assumes when none is given.",
       "px", "50"},
      {"canonical-diameter",
       "Cell diameter the network is trained at, px: every image is resampled so that its "
       "cells have this size (default 50, the paper's FNC at 20x; smaller is faster). "
       "Fine-tuning keeps the model's own.",
       "px", "50"},
      {"augmentation-factor", "Default augmented copies of each crop per epoch (default 4).", "n", "4"},
      {"epochs", "Maximum epochs (default 100; early stopping after 20 without improvement).", "n", "100"},
      {"steps-per-epoch", "Cap the steps per epoch (default: every crop).", "n"},
      {"batch-size", "Crops per step (default 4).", "n", "4"},
      {"crop-size", "Crop side, px (default 512).", "px", "512"},
      {"crop-step", "Step of the crop grid (default 400 for 512 crops, scaled for other sizes).", "px"},
      {"lr", "Initial learning rate (default 0.006).", "rate", "0.006"},
      {"lr-schedule",
       "How the learning rate changes: 'plateau' (multiplied by 0.7 after 4 epochs without a lower validation "
       "loss, default) or 'cosine' (decays from --lr towards 0 over --epochs).",
       "plateau|cosine", "plateau"},
      {"early-stopping", "Stop after this many epochs without a lower validation loss (default 20).", "n", "20"},
      {"no-weight-maps", "Train without weight maps (class weights only): the paper's 'no WM' ablation."},
      {"separate-touching",
       "Where a folder has labels/ (instance labels, same stems), cut the lines where two "
       "labelled cells touch out of the training masks, so touching cells are learnt apart."},
      {"freeze-batchnorm",
       "Keep the BatchNorm layers' running statistics fixed (layers normalise as in the starting model): for "
       "fine-tunes on a few slides, whose small batches would otherwise re-estimate them."},
      {"decoder-only",
       "Fine-tune the decoder only (the up-sampling blocks and the head; needs --from): the encoder keeps the "
       "starting model's weights and statistics. Fewer weights to fit to a few slides, and faster steps."},
      {"average-weights",
       "Validate and write a moving average of the weights instead of the last step's: after each step, average "
       "= decay x average + (1 - decay) x weights (e.g. 0.95; default 0, off). Steadies fine-tunes on a few "
       "slides, whose single steps swing the model.",
       "decay", "0"},
      {"zoom",
       "Scale augmentation: magnify each training crop by a random factor in [min, max] (log-uniform), e.g. "
       "0.67:1.5, so that the network tolerates a cell diameter that is somewhat off (default 1:1, none).",
       "min:max", "1:1"},
      {"select",
       "Which weights to write: 'loss' (the epoch of lowest validation loss, default), 'f1' (highest "
       "validation F1) or 'last' (the last epoch). A fine-tune's starting weights compete under the first "
       "two.",
       "loss|f1|last", "loss"},
      {"min-f1-gain",
       "Under --select loss or f1, a fine-tune keeps its starting model (weights and threshold) unless the "
       "selected epoch counts the validation images, at its own threshold, with an F1 at least this much above "
       "the starting model's at its own (default 0; the app's Retrain uses 0.02).",
       "gain", "0"},
      {"fewer-errors-beyond-chance",
       "With --min-f1-gain: the selected epoch must also make fewer detection errors (false positives + false "
       "negatives) on the validation images than the starting model by more than chance would, at least "
       "2 sqrt(sum of both) fewer (the app's Retrain asks this), or the starting model is kept."},
      {"threshold-from",
       "The annotated images whose pooled threshold sweep picks the written model's threshold (Kneedle): "
       "'validation' (default) or 'all' (training and validation images; steadier when a fine-tune has one "
       "or two validation slides).",
       "validation|all", "validation"},
      {"no-oversampling", "Do not oversample the artifact crops: the paper's 'no AO' ablation."},
      {"mine-artifacts",
       "Fine-tunes (--from): also oversample a crop around each object the starting model detects in a "
       "training image that no annotated cell matches (its false positives: hard negatives found rather "
       "than flagged), like the --artifacts crops."},
      {"oversampling",
       "How many augmented copies of each flagged artifact crop join the training crops (default 150, the "
       "paper's, for 6 flagged crops among about 16,000).",
       "n", "150"},
      {"exclude",
       "Text file of image file names never trained or validated on, one per line: a held-out test "
       "split (evaluate it later with 'evaluate --only').",
       "file"},
      {"artifacts",
       "Text file of flagged artifact crops, one 'image-name x y' per line (oversampled 150x; see --oversampling).",
       "file"},
      {"seed", "Seed for the split, the order and the augmentation (default 1).", "n", "1"},
      {"checkpoint", "Checkpoint file (default: <out>.checkpoint); one training run at a time may use it.", "file"},
      {"resume", "Continue from the checkpoint."},
      {"overwrite", "Replace an existing --out file (by default that is an error)."},
      {"threads", "CPU threads (default: all cores).", "n"},
      {"device", "auto, cpu or cuda (default auto).", "device", "auto"},
      {"precision",
       "The training steps' arithmetic: float32 (default) or bfloat16 (mixed: convolutions in bfloat16, "
       "weights, loss and optimiser in float32; faster on CPUs with AVX512-BF16 and on GPUs, refused "
       "elsewhere). Validation, the threshold and the model written are float32 either way.",
       "type", "float32"},
  });
  parseOrExit(parser, arguments);
  if (parser.positionalArguments().isEmpty()) throw CliError("train: name at least one training folder");
  if (!parser.isSet("out")) throw CliError("train: --out FILE is required");

  TrainingSettings s;
  const double diameter = numberOption(parser, "diameter", 2, 2000);
  s.canonicalDiameterPx = numberOption(parser, "canonical-diameter", 8, 200);
  s.defaultCellDiameterPx = diameter;
  const int factor = int(numberOption(parser, "augmentation-factor", 1, 1000));
  for (const QString& folder : parser.positionalArguments())
    s.training.push_back(parseSource(folder, diameter, factor));
  for (const QString& folder : parser.values("validation")) s.validation.push_back(parseSource(folder, diameter, 1));
  s.validationFraction = numberOption(parser, "validation-fraction", 0.01, 0.99);
  const auto architecture = architectureFromName(parser.value("architecture").toStdString());
  if (!architecture) throw CliError("--architecture must be c-resunet, resunet, unet or small-unet");
  s.architecture = *architecture;
  if (parser.isSet("from")) s.initialModel = parser.value("from").toStdString();
  s.maxEpochs = int(numberOption(parser, "epochs", 1, 100000));
  if (parser.isSet("steps-per-epoch")) s.maxStepsPerEpoch = int(numberOption(parser, "steps-per-epoch", 1, 1e9));
  s.batchSize = int(numberOption(parser, "batch-size", 1, 1024));
  s.cropSize = int(numberOption(parser, "crop-size", 32, 4096));
  if (s.cropSize % 16) throw CliError("--crop-size must be a multiple of 16");
  s.cropStep = parser.isSet("crop-step") ? int(numberOption(parser, "crop-step", 1, 4096)) : s.cropSize * 400 / 512;
  s.learningRate = numberOption(parser, "lr", 1e-9, 10);
  s.earlyStoppingPatience = int(numberOption(parser, "early-stopping", 1, 100000));
  using Schedule = TrainingSettings::LearningRateSchedule;
  s.learningRateSchedule =
      choiceOption<Schedule>(parser, "lr-schedule", {{"plateau", Schedule::Plateau}, {"cosine", Schedule::Cosine}});
  s.useWeightMaps = !parser.isSet("no-weight-maps");
  s.separateTouchingInstances = parser.isSet("separate-touching");
  s.freezeBatchNorm = parser.isSet("freeze-batchnorm");
  s.decoderOnly = parser.isSet("decoder-only");
  s.weightAverageDecay = numberOption(parser, "average-weights", 0, 0.9999);
  s.stepPrecision = precisionFromOptions(parser);
  s.useOversampling = !parser.isSet("no-oversampling");
  s.mineFalseDetections = parser.isSet("mine-artifacts");
  if (s.mineFalseDetections && s.initialModel.empty())
    throw CliError("--mine-artifacts needs a model to fine-tune (--from): its false detections are the crops");
  s.artifactOversampling = static_cast<int>(numberOption(parser, "oversampling", 1, 100000));
  using Selection = TrainingSettings::Selection;
  s.selection = choiceOption<Selection>(parser, "select",
                                        {{"loss", Selection::LowestValidationLoss},
                                         {"f1", Selection::HighestValidationF1},
                                         {"last", Selection::LastEpoch}});
  s.minimumF1GainOverStart = numberOption(parser, "min-f1-gain", 0, 1);
  s.requireFewerErrorsBeyondChance = parser.isSet("fewer-errors-beyond-chance");
  using ThresholdImages = TrainingSettings::ThresholdImages;
  s.thresholdImages = choiceOption<ThresholdImages>(
      parser, "threshold-from",
      {{"validation", ThresholdImages::Validation}, {"all", ThresholdImages::TrainingAndValidation}});
  {
    const QStringList zoom = parser.value("zoom").split(':');
    bool minOk = false, maxOk = false;
    if (zoom.size() == 2) {
      s.augmentation.minZoom = zoom[0].toDouble(&minOk);
      s.augmentation.maxZoom = zoom[1].toDouble(&maxOk);
    }
    if (!minOk || !maxOk || s.augmentation.minZoom < 0.25 || s.augmentation.maxZoom > 4 ||
        s.augmentation.minZoom > s.augmentation.maxZoom)
      throw CliError("--zoom expects min:max with 0.25 <= min <= max <= 4, e.g. 0.67:1.5");
  }
  if (parser.isSet("exclude")) s.excludedImages = readImageNameList(parser.value("exclude").toStdString());
  if (parser.isSet("artifacts")) s.artifacts = readArtifactList(parser.value("artifacts").toStdString());
  s.seed = static_cast<std::uint64_t>(numberOption(parser, "seed", 0, 1e18));
  s.outputModel = parser.value("out").toStdString();
  if (parser.isSet("checkpoint")) s.checkpoint = parser.value("checkpoint").toStdString();
  s.resume = parser.isSet("resume");
  s.inference = inferenceFromOptions(parser);
  s.overwriteOutput = parser.isSet("overwrite");

  // Two runs on one checkpoint would each resume from, and overwrite, the other's epochs.
  const std::string checkpoint = checkpointPathOf(s);
  std::optional<RunLock> checkpointLock;
  holdRunLock(checkpointLock, checkpoint + ".lock", "fluocount-cli train", "the checkpoint " + checkpoint);

  std::signal(SIGINT, onInterrupt);
  std::signal(SIGTERM, onInterrupt);
  ConsoleObserver observer;
  const TrainingOutcome outcome = trainModel(s, observer, interrupted);
  if (outcome.status == TrainingOutcome::Status::Cancelled) {
    std::printf("stopped after %d finished epoch(s); resume with the same command and --resume\n", outcome.epochs);
    return 130;
  }
  const auto& v = outcome.validation;
  std::printf("wrote %s after %d epoch(s)%s\n", outcome.modelPath.c_str(), outcome.epochs,
              outcome.status == TrainingOutcome::Status::EarlyStopped ? " (early stopping)" : "");
  std::string chosenBy = "the starting model's";
  if (!outcome.keptStartingWeights) {
    chosenBy = outcome.sweep.knee ? "Kneedle knee" : "no knee: best F1";
    if (s.thresholdImages == TrainingSettings::ThresholdImages::TrainingAndValidation)
      chosenBy += " of the training and validation images";
  }
  std::printf("threshold %.3f (%s); validation F1 %.4f  precision %.4f  recall %.4f  MAE %.2f\n", outcome.threshold,
              chosenBy.c_str(), v.f1, v.precision, v.recall, v.meanAbsoluteError);
  return 0;
}

}  // namespace fluocount::cli
