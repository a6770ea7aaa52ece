#include "core/trainer.h"

#include "core/atomic_file.h"
#include "core/checkpoint.h"
#include "core/image_io.h"
#include "core/model_file.h"
#include "core/networks.h"
#include "core/postprocess.h"
#include "core/slide_folder.h"
#include "core/tensor_container.h"
#include "core/training_provenance.h"
#include "core/torch_include.h"
#include "core/training_step.h"

#include <opencv2/imgproc.hpp>

#include <chrono>
#include <cstdio>
#include <limits>
#include <filesystem>
#include <random>

namespace fluocount {
namespace {

using Clock = std::chrono::steady_clock;

// Thrown inside a run when the cancel flag is seen outside a training step (data preparation, validation).
struct CancelRequested {};

struct BatchTensors {
  torch::Tensor images, masks, weights;
};

BatchTensors toTensors(const std::vector<TrainingCrop>& crops, const torch::Device& device) {
  const int n = static_cast<int>(crops.size()), size = crops.front().image.rows;
  // In trainingLayout: where that is channels-last, the crops' interleaved pixels copy straight in.
  auto images = torch::empty({n, 3, size, size}, torch::TensorOptions().memory_format(trainingLayout(torch::kCPU)));
  auto masks = torch::empty({n, 1, size, size});
  auto weights = torch::empty({n, 1, size, size});
  for (int i = 0; i < n; ++i) {
    const cv::Mat image = crops[i].image.isContinuous() ? crops[i].image : crops[i].image.clone();
    images[i].copy_(torch::from_blob(const_cast<float*>(image.ptr<float>()), {size, size, 3}).permute({2, 0, 1}));
    masks[i][0].copy_(torch::from_blob(const_cast<float*>(crops[i].mask.ptr<float>()), {size, size}));
    weights[i][0].copy_(torch::from_blob(const_cast<float*>(crops[i].weights.ptr<float>()), {size, size}));
  }
  return {images.to(device).contiguous(trainingLayout(device)), masks.to(device), weights.to(device)};
}

void copyWeights(SegmentationNetworkImpl& from, SegmentationNetworkImpl& to) {
  torch::NoGradGuard noGrad;
  auto source = networkState(from);
  auto target = networkState(to);
  for (std::size_t i = 0; i < source.size(); ++i) target[i].tensor.copy_(source[i].tensor);
}

// average = decay * average + (1 - decay) * weights, for every weight and BatchNorm statistic; counters (integer
// buffers) are copied.
void updateWeightAverage(SegmentationNetworkImpl& weights, SegmentationNetworkImpl& average, double decay) {
  torch::NoGradGuard noGrad;
  auto source = networkState(weights);
  auto target = networkState(average);
  for (std::size_t i = 0; i < source.size(); ++i) {
    torch::Tensor& averaged = target[i].tensor;
    if (averaged.is_floating_point())
      averaged.mul_(decay).add_(source[i].tensor, 1.0 - decay);
    else
      averaged.copy_(source[i].tensor);
  }
}

// One training run: data, network, optimiser and progress, from start (or checkpoint) to model file.
class TrainingRun {
public:
  TrainingRun(const TrainingSettings& settings, TrainingObserver& observer, const std::atomic<bool>& cancel)
      : s_(settings), observer_(observer), cancel_(cancel) {
    checkpointPath_ = checkpointPathOf(s_);
    loss_ = {s_.cellClassWeight, s_.backgroundClassWeight, s_.useWeightMaps};
  }

  TrainingOutcome run() {
    start_ = Clock::now();
    // Fail before hours of training rather than after.
    if (!s_.overwriteOutput && std::filesystem::exists(s_.outputModel))
      throw FileWriteError(s_.outputModel + " already exists; refusing to overwrite it");
    if (s_.decoderOnly && s_.initialModel.empty())
      throw std::invalid_argument("training the decoder only needs a model to fine-tune (--from)");
    TrainingOutcome outcome;
    outcome.checkpointPath = checkpointPath_;
    bool started = false;
    try {
      buildNetwork();
      prepareData();
      restoreOrStart();
      started = true;
      if (!s_.resume && !s_.initialModel.empty()) measureStartingModel();
      while (epoch_ < s_.maxEpochs) {
        runEpoch();
        if (schedule_.epochsWithoutImprovement >= s_.earlyStoppingPatience) {
          observer_.message("early stopping: no validation improvement for " +
                            std::to_string(s_.earlyStoppingPatience) + " epochs");
          outcome.status = TrainingOutcome::Status::EarlyStopped;
          break;
        }
      }
      outcome.epochs = epoch_;
      finish(outcome);
    } catch (const CancelRequested&) {
      // Within an epoch the checkpoint holds the exact step; during validation it holds the finished steps, so
      // a resumed run validates that epoch again and goes on exactly as an uninterrupted one.
      if (started) {
        saveState();
        observer_.message("cancelled; checkpoint written to " + checkpointPath_ + " (resume to continue)");
      } else {
        observer_.message("cancelled before training started; nothing written");
      }
      outcome.status = TrainingOutcome::Status::Cancelled;
      outcome.epochs = epoch_;
    }
    return outcome;
  }

private:
  void throwIfCancelled() const {
    if (cancel_.load()) throw CancelRequested{};
  }

  void buildNetwork() {
    const DeviceInUse device = useComputeDevice(s_.inference.device, s_.inference.threads);
    device_ = device.gpu ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    deviceDescription_ = device.description;
    if (s_.stepPrecision == NetworkPrecision::Int8)
      throw std::runtime_error("training runs in float32 or mixed bfloat16; int8 is for counting only");
    if (s_.stepPrecision == NetworkPrecision::BFloat16) {
      requireNativeBfloat16(device.gpu, "train");
      deviceDescription_ += ", steps in mixed bfloat16";
    }
    torch::manual_seed(s_.seed);
    if (!s_.initialModel.empty()) {
      Model start = loadModel(s_.initialModel);
      info_ = start.info;
      network_ = start.network;
      observer_.message("fine-tuning " + s_.initialModel);
    } else {
      info_.architecture = s_.architecture;
      info_.canonicalDiameterPx = s_.canonicalDiameterPx;
      info_.defaultCellDiameterPx = s_.defaultCellDiameterPx;
      info_.normalisation = s_.normalisation;
      info_.postprocess = s_.postprocess;
      network_ = makeNetwork(s_.architecture);
    }
    best_ = makeNetwork(info_.architecture);
    network_->to(device_);
    layOutWeightsFor(*network_, device_);
    best_->to(device_);
    copyWeights(*network_, *best_);
    if (!s_.initialModel.empty()) {  // before a checkpoint replaces them (restoreOrStart)
      starting_ = makeNetwork(info_.architecture);
      starting_->to(device_);
      copyWeights(*network_, *starting_);
    }
    if (s_.weightAverageDecay > 0) {
      averaged_ = makeNetwork(info_.architecture);
      averaged_->to(device_);
      averaged_->eval();
      copyWeights(*network_, *averaged_);
    }
    const std::vector<torch::Tensor> trained = s_.decoderOnly ? freezeAllButDecoder(*network_) : network_->parameters();
    optimizer_ = std::make_unique<torch::optim::Adam>(trained, torch::optim::AdamOptions(s_.learningRate));
    schedule_ = {s_.learningRateFactor, s_.learningRatePatience, s_.minimumLearningRate};
    observer_.message("training " + architectureName(info_.architecture) + " on " + deviceDescription_);
  }

  void prepareData() {
    Split split = s_.trainingExamples.empty() ? splitFromFolders() : explicitSplit();
    if (split.train.empty()) throw ImageError("no annotated training images (images/ with masks/ of the same stem)");
    if (split.validation.empty()) throw ImageError("no validation images: give at least two annotated images");
    const WeightMapSettings weightMaps = s_.weightMaps.scaledTo(info_.canonicalDiameterPx);
    std::vector<int> factors;
    for (const auto& e : split.train) {
      throwIfCancelled();
      trainImages_.push_back(
          prepareExample(e, info_.canonicalDiameterPx, info_.normalisation, weightMaps, s_.separateTouchingInstances));
      if (!trainImages_.back().truthNote.empty()) observer_.message("note: " + trainImages_.back().truthNote);
      factors.push_back(e.augmentationFactor);
    }
    for (const auto& e : split.validation) {
      throwIfCancelled();
      validationImages_.push_back(
          prepareExample(e, info_.canonicalDiameterPx, info_.normalisation, weightMaps, s_.separateTouchingInstances));
      if (!validationImages_.back().truthNote.empty()) observer_.message("note: " + validationImages_.back().truthNote);
    }
    // docs/method.md section 3, step 5: one global maximum over the training data normalises every weight map.
    for (const auto& image : trainImages_) {
      double maximum = 0;
      cv::minMaxLoc(image.weights, nullptr, &maximum);
      weightNormaliser_ = std::max(weightNormaliser_, maximum);
    }
    std::vector<ArtifactCrop> artifacts = s_.artifacts;
    if (s_.mineFalseDetections && s_.useOversampling && starting_) {
      const std::vector<ArtifactCrop> found = cropsAroundFalseDetectionsOf(*starting_);
      artifacts.insert(artifacts.end(), found.begin(), found.end());
    }
    samples_ = trainingSamples(trainImages_, factors, s_.cropSize, s_.cropStep, artifacts,
                               s_.useOversampling ? s_.artifactOversampling : 0);
    validationSamples_ = validationSamples(validationImages_, s_.cropSize, s_.cropStep);
    // The annotated cells as evaluate takes them (core/true_cells.h), at the model's scale.
    for (const auto& image : validationImages_) validationTruth_.push_back(measureLabels(image.trueCells));
    observer_.message(std::to_string(trainImages_.size()) + " training and " +
                      std::to_string(validationImages_.size()) + " validation images; " +
                      std::to_string(samples_.size()) + " training crops per epoch");
  }

  // Artifact crops around the false detections of `start` on the training images (mineFalseDetections), at the
  // model's threshold and scale, matched within one canonical diameter as validation matches.
  std::vector<ArtifactCrop> cropsAroundFalseDetectionsOf(SegmentationNetworkImpl& start) {
    const PostprocessSettings postprocess = info_.postprocess.scaledTo(info_.canonicalDiameterPx);
    std::vector<ArtifactCrop> crops;
    for (const PreparedImage& image : trainImages_) {
      const cv::Mat heatmap = heatmapsOf(start, {image}).front();
      const std::vector<ArtifactCrop> found =
          cropsAroundFalseDetections(image, detectObjects(heatmap, info_.threshold, postprocess),
                                     measureLabels(image.trueCells), info_.canonicalDiameterPx, s_.cropSize);
      crops.insert(crops.end(), found.begin(), found.end());
    }
    observer_.message(std::to_string(crops.size()) + " crop(s) around the starting model's false detections on the " +
                      "training images join the artifact crops (each " + std::to_string(s_.artifactOversampling) +
                      " times)");
    return crops;
  }

  Split explicitSplit() {
    if (!s_.explicitExamplesAtOwnDiameter) return {s_.trainingExamples, s_.validationExamples};
    std::vector<TrainingExample> all = s_.trainingExamples;
    all.insert(all.end(), s_.validationExamples.begin(), s_.validationExamples.end());
    observer_.message(giveEachItsOwnDiameter(all, s_.defaultCellDiameterPx));
    const auto firstValidation = all.begin() + std::ptrdiff_t(s_.trainingExamples.size());
    return {{all.begin(), firstValidation}, {firstValidation, all.end()}};
  }

  Split splitFromFolders() {
    DatasetScan scan = scanDatasets(s_.training);
    for (const auto& skipped : scan.withoutMask) observer_.message("skipped (no mask): " + skipped);
    for (const auto& note : scan.notes) observer_.message(note);
    const std::size_t scanned = scan.examples.size();
    scan.examples = withoutImages(scan.examples, s_.excludedImages);
    if (scan.examples.size() < scanned)
      observer_.message("left out " + std::to_string(scanned - scan.examples.size()) + " held-out test image(s)");
    if (s_.validation.empty()) return splitExamples(scan.examples, s_.validationFraction, s_.seed);
    DatasetScan validation = scanDatasets(s_.validation);
    for (const auto& skipped : validation.withoutMask) observer_.message("skipped (no mask): " + skipped);
    // A validation image that is also trained on would only flatter the validation.
    std::set<std::string> trained;
    for (const TrainingExample& example : scan.examples) trained.insert(sameFileKey(example.imagePath));
    std::vector<TrainingExample> heldOut;
    for (TrainingExample& example : validation.examples)
      if (!trained.count(sameFileKey(example.imagePath))) heldOut.push_back(std::move(example));
    if (heldOut.size() < validation.examples.size())
      observer_.message(std::to_string(validation.examples.size() - heldOut.size()) +
                        " validation image(s) are also training images: left out of the validation");
    return {scan.examples, withoutImages(heldOut, s_.excludedImages)};
  }

  int stepsPerEpoch() const {
    const int all = int((samples_.size() + s_.batchSize - 1) / s_.batchSize);
    return s_.maxStepsPerEpoch > 0 ? std::min(all, s_.maxStepsPerEpoch) : all;
  }

  void restoreOrStart() {
    if (!s_.resume) return;
    if (!std::filesystem::exists(checkpointPath_))
      throw CheckpointError(checkpointPath_ + ": no checkpoint to resume from");
    // The settings that shape what the checkpoint holds are checked before loading: a checkpoint without a weight
    // average has none to load.
    const nlohmann::json saved = readCheckpointState(checkpointPath_);
    const double decay = saved.value("weight_average_decay", 0.0);
    if (decay != s_.weightAverageDecay)
      throw CheckpointError(checkpointPath_ + ": made with weight averaging " + std::to_string(decay) + ", not " +
                            std::to_string(s_.weightAverageDecay) + "; resume with the same settings");
    // Checkpoints from before the cosine schedule were all made with the plateau one.
    const std::string schedule = saved.value("learning_rate_schedule", "plateau");
    if (schedule != learningRateScheduleName(s_))
      throw CheckpointError(checkpointPath_ + ": made with the " + schedule + " learning-rate schedule, not the " +
                            learningRateScheduleName(s_) + " one; resume with the same settings");
    const nlohmann::json state =
        loadCheckpoint(checkpointPath_, {network_.get(), optimizer_.get(), best_.get(), {}, averaged_.get()});
    if (state.value("seed", s_.seed) != s_.seed)
      throw CheckpointError(checkpointPath_ + ": made with seed " + std::to_string(state.value("seed", s_.seed)) +
                            ", not " + std::to_string(s_.seed) + "; resume with the same settings");
    epoch_ = state.at("epoch").get<int>();
    step_ = state.at("step").get<int>();
    lossSum_ = state.at("loss_sum").get<double>();
    schedule_.fromJson(state.at("schedule"));
    history_ = state.at("history");
    startingModel_ = state.value("starting_model", nlohmann::json(nullptr));
    restoreBestEpoch(state);
    observer_.message("resumed from " + checkpointPath_ + " at epoch " + std::to_string(epoch_ + 1) + ", step " +
                      std::to_string(step_));
  }

  // Checkpoints written before the selection was recorded kept the lowest-loss epoch, the start included.
  void restoreBestEpoch(const nlohmann::json& state) {
    if (state.contains("best_epoch")) {
      bestEpoch_ = state.at("best_epoch").get<int>();
      bestF1_ = state.at("best_f1").get<double>();
      return;
    }
    double lowest = std::numeric_limits<double>::infinity();
    for (const auto& entry : history_)
      if (entry.at("validation_loss").get<double>() < lowest) {
        lowest = entry.at("validation_loss").get<double>();
        bestEpoch_ = entry.at("epoch").get<int>();
        bestF1_ = entry.at("validation_f1").get<double>();
      }
  }

  void saveState() {
    const nlohmann::json state = {{"epoch", epoch_},
                                  {"step", step_},
                                  {"loss_sum", lossSum_},
                                  {"schedule", schedule_.toJson()},
                                  {"history", history_},
                                  {"seed", s_.seed},
                                  {"starting_model", startingModel_},
                                  {"best_epoch", bestEpoch_},
                                  {"best_f1", bestF1_},
                                  {"weight_average_decay", s_.weightAverageDecay},
                                  {"learning_rate_schedule", learningRateScheduleName(s_)}};
    saveCheckpoint(checkpointPath_, {network_.get(), optimizer_.get(), best_.get(), state, averaged_.get()});
  }

  // Throws CancelRequested when the cancel flag is set (the caller writes the checkpoint at the current step).
  void runEpoch() {
    std::vector<CropSample> order = samples_;
    std::shuffle(order.begin(), order.end(), std::mt19937_64(mixSeed(s_.seed, epoch_, 17)));
    order.resize(std::min(order.size(), std::size_t(stepsPerEpoch()) * s_.batchSize));
    BatchProducer producer(trainImages_, order, s_.batchSize, s_.cropSize, weightNormaliser_, s_.augmentation,
                           mixSeed(s_.seed, epoch_), std::size_t(step_));
    enterTrainingMode(*network_, s_.freezeBatchNorm, s_.decoderOnly);
    while (true) {
      throwIfCancelled();
      auto crops = producer.next();
      if (!crops) break;
      const BatchTensors batch = toTensors(*crops, device_);
      if (cosineSchedule())
        setLearningRate(*optimizer_, cosineLearningRate(s_.learningRate, (long long)epoch_ * stepsPerEpoch() + step_,
                                                        (long long)s_.maxEpochs * stepsPerEpoch()));
      lossSum_ += trainStep(*network_, *optimizer_, batch.images, batch.masks, batch.weights, loss_, stepArithmetic());
      if (averaged_) updateWeightAverage(*network_, *averaged_, s_.weightAverageDecay);
      ++step_;
      ++stepsThisSession_;
      report(false);
    }
    endEpoch();
  }

  void endEpoch() {
    const double trainLoss = lossSum_ / std::max(1, step_);
    const double bestThreshold = validate();
    const double previousBest = schedule_.best;
    // The plateau bookkeeping also counts the epochs without improvement that early stopping reads.
    const double plateauRate = schedule_.update(lastValidationLoss_, learningRateOf(*optimizer_));
    if (!cosineSchedule()) setLearningRate(*optimizer_, plateauRate);
    if (isNewBest(schedule_.best < previousBest)) {
      copyWeights(validatedNetwork(), *best_);
      bestEpoch_ = epoch_ + 1;
      bestF1_ = lastValidationF1_;
    }
    recordEpoch(epoch_ + 1, trainLoss, bestThreshold);
    ++epoch_;
    step_ = 0;
    lossSum_ = 0;
    saveState();
    report(true, trainLoss);
  }

  bool isNewBest(bool lowerLoss) const {
    switch (s_.selection) {
      case TrainingSettings::Selection::LowestValidationLoss: return lowerLoss;
      case TrainingSettings::Selection::HighestValidationF1: return lastValidationF1_ > bestF1_;
      case TrainingSettings::Selection::LastEpoch: return true;
    }
    return lowerLoss;
  }

  // A fine-tune first measures the model it starts from on the same validation images, as "epoch 0": the curves
  // and the new version then say whether training improved on it.
  void measureStartingModel() {
    const double bestThreshold = validate();
    const EvaluationSummary atOwnThreshold = evaluateValidation(info_.threshold);
    startingModel_ = {{"threshold", info_.threshold},
                      {"f1", atOwnThreshold.f1},
                      {"mae", atOwnThreshold.meanAbsoluteError},
                      {"errors", errorsOf(atOwnThreshold.counts)},
                      {"validation_loss", lastValidationLoss_},
                      {"best_f1", lastValidationF1_},
                      {"best_threshold", bestThreshold}};
    recordEpoch(0, -1, bestThreshold);
    // The starting weights compete with every epoch: a fine-tune whose epochs all validate worse than the model
    // it started from keeps that model's weights instead of writing its least bad epoch.
    schedule_.best = lastValidationLoss_;
    bestF1_ = lastValidationF1_;
    bestEpoch_ = 0;
    char text[160];
    std::snprintf(text, sizeof text,
                  "the starting model on the validation images: F1 %.3f, count error %.1f at its "
                  "threshold %.3f",
                  atOwnThreshold.f1, atOwnThreshold.meanAbsoluteError, info_.threshold);
    observer_.message(text);
    report(true, -1);
  }

  // The validation loss on crops, and F1 and count MAE on the full images at the threshold of best F1 (returned).
  double validate() {
    lastValidationLoss_ = validationCropLoss();
    const SweepResult sweep = validationSweep();
    const SweepPoint& best = sweep.points[sweep.argmaxF1.value_or(0)];
    lastValidationF1_ = best.f1;
    lastValidationMae_ = evaluateValidation(best.threshold).meanAbsoluteError;
    return best.threshold;
  }

  void recordEpoch(int epoch, double trainLoss, double bestThreshold) {
    nlohmann::json entry = {{"epoch", epoch},
                            {"validation_loss", lastValidationLoss_},
                            {"validation_f1", lastValidationF1_},
                            {"validation_mae", lastValidationMae_},
                            {"best_threshold", bestThreshold},
                            {"learning_rate", learningRateOf(*optimizer_)}};
    if (trainLoss >= 0) entry["train_loss"] = trainLoss;
    history_.push_back(entry);
  }

  // What an epoch's validation measures and may write: the weight average when the run keeps one.
  SegmentationNetworkImpl& validatedNetwork() { return averaged_ ? *averaged_ : *network_; }

  double validationCropLoss() {
    SegmentationNetworkImpl& network = validatedNetwork();
    network.eval();
    torch::NoGradGuard noGrad;
    BatchProducer producer(validationImages_, validationSamples_, s_.batchSize, s_.cropSize, weightNormaliser_,
                           s_.augmentation, 0);
    double sum = 0;
    std::int64_t pixels = 0;
    while (auto crops = producer.next()) {
      if (cancel_.load()) {
        enterTrainingMode(*network_, s_.freezeBatchNorm, s_.decoderOnly);
        throw CancelRequested{};
      }
      const BatchTensors batch = toTensors(*crops, device_);
      sum += weightedBceLoss(network.forward(batch.images), batch.masks, batch.weights, loss_).item<double>() *
             batch.masks.numel();
      pixels += batch.masks.numel();
    }
    enterTrainingMode(*network_, s_.freezeBatchNorm, s_.decoderOnly);
    return sum / std::max<std::int64_t>(1, pixels);
  }

  std::vector<cv::Mat> heatmapsOf(SegmentationNetworkImpl& network, const std::vector<PreparedImage>& images) {
    // The predictor shares the network (no copy); images are already at the canonical diameter.
    InferenceSettings inference = s_.inference;
    inference.threads = at::get_num_threads();
    const HeatmapPredictor predictor(Model{std::shared_ptr<SegmentationNetworkImpl>(&network, [](auto*) {}), info_, {}},
                                     inference);
    std::vector<cv::Mat> heatmaps;
    for (const auto& image : images) {
      if (cancel_.load()) {
        enterTrainingMode(*network_, s_.freezeBatchNorm, s_.decoderOnly);
        throw CancelRequested{};
      }
      heatmaps.push_back(predictor.predict(image.rgb, info_.canonicalDiameterPx));
    }
    enterTrainingMode(*network_, s_.freezeBatchNorm, s_.decoderOnly);
    return heatmaps;
  }

  SweepResult validationSweep(SegmentationNetworkImpl* network = nullptr) {
    lastHeatmaps_ = heatmapsOf(network ? *network : validatedNetwork(), validationImages_);
    return sweepThresholds(validationSweepImages(), defaultSweepThresholds(), {info_.canonicalDiameterPx});
  }

  std::vector<SweepImage> validationSweepImages() const {
    std::vector<SweepImage> images;
    const PostprocessSettings postprocess = info_.postprocess.scaledTo(info_.canonicalDiameterPx);
    for (std::size_t i = 0; i < lastHeatmaps_.size(); ++i)
      images.push_back({validationImages_[i].name, lastHeatmaps_[i], postprocess, validationTruth_[i]});
    return images;
  }

  // The validation sweep (validationSweep, just run) pooled with the training images'.
  SweepResult trainingAndValidationSweep(SegmentationNetworkImpl& network) {
    std::vector<SweepImage> images = validationSweepImages();
    const auto heatmaps = heatmapsOf(network, trainImages_);
    const PostprocessSettings postprocess = info_.postprocess.scaledTo(info_.canonicalDiameterPx);
    for (std::size_t i = 0; i < heatmaps.size(); ++i)
      images.push_back({trainImages_[i].name, heatmaps[i], postprocess, measureLabels(trainImages_[i].trueCells)});
    return sweepThresholds(images, defaultSweepThresholds(), {info_.canonicalDiameterPx});
  }

  // Detection and counting metrics of the last validation heatmaps at one threshold.
  EvaluationSummary evaluateValidation(double threshold) const {
    std::vector<ImageEvaluation> evaluations;
    const PostprocessSettings postprocess = info_.postprocess.scaledTo(info_.canonicalDiameterPx);
    for (std::size_t i = 0; i < validationImages_.size(); ++i)
      evaluations.push_back(evaluateImage(validationImages_[i].name,
                                          detectObjects(lastHeatmaps_[i], threshold, postprocess), validationTruth_[i],
                                          {info_.canonicalDiameterPx}));
    return summarise(evaluations);
  }

  void report(bool epochFinished, double epochLoss = 0) {
    TrainingProgress p;
    p.epoch = epoch_ + (epochFinished ? 0 : 1);
    p.maxEpochs = s_.maxEpochs;
    p.step = epochFinished ? stepsPerEpoch() : step_;
    p.stepsPerEpoch = stepsPerEpoch();
    p.trainLoss = epochFinished ? epochLoss : lossSum_ / std::max(1, step_);
    p.validationLoss = lastValidationLoss_;
    p.validationF1 = lastValidationF1_;
    p.validationMae = lastValidationMae_;
    p.learningRate = learningRateOf(*optimizer_);
    p.elapsedSeconds = std::chrono::duration<double>(Clock::now() - start_).count();
    const double remainingSteps = double(s_.maxEpochs - epoch_) * stepsPerEpoch() - (epochFinished ? 0 : step_);
    p.etaSeconds = stepsThisSession_ ? p.elapsedSeconds / stepsThisSession_ * remainingSteps : 0;
    p.epochFinished = epochFinished;
    observer_.progress(p);
  }

  void finish(TrainingOutcome& outcome) {
    copyWeights(*best_, *network_);
    outcome.selectedEpoch = bestEpoch_;
    outcome.keptStartingWeights = startingModel_.is_object() && bestEpoch_ == 0;
    if (outcome.keptStartingWeights) {
      observer_.message("no epoch validated better than the starting model; its weights and threshold are kept");
    } else {
      outcome.sweep = validationSweep(network_.get());  // also the heatmaps that evaluateValidation reads
      if (pooledThreshold()) outcome.sweep = trainingAndValidationSweep(*network_);
      outcome.threshold =
          outcome.sweep.points[outcome.sweep.knee.value_or(outcome.sweep.argmaxF1.value_or(0))].threshold;
      outcome.validation = evaluateValidation(outcome.threshold);
      outcome.keptStartingWeights = countsNoBetterThanTheStart(outcome.validation);
      if (outcome.keptStartingWeights)
        copyWeights(*starting_, *network_);
      else
        observer_.message("writing the weights of epoch " + std::to_string(bestEpoch_));
    }
    if (outcome.keptStartingWeights) {
      // The starting model whole, threshold included: a knee re-picked on a few validation slides is noise, and
      // on one slide it lowered F1 on the others (models/few-shot-benchmark.sh).
      outcome.selectedEpoch = 0;
      outcome.sweep = validationSweep(network_.get());
      outcome.threshold = startingModel_.at("threshold").get<double>();
      outcome.validation = evaluateValidation(outcome.threshold);
    }
    info_.threshold = outcome.threshold;
    if (startingModel_.is_object()) {
      outcome.startingF1 = startingModel_.at("f1").get<double>();
      outcome.startingMae = startingModel_.at("mae").get<double>();
      if (startingModel_.contains("errors")) outcome.startingErrors = startingModel_.at("errors").get<int>();
    }
    info_.provenance = trainingProvenance(
        s_, outcome, {trainImages_, validationImages_, history_, startingModel_, weightNormaliser_, stepsPerEpoch()});
    network_->to(torch::kCPU);
    writeFileAtomically(s_.outputModel, serialiseModel(*network_, info_),
                        s_.overwriteOutput ? Overwrite::Allow : Overwrite::Refuse);
    outcome.modelPath = s_.outputModel;
  }

  StepArithmetic stepArithmetic() const {
    return s_.stepPrecision == NetworkPrecision::BFloat16 ? StepArithmetic::MixedBfloat16 : StepArithmetic::Float32;
  }

  // A fine-tune whose selected epoch counts the validation images no better than the model it started from (by
  // minimumF1GainOverStart, and with fewer errors beyond chance where asked), each at the threshold it would count
  // with, keeps the starting model: the epoch of lowest validation loss can still put the knee where F1 falls
  // (seen on DeepFLaSH: models/README.md, few-shot benchmark), and a user who clicked Retrain should not get a
  // version that counts their own corrected slides worse. Says so in the log.
  bool countsNoBetterThanTheStart(const EvaluationSummary& selected) {
    if (!startingModel_.is_object() || !starting_ || s_.selection == TrainingSettings::Selection::LastEpoch)
      return false;
    const double startingF1 = startingModel_.at("f1").get<double>();
    const int startingErrors = startingModel_.value("errors", -1);  // absent from checkpoints before 2026-12-04
    const int errors = errorsOf(selected.counts);
    const bool clearF1Gain = selected.f1 >= startingF1 + s_.minimumF1GainOverStart;
    const bool errorsBeyondChance =
        !s_.requireFewerErrorsBeyondChance || startingErrors < 0 || fewerErrorsBeyondChance(startingErrors, errors);
    if (clearF1Gain && errorsBeyondChance) return false;
    char text[320];
    if (!clearF1Gain)
      std::snprintf(text, sizeof text,
                    "epoch %d counts the validation images at F1 %.3f, %s the starting model's %.3f; its weights and "
                    "threshold are kept",
                    bestEpoch_, selected.f1, selected.f1 < startingF1 ? "below" : "too little above", startingF1);
    else
      std::snprintf(text, sizeof text,
                    "epoch %d counts the validation images at F1 %.3f against the starting model's %.3f, but with %d "
                    "errors against %d, a difference chance could make; its weights and threshold are kept",
                    bestEpoch_, selected.f1, startingF1, errors, startingErrors);
    observer_.message(text);
    return true;
  }

  bool cosineSchedule() const { return s_.learningRateSchedule == TrainingSettings::LearningRateSchedule::Cosine; }
  bool pooledThreshold() const {
    return s_.thresholdImages == TrainingSettings::ThresholdImages::TrainingAndValidation;
  }

  const TrainingSettings& s_;
  TrainingObserver& observer_;
  const std::atomic<bool>& cancel_;
  std::string checkpointPath_;
  LossSettings loss_;
  torch::Device device_{torch::kCPU};
  std::string deviceDescription_;
  ModelInfo info_;
  SegmentationNetwork network_, best_;
  SegmentationNetwork averaged_;  // the weight average (TrainingSettings::weightAverageDecay), or none
  std::unique_ptr<torch::optim::Adam> optimizer_;
  PlateauSchedule schedule_;
  std::vector<PreparedImage> trainImages_, validationImages_;
  std::vector<Detection> validationTruth_;
  std::vector<CropSample> samples_, validationSamples_;
  double weightNormaliser_ = 1.0;
  int epoch_ = 0, step_ = 0, stepsThisSession_ = 0;
  double lossSum_ = 0, lastValidationLoss_ = -1, lastValidationF1_ = -1, lastValidationMae_ = -1;
  nlohmann::json history_ = nlohmann::json::array();
  nlohmann::json startingModel_ = nullptr;  // a fine-tune's starting model on the validation images
  SegmentationNetwork starting_;            // a fine-tune's starting weights, in case it must keep them
  int bestEpoch_ = 0;                       // whose weights best_ holds (0: the starting weights)
  double bestF1_ = -1;
  std::vector<cv::Mat> lastHeatmaps_;
  Clock::time_point start_;
};

}  // namespace

std::string checkpointPathOf(const TrainingSettings& settings) {
  return settings.checkpoint.empty() ? settings.outputModel + ".checkpoint" : settings.checkpoint;
}

TrainingOutcome trainModel(const TrainingSettings& settings, TrainingObserver& observer,
                           const std::atomic<bool>& cancel) {
  return TrainingRun(settings, observer, cancel).run();
}

}  // namespace fluocount
