// Training on real crops: the loss falls when overfitting; cancel + resume equals an uninterrupted run; damaged
// checkpoints and mismatched masks are clear errors; the trained model file loads with its threshold.
#include "core/cell_size.h"
#include "core/checkpoint.h"
#include "core/image_io.h"
#include "core/kneedle.h"
#include "core/model_file.h"
#include "core/networks.h"
#include "core/torch_include.h"
#include "core/trainer.h"
#include "core/training_data.h"
#include "core/training_step.h"
#include "tests/test_support.h"

#include <ATen/autocast_mode.h>

#include <QDir>
#include <QFile>
#include <QScopeGuard>
#include <QTemporaryDir>

#include <opencv2/imgproc.hpp>

#include <limits>
#include <optional>

using namespace fluocount;
using namespace fluocount::test;

namespace {

class CancelAfter : public TrainingObserver {
public:
  CancelAfter(std::atomic<bool>& flag, int steps) : flag_(flag), steps_(steps) {}
  void progress(const TrainingProgress& p) override {
    if (!p.epochFinished && ++seen_ >= steps_) flag_.store(true);
  }

private:
  std::atomic<bool>& flag_;
  int steps_, seen_ = 0;
};

// The four named FNC slides, two folders of two (made in initTestCase), so that the runs and their split of 4
// slides stay the same whatever else ../shared/data holds.
// Two folders of two small real DSB2018 fields each (256x256; one image validates): the runs below check the
// trainer's bookkeeping (cancel, resume, selection, checkpoints), and small fields keep each epoch's validation to a
// moment where two FNC slides took about 20 s.
QString gNucleiFolderA, gNucleiFolderB;

TrainingSettings smallRun(const QString& out) {
  TrainingSettings s;
  s.training = {{gNucleiFolderA.toStdString(), 21, 2}, {gNucleiFolderB.toStdString(), 21, 2}};
  s.cropSize = 128;
  s.cropStep = 100;
  s.batchSize = 2;
  s.maxEpochs = 2;
  s.maxStepsPerEpoch = 3;
  s.seed = 5;
  s.inference.threads = 2;
  s.outputModel = out.toStdString();
  return s;
}

std::vector<float> weightsOf(const std::string& path) {
  const Model model = loadModel(path);
  std::vector<float> values;
  for (const auto& p : model.network->parameters()) {
    const auto flat = p.detach().flatten().contiguous();
    values.insert(values.end(), flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
  }
  return values;
}

// Runs the training and expects it to throw E with a message containing every one of `fragments`.
template <typename E>
void expectTrainingError(const TrainingSettings& settings, const QStringList& fragments) {
  std::atomic<bool> never{false};
  TrainingObserver quiet;
  try {
    trainModel(settings, quiet, never);
    QFAIL("training accepted bad input");
  } catch (const E& e) {
    for (const QString& fragment : fragments) QVERIFY2(QString(e.what()).contains(fragment), e.what());
  }
}

float largestDifference(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return std::numeric_limits<float>::infinity();
  float largest = 0;
  for (std::size_t i = 0; i < a.size(); ++i) largest = std::max(largest, std::abs(a[i] - b[i]));
  return largest;
}

}  // namespace

class TrainingTest : public QObject {
  Q_OBJECT

  QTemporaryDir temp;
  std::optional<TrainingOutcome> straight_;

  // Three small real DSB2018 fields (two train, one validates), so that validating three times is quick.
  QString threeSmallNucleiFields() {
    QStringList slides;
    for (const QString stem : {"0532c64c2fd0c4d3188cc751cdfd566b1cfba3d269358717295bab1504c7c275",
                               "0acd2c223d300ea55d0546797713851e818e5c697d073b7f4091b96ce0f3d2fe",
                               "11a0170f44e3ab4a8d669ae8ea9546d3a32ebfe6486d9066e5648d30b4e1cb69"})
      slides.append("dsb2018-fluo/images/" + stem + ".png");
    const QString folder = temp.filePath("dsb-three");
    return QDir(folder).exists() ? folder : writableSlideFolder(temp.path(), "dsb-three", slides);
  }

  // One epoch of two steps at a learning rate of 0.3 from `start` on the three small fields: enough to wreck it.
  TrainingSettings wildFineTune(const std::string& start, const QString& out) {
    TrainingSettings s = smallRun(out);
    s.training = {{threeSmallNucleiFields().toStdString(), 21, 4}};
    s.initialModel = start;
    s.learningRate = 0.3;
    s.maxEpochs = 1;
    s.maxStepsPerEpoch = 2;
    return s;
  }

private slots:
  void initTestCase() {
    FLUOCOUNT_REQUIRE_SHARED_DATA();
    gNucleiFolderA = writableSlideFolder(temp.path(), "nuclei-a", kSmallNucleiFields.mid(0, 2));
    gNucleiFolderB = writableSlideFolder(temp.path(), "nuclei-b", kSmallNucleiFields.mid(2, 2));
  }

  void overfittingTwoRealCropsDrivesTheLossDown() {
    const PreparedImage slide = prepareExample({dataFile(kRedSlide), maskFile(kRedSlide), 50, 1}, 50, {}, {});
    torch::manual_seed(3);
    at::set_num_threads(2);
    auto network = makeNetwork(Architecture::CResUnet);
    network->train();
    torch::optim::Adam optimizer(network->parameters(), torch::optim::AdamOptions(0.003));
    auto images = torch::empty({2, 3, 128, 128}), masks = torch::empty({2, 1, 128, 128}),
         weights = torch::empty({2, 1, 128, 128});
    const cv::Point origins[2] = {{700, 500}, {300, 300}};
    for (int i = 0; i < 2; ++i) {
      const TrainingCrop crop = makeCrop(slide.rgb, slide.mask, slide.weights, origins[i], 128, false, {}, 0);
      QVERIFY(cv::countNonZero(crop.mask) > 0 || i == 1);
      images[i].copy_(torch::from_blob(crop.image.data, {128, 128, 3}).permute({2, 0, 1}));
      masks[i][0].copy_(torch::from_blob(crop.mask.data, {128, 128}));
      weights[i][0].copy_(torch::from_blob(crop.weights.data, {128, 128}) / 3.8);
    }
    const LossSettings loss;
    const double first = trainStep(*network, optimizer, images, masks, weights, loss);
    double last = first;
    for (int step = 0; step < 40; ++step) last = trainStep(*network, optimizer, images, masks, weights, loss);
    qInfo("loss %g -> %g after 41 steps", first, last);
    QVERIFY(last < first / 5);
  }

  // train --precision bfloat16: the forward pass under bfloat16 autocast, the weights, loss and Adam in float32.
  // From the same start on the same real crops, its first loss is float32's to bfloat16's rounding, and it
  // learns the crops as float32 does.
  void mixedBfloat16StepsLearnAsFloat32Does() {
    if (!cpuHasNativeBfloat16()) QSKIP("this CPU has no native bfloat16 (AVX512-BF16): the step is refused here");
    const PreparedImage slide = prepareExample({dataFile(kRedSlide), maskFile(kRedSlide), 50, 1}, 50, {}, {});
    at::set_num_threads(2);
    auto images = torch::empty({2, 3, 128, 128}), masks = torch::empty({2, 1, 128, 128}),
         weights = torch::empty({2, 1, 128, 128});
    const cv::Point origins[2] = {{700, 500}, {300, 300}};
    for (int i = 0; i < 2; ++i) {
      const TrainingCrop crop = makeCrop(slide.rgb, slide.mask, slide.weights, origins[i], 128, false, {}, 0);
      images[i].copy_(torch::from_blob(crop.image.data, {128, 128, 3}).permute({2, 0, 1}));
      masks[i][0].copy_(torch::from_blob(crop.mask.data, {128, 128}));
      weights[i][0].copy_(torch::from_blob(crop.weights.data, {128, 128}) / 3.8);
    }
    auto startingNetwork = [] {
      torch::manual_seed(3);
      auto network = makeNetwork(Architecture::CResUnet);
      network->train();
      layOutWeightsFor(*network, torch::kCPU);
      return network;
    };
    auto exact = startingNetwork();
    torch::optim::Adam exactOptimizer(exact->parameters(), torch::optim::AdamOptions(0.003));
    const double exactFirst = trainStep(*exact, exactOptimizer, images, masks, weights, {});
    auto mixed = startingNetwork();
    torch::optim::Adam mixedOptimizer(mixed->parameters(), torch::optim::AdamOptions(0.003));
    const double first = trainStep(*mixed, mixedOptimizer, images, masks, weights, {}, StepArithmetic::MixedBfloat16);
    QVERIFY2(std::abs(first - exactFirst) < 0.02 * exactFirst,
             qPrintable(QString("first loss %1 in mixed bfloat16, %2 in float32").arg(first).arg(exactFirst)));
    double last = first;
    for (int step = 0; step < 40; ++step)
      last = trainStep(*mixed, mixedOptimizer, images, masks, weights, {}, StepArithmetic::MixedBfloat16);
    qInfo("mixed bfloat16: loss %g -> %g after 41 steps (float32's first %g)", first, last, exactFirst);
    QVERIFY(last < first / 5);
    for (const auto& parameter : mixed->parameters()) {
      QCOMPARE(parameter.scalar_type(), torch::kFloat);
      QVERIFY(torch::isfinite(parameter).all().item<bool>());
    }
    QVERIFY(!at::autocast::is_cpu_enabled());  // the step leaves autocast as it found it
  }

  // A whole run in mixed bfloat16, as `train --precision bfloat16` and Retrain's "Faster arithmetic" start it:
  // it writes a float32 model that says how it was trained, and the straight float32 run's provenance says float32.
  void aRunInMixedBfloat16WritesAFloat32Model() {
    if (!cpuHasNativeBfloat16()) QSKIP("this CPU has no native bfloat16 (AVX512-BF16): the run is refused here");
    TrainingSettings settings = smallRun(temp.filePath("mixed.fcmodel"));
    settings.stepPrecision = NetworkPrecision::BFloat16;
    std::atomic<bool> never{false};
    TrainingObserver quiet;
    QCOMPARE(trainModel(settings, quiet, never).status, TrainingOutcome::Status::Finished);
    const Model model = loadModel(settings.outputModel);
    QCOMPARE(model.info.provenance.at("settings").at("step_precision").get<std::string>(), std::string("bfloat16"));
    for (const auto& parameter : model.network->parameters()) QCOMPARE(parameter.scalar_type(), torch::kFloat);
    QVERIFY(model.info.threshold > 0);
    straightRun();
    QCOMPARE(loadModel(temp.filePath("straight.fcmodel").toStdString())
                 .info.provenance.at("settings")
                 .at("step_precision")
                 .get<std::string>(),
             std::string("float32"));
  }

  void bfloat16TrainingIsRefusedWhereTheCpuHasNone() {
    qputenv("FLUOCOUNT_NO_BFLOAT16", "1");  // this CPU counts as one without native bfloat16
    const auto unset = qScopeGuard([] { qunsetenv("FLUOCOUNT_NO_BFLOAT16"); });
    TrainingSettings settings = smallRun(temp.filePath("refused.fcmodel"));
    settings.inference.device = DevicePreference::Cpu;
    settings.stepPrecision = NetworkPrecision::BFloat16;
    expectTrainingError<std::runtime_error>(settings, {"AVX512-BF16", "train in float32"});
    QVERIFY(!QFileInfo::exists(temp.filePath("refused.fcmodel")));
  }

  // The uninterrupted small run, trained once by whichever function needs it first (so that each can also run
  // alone: ./test_training cancelAfterAnEpochsLastStepResumesExactlyToo).
  const TrainingOutcome& straightRun() {
    if (!straight_) {
      std::atomic<bool> never{false};
      TrainingObserver quiet;
      straight_ = trainModel(smallRun(temp.filePath("straight.fcmodel")), quiet, never);
    }
    return *straight_;
  }

  void cancelAndResumeEqualsAnUninterruptedRun() {
    std::atomic<bool> never{false};
    TrainingObserver quiet;
    const QString straight = temp.filePath("straight.fcmodel");
    const TrainingOutcome& a = straightRun();
    QCOMPARE(a.status, TrainingOutcome::Status::Finished);
    QCOMPARE(a.epochs, 2);

    const QString interrupted = temp.filePath("interrupted.fcmodel");
    std::atomic<bool> cancel{false};
    CancelAfter observer(cancel, 4);  // in the middle of the second epoch
    const TrainingOutcome b = trainModel(smallRun(interrupted), observer, cancel);
    QCOMPARE(b.status, TrainingOutcome::Status::Cancelled);
    QVERIFY(!QFile::exists(interrupted));
    QVERIFY(QFile::exists(interrupted + ".checkpoint"));

    TrainingSettings resume = smallRun(interrupted);
    resume.resume = true;
    std::atomic<bool> keepGoing{false};
    const TrainingOutcome c = trainModel(resume, quiet, keepGoing);
    QCOMPARE(c.status, TrainingOutcome::Status::Finished);
    const float largest = largestDifference(weightsOf(straight.toStdString()), weightsOf(interrupted.toStdString()));
    qInfo("largest weight difference, resumed vs uninterrupted: %g", largest);
    QVERIFY(largest < 1e-5f);
    QCOMPARE(c.threshold, a.threshold);
  }

  void cancelAfterAnEpochsLastStepResumesExactlyToo() {
    // Cancel after the first epoch's last step, before its validation: the resumed run validates that epoch.
    const QString path = temp.filePath("validating.fcmodel");
    std::atomic<bool> cancel{false};
    CancelAfter observer(cancel, 3);
    QCOMPARE(trainModel(smallRun(path), observer, cancel).status, TrainingOutcome::Status::Cancelled);
    TrainingSettings resume = smallRun(path);
    resume.resume = true;
    std::atomic<bool> never{false};
    TrainingObserver quiet;
    QCOMPARE(trainModel(resume, quiet, never).status, TrainingOutcome::Status::Finished);
    QCOMPARE(straightRun().status, TrainingOutcome::Status::Finished);
    QVERIFY(largestDifference(weightsOf(temp.filePath("straight.fcmodel").toStdString()),
                              weightsOf(path.toStdString())) < 1e-5f);
  }

  void trainedModelCarriesItsThresholdAndProvenance() {
    const QString path = temp.filePath("straight.fcmodel");
    QCOMPARE(straightRun().status, TrainingOutcome::Status::Finished);
    QVERIFY(QFile::exists(path));
    const Model model = loadModel(path.toStdString());
    QCOMPARE(model.info.architecture, Architecture::CResUnet);
    const auto& p = model.info.provenance;
    QCOMPARE(p.at("threshold_curve").size(), std::size_t(20));
    // The threshold is the Kneedle knee of the recorded validation F1 curve (its best F1 when it has no knee),
    // found again here from the curve alone.
    std::vector<double> thresholds, f1;
    for (const auto& point : p.at("threshold_curve")) {
      thresholds.push_back(point.at("threshold").get<double>());
      f1.push_back(point.at("f1").get<double>());
    }
    const auto knee = findKnee(thresholds, f1, CurveShape::Concave, CurveDirection::Decreasing);
    const std::size_t best = std::size_t(std::max_element(f1.begin(), f1.end()) - f1.begin());
    QCOMPARE(model.info.threshold, thresholds[knee.value_or(best)]);
    if (knee) QCOMPARE(p.at("knee_threshold").get<double>(), model.info.threshold);
    QCOMPARE(p.at("split").at("train").size() + p.at("split").at("validation").size(), std::size_t(4));
    QCOMPARE(p.at("epochs").get<int>(), 2);
    QVERIFY(p.at("validation_metrics").contains("f1"));
  }

  // A fine-tune whose every epoch validates worse than the model it started from writes that model's weights,
  // not its least bad epoch (a learning rate of 0.3 wrecks the bundled model within two steps).
  void fineTuneThatOnlyGetsWorseKeepsTheStartingWeights() {
    const std::string start = FLUOCOUNT_SOURCE_MODELS_DIR "/default.fcmodel";
    TrainingSettings s = wildFineTune(start, temp.filePath("worse.fcmodel"));
    std::atomic<bool> never{false};
    TrainingObserver quiet;
    const TrainingOutcome outcome = trainModel(s, quiet, never);
    QCOMPARE(outcome.status, TrainingOutcome::Status::Finished);
    QVERIFY(outcome.startingF1.has_value());
    const Model written = loadModel(s.outputModel);
    const nlohmann::json& history = written.info.provenance.at("history");
    QCOMPARE(history.size(), std::size_t(2));  // epoch 0 (the start) and epoch 1
    const double startLoss = history[0].at("validation_loss"), epochLoss = history[1].at("validation_loss");
    qInfo("validation loss: start %g, after the epoch %g", startLoss, epochLoss);
    QVERIFY(epochLoss > startLoss);
    QVERIFY(outcome.keptStartingWeights);
    QCOMPARE(written.info.threshold, loadModel(start).info.threshold);  // the starting model whole
    QVERIFY(written.info.provenance.at("kept_starting_weights").get<bool>());
    QCOMPARE(largestDifference(weightsOf(start), weightsOf(s.outputModel)), 0.0f);

    // --select last writes the last epoch whatever it validated.
    s.outputModel = temp.filePath("last.fcmodel").toStdString();
    s.selection = TrainingSettings::Selection::LastEpoch;
    const TrainingOutcome last = trainModel(s, quiet, never);
    QVERIFY(!last.keptStartingWeights);
    QCOMPARE(last.selectedEpoch, 1);
    QCOMPARE(loadModel(s.outputModel).info.provenance.at("selection").get<std::string>(), std::string("last epoch"));
    QVERIFY(largestDifference(weightsOf(start), weightsOf(s.outputModel)) > 0.01f);
  }

  // An epoch of lower validation loss can still count the validation images worse than the model it started from;
  // then the start is kept, weights and threshold. Pinned with minimumF1GainOverStart set out of reach (a gain of
  // 1), from a model that a wild fine-tune wrecked, so that the epochs surely validate at a lower loss than it.
  void aFineTuneThatCountsNoBetterKeepsTheStartingModel() {
    const std::string bundled = FLUOCOUNT_SOURCE_MODELS_DIR "/default.fcmodel";
    TrainingSettings wreck = wildFineTune(bundled, temp.filePath("wrecked.fcmodel"));
    wreck.selection = TrainingSettings::Selection::LastEpoch;
    std::atomic<bool> never{false};
    TrainingObserver quiet;
    QVERIFY(!trainModel(wreck, quiet, never).keptStartingWeights);

    TrainingSettings s = wildFineTune(wreck.outputModel, temp.filePath("kept-no-gain.fcmodel"));
    s.learningRate = 0.001;
    s.maxEpochs = 2;
    s.minimumF1GainOverStart = 1;
    struct : TrainingObserver {
      void message(const std::string& text) override { messages.append(QString::fromStdString(text)); }
      QStringList messages;
    } log;
    const TrainingOutcome outcome = trainModel(s, log, never);
    const Model written = loadModel(s.outputModel);
    const nlohmann::json& history = written.info.provenance.at("history");
    double lowestEpochLoss = 1e9;
    for (std::size_t e = 1; e < history.size(); ++e)
      lowestEpochLoss = std::min(lowestEpochLoss, history[e].at("validation_loss").get<double>());
    qInfo("validation loss: start %g, best epoch %g", history[0].at("validation_loss").get<double>(), lowestEpochLoss);
    QVERIFY(lowestEpochLoss < history[0].at("validation_loss").get<double>());  // an epoch was selected ...
    QVERIFY2(!log.messages.filter("too little above the starting model's").isEmpty(),
             qPrintable(log.messages.join('\n')));
    QVERIFY(outcome.keptStartingWeights);  // ... and set aside
    QCOMPARE(outcome.selectedEpoch, 0);
    QCOMPARE(written.info.threshold, loadModel(wreck.outputModel).info.threshold);
    QCOMPARE(largestDifference(weightsOf(wreck.outputModel), weightsOf(s.outputModel)), 0.0f);
    QCOMPARE(outcome.validation.f1, *outcome.startingF1);

    // With no F1 gain asked, the same run writes its epoch only where it counts the validation images no worse,
    // and, as Retrain asks, with fewer errors than chance could make.
    s.outputModel = temp.filePath("kept-or-better.fcmodel").toStdString();
    s.minimumF1GainOverStart = 0;
    s.requireFewerErrorsBeyondChance = true;
    const TrainingOutcome plain = trainModel(s, quiet, never);
    QVERIFY(plain.startingErrors.has_value());
    qInfo("validation F1: start %.3f, written %.3f (epoch %d); errors %d -> %d", *plain.startingF1, plain.validation.f1,
          plain.selectedEpoch, *plain.startingErrors, errorsOf(plain.validation.counts));
    QVERIFY(plain.validation.f1 >= *plain.startingF1);
    if (!plain.keptStartingWeights)
      QVERIFY(fewerErrorsBeyondChance(*plain.startingErrors, errorsOf(plain.validation.counts)));
  }

  // --threshold-from all: the written weights' threshold is the knee of the training and validation images'
  // pooled sweep, with the same weights as a run that picks it on the validation image alone; a fine-tune that keeps
  // its starting weights keeps their threshold either way.
  void thresholdCanBePickedOnTrainingAndValidationImages() {
    const std::string start = FLUOCOUNT_SOURCE_MODELS_DIR "/default.fcmodel";
    TrainingSettings s = wildFineTune(start, temp.filePath("threshold-validation.fcmodel"));
    s.learningRate = 5e-4;
    s.selection = TrainingSettings::Selection::LastEpoch;
    std::atomic<bool> never{false};
    TrainingObserver quiet;
    const TrainingOutcome onValidation = trainModel(s, quiet, never);
    s.outputModel = temp.filePath("threshold-all.fcmodel").toStdString();
    s.thresholdImages = TrainingSettings::ThresholdImages::TrainingAndValidation;
    const TrainingOutcome pooled = trainModel(s, quiet, never);
    QCOMPARE(largestDifference(weightsOf(temp.filePath("threshold-validation.fcmodel").toStdString()),
                               weightsOf(s.outputModel)),
             0.0f);
    const auto trueCells = [](const SweepResult& sweep) {
      const MatchCounts& c = sweep.points.front().counts;
      return c.truePositives + c.falseNegatives;
    };
    qInfo("true cells swept: validation %d, pooled %d; thresholds %.3f and %.3f", trueCells(onValidation.sweep),
          trueCells(pooled.sweep), onValidation.threshold, pooled.threshold);
    QVERIFY(trueCells(onValidation.sweep) > 0);
    QVERIFY(trueCells(pooled.sweep) > trueCells(onValidation.sweep));  // the two training fields have cells too
    for (std::size_t i = 0; i < pooled.sweep.points.size(); ++i)
      QVERIFY(pooled.sweep.points[i].totalCount >= onValidation.sweep.points[i].totalCount);
    const std::size_t chosen = pooled.sweep.knee.value_or(pooled.sweep.argmaxF1.value_or(0));
    QCOMPARE(pooled.threshold, pooled.sweep.points[chosen].threshold);
    const Model written = loadModel(s.outputModel);
    QCOMPARE(written.info.threshold, pooled.threshold);
    QCOMPARE(written.info.provenance.at("threshold_curve_images").get<std::string>(),
             std::string("training and validation"));
    QCOMPARE(written.info.provenance.at("threshold_curve").at(0).at("count").get<int>(),
             pooled.sweep.points.front().totalCount);

    TrainingSettings wrecked = wildFineTune(start, temp.filePath("threshold-kept.fcmodel"));
    wrecked.thresholdImages = TrainingSettings::ThresholdImages::TrainingAndValidation;
    const TrainingOutcome kept = trainModel(wrecked, quiet, never);
    QVERIFY(kept.keptStartingWeights);
    QCOMPARE(kept.threshold, loadModel(start).info.threshold);
    QCOMPARE(loadModel(wrecked.outputModel).info.provenance.at("threshold_curve_images").get<std::string>(),
             std::string("validation"));
  }

  // With weight averaging, what validates and is written is the moving average, which starts at the starting model:
  // at a decay of 0.9999 two wild steps (lr 0.3) move it by a hair, while the last step's own weights moved far.
  void weightAverageIsWhatIsWritten() {
    const std::string start = FLUOCOUNT_SOURCE_MODELS_DIR "/default.fcmodel";
    TrainingSettings s = wildFineTune(start, temp.filePath("averaged.fcmodel"));
    s.selection = TrainingSettings::Selection::LastEpoch;
    s.weightAverageDecay = 0.9999;
    std::atomic<bool> never{false};
    TrainingObserver quiet;
    QCOMPARE(trainModel(s, quiet, never).status, TrainingOutcome::Status::Finished);
    const float averagedMoved = largestDifference(weightsOf(start), weightsOf(s.outputModel));
    s.outputModel = temp.filePath("not-averaged.fcmodel").toStdString();
    s.weightAverageDecay = 0;
    QCOMPARE(trainModel(s, quiet, never).status, TrainingOutcome::Status::Finished);
    const float lastStepMoved = largestDifference(weightsOf(start), weightsOf(s.outputModel));
    qInfo("largest weight change: average %g, last step %g", averagedMoved, lastStepMoved);
    QVERIFY(averagedMoved > 0);
    QVERIFY(averagedMoved < 1e-3f * lastStepMoved);
    QCOMPARE(loadModel(temp.filePath("averaged.fcmodel").toStdString())
                 .info.provenance.at("settings")
                 .at("weight_average_decay")
                 .get<double>(),
             0.9999);
  }

  // The average is part of the checkpoint: a resumed run ends exactly where an uninterrupted one does; a checkpoint
  // of a run without an average cannot be resumed with one.
  void weightAverageResumesExactly() {
    std::atomic<bool> never{false};
    TrainingObserver quiet;
    TrainingSettings s = smallRun(temp.filePath("average-straight.fcmodel"));
    s.weightAverageDecay = 0.8;
    s.selection = TrainingSettings::Selection::LastEpoch;  // the average at the end, not an earlier epoch's copy
    QCOMPARE(trainModel(s, quiet, never).status, TrainingOutcome::Status::Finished);

    TrainingSettings interrupted = s;
    interrupted.outputModel = temp.filePath("average-interrupted.fcmodel").toStdString();
    std::atomic<bool> cancel{false};
    CancelAfter observer(cancel, 4);  // in the middle of the second epoch
    QCOMPARE(trainModel(interrupted, observer, cancel).status, TrainingOutcome::Status::Cancelled);
    TrainingSettings withoutAverage = interrupted;
    withoutAverage.resume = true;
    withoutAverage.weightAverageDecay = 0;
    expectTrainingError<CheckpointError>(withoutAverage, {"weight averaging", "same settings"});
    interrupted.resume = true;
    QCOMPARE(trainModel(interrupted, quiet, never).status, TrainingOutcome::Status::Finished);
    const float largest = largestDifference(weightsOf(s.outputModel), weightsOf(interrupted.outputModel));
    qInfo("largest weight difference, resumed vs uninterrupted, averaged: %g", largest);
    QVERIFY(largest < 1e-5f);
  }

  // The cosine schedule sets each step's rate from the step's place in the whole run (so a resumed run takes it up
  // exactly): every epoch ends at the rate of its last step. A cosine checkpoint is not resumed as a plateau run.
  void cosineScheduleDecaysOverTheRun() {
    QCOMPARE(cosineLearningRate(0.4, 0, 10), 0.4);
    QCOMPARE(cosineLearningRate(0.4, 5, 10), 0.2);
    QVERIFY(std::abs(cosineLearningRate(0.4, 10, 10)) < 1e-12);
    std::atomic<bool> never{false};
    TrainingObserver quiet;
    TrainingSettings s = smallRun(temp.filePath("cosine-straight.fcmodel"));
    s.learningRate = 0.001;
    s.learningRateSchedule = TrainingSettings::LearningRateSchedule::Cosine;
    s.selection = TrainingSettings::Selection::LastEpoch;
    QCOMPARE(trainModel(s, quiet, never).status, TrainingOutcome::Status::Finished);
    const nlohmann::json& provenance = loadModel(s.outputModel).info.provenance;
    QCOMPARE(provenance.at("settings").at("learning_rate_schedule").get<std::string>(), std::string("cosine"));
    const nlohmann::json& history = provenance.at("history");
    const int steps = s.maxStepsPerEpoch, total = s.maxEpochs * steps;
    QCOMPARE(int(history.size()), s.maxEpochs);
    for (int epoch = 1; epoch <= s.maxEpochs; ++epoch) {
      const double rate = history[epoch - 1].at("learning_rate");
      QVERIFY2(std::abs(rate - cosineLearningRate(s.learningRate, epoch * steps - 1, total)) < 1e-12,
               qPrintable(QString("epoch %1: rate %2").arg(epoch).arg(rate)));
    }

    TrainingSettings interrupted = s;
    interrupted.outputModel = temp.filePath("cosine-interrupted.fcmodel").toStdString();
    std::atomic<bool> cancel{false};
    CancelAfter observer(cancel, 1);
    QCOMPARE(trainModel(interrupted, observer, cancel).status, TrainingOutcome::Status::Cancelled);
    interrupted.resume = true;
    interrupted.learningRateSchedule = TrainingSettings::LearningRateSchedule::Plateau;
    expectTrainingError<CheckpointError>(interrupted, {"cosine learning-rate schedule", "same settings"});
  }

  // A folder that mixes cell sizes (DeepFLaSH: cFOS nuclei of about 14 px, parvalbumin cells of about 21 px) is
  // trained with each image at its own diameter, measured on its mask as the 'diameter' command measures it.
  void eachImageCanBeTrainedAtItsOwnDiameter() {
    const QString folder = writableSlideFolder(
        temp.path(), "mixed-sizes", {"deepflash/images/cfos_wue_01.png", "deepflash/images/parv_wue_00.png"});
    DatasetSource source{folder.toStdString(), 11, 1};
    source.eachImageOwnDiameter = true;
    const DatasetScan scan = scanDatasets({source});
    QCOMPARE(scan.examples.size(), std::size_t(2));
    const double cfos = scan.examples[0].cellDiameterPx, parvalbumin = scan.examples[1].cellDiameterPx;
    qInfo("cFOS %.2f px, parvalbumin %.2f px", cfos, parvalbumin);
    QVERIFY(std::abs(cfos - 14.3) < 0.1);  // fluocount-cli diameter on the slide alone: 14.3 px
    QVERIFY(std::abs(parvalbumin - 20.6) < 0.1);
    QCOMPARE(prepareExample(scan.examples[1], 25, {}, {}).scale, 25 / parvalbumin);
  }

  // The app's Retrain hands the trainer the corrected slides themselves; with explicitExamplesAtOwnDiameter each is
  // measured on its own mask on the training thread, whatever diameter it was handed (here 11 px for both).
  void correctedSlidesAreTrainedAtTheirOwnDiameters() {
    const QString folder = writableSlideFolder(
        temp.path(), "corrected", {"deepflash/images/cfos_wue_01.png", "deepflash/images/parv_wue_00.png"});
    const auto example = [&](const QString& stem) {
      return TrainingExample{(folder + "/images/" + stem + ".png").toStdString(),
                             (folder + "/masks/" + stem + ".png").toStdString(), 11, 10};
    };
    for (const bool own : {true, false}) {
      TrainingSettings s = smallRun(temp.filePath("corrected.fcmodel"));
      s.training.clear();
      s.trainingExamples = {example("cfos_wue_01")};
      s.validationExamples = {example("parv_wue_00")};
      s.explicitExamplesAtOwnDiameter = own;
      s.canonicalDiameterPx = 25;
      std::atomic<bool> cancel{false};
      struct : CancelAfter {
        using CancelAfter::CancelAfter;
        void message(const std::string& text) override { messages.append(QString::fromStdString(text)); }
        QStringList messages;
      } observer(cancel, 1);
      QCOMPARE(trainModel(s, observer, cancel).status, TrainingOutcome::Status::Cancelled);
      const QStringList measured = observer.messages.filter("each image at its own cell diameter");
      if (own)
        QCOMPARE(measured, QStringList{"each image at its own cell diameter: 14.3 to 20.6 px over 2 image(s)"});
      else
        QVERIFY2(measured.isEmpty(), qPrintable(measured.join('\n')));
    }
  }

  // An image with fewer than three annotated cells says little about their size: it takes the folder's median.
  // BBBC039 holds three fields whose masks are empty in the source.
  void anImageWithoutCellsTakesItsFoldersDiameter() {
    DatasetSource source{dataFile("bbbc039"), 28, 1};
    source.eachImageOwnDiameter = true;
    const DatasetScan scan = scanDatasets({source});
    std::vector<double> measured;
    std::vector<std::size_t> empty;
    for (std::size_t i = 0; i < scan.examples.size(); ++i) {
      const OwnCellDiameter own = ownCellDiameter(scan.examples[i]);
      if (own.cells >= minimumCellsForOwnDiameter) {
        QCOMPARE(scan.examples[i].cellDiameterPx, own.diameterPx);
        measured.push_back(own.diameterPx);
      } else {
        empty.push_back(i);
      }
    }
    QCOMPARE(empty.size(), std::size_t(3));
    const double median = summariseDiameters(measured).medianDiameterPx;
    qInfo("%zu fields measured, median %.2f px", measured.size(), median);
    QVERIFY(median > 20 && median < 40);
    for (std::size_t i : empty) QCOMPARE(scan.examples[i].cellDiameterPx, median);
  }

  void damagedCheckpointIsRejected() {
    // A checkpoint of its own: a run cancelled after its first step.
    const QString model = temp.filePath("to-damage.fcmodel"), path = model + ".checkpoint";
    std::atomic<bool> cancel{false};
    CancelAfter observer(cancel, 1);
    QCOMPARE(trainModel(smallRun(model), observer, cancel).status, TrainingOutcome::Status::Cancelled);
    QVERIFY(QFile::exists(path));
    std::string bytes = readBytes(path.toStdString());
    bytes[bytes.size() / 3] = static_cast<char>(bytes[bytes.size() / 3] ^ 0x10);
    const QString damaged = temp.filePath("damaged.checkpoint");
    writeBytes(damaged.toStdString(), bytes);
    TrainingSettings s = smallRun(temp.filePath("never.fcmodel"));
    s.checkpoint = damaged.toStdString();
    s.resume = true;
    expectTrainingError<CheckpointError>(s, {"damaged.checkpoint", "checksum"});
  }

  void maskOfTheWrongSizeNamesBothFiles() {
    const QString dataset = temp.filePath("mismatched");
    QDir().mkpath(dataset + "/images");
    QDir().mkpath(dataset + "/masks");
    QVERIFY(QFile::copy(QString::fromStdString(dataFile(kRedSlide)), dataset + "/images/slide.png"));
    QVERIFY(QFile::copy(QString::fromStdString(maskFile(kNucleiSlide)), dataset + "/masks/slide.png"));
    QVERIFY(QFile::copy(QString::fromStdString(dataFile(kYellowSlide)), dataset + "/images/other.png"));
    QVERIFY(QFile::copy(QString::fromStdString(maskFile(kYellowSlide)), dataset + "/masks/other.png"));
    TrainingSettings s = smallRun(temp.filePath("never.fcmodel"));
    s.training = {{dataset.toStdString(), 50, 1}};
    expectTrainingError<ImageError>(s, {"masks/slide.png", "images/slide.png"});
  }

  // BBBC039's binary masks merge touching nuclei into one object; its labels/ keep them apart. Training takes the
  // mask from masks/ and cuts the lines where two labelled nuclei touch, so each nucleus is its own object.
  void touchingNucleiAreSeparatedInTheTrainingMask() {
    const DatasetScan scan = scanDatasets({{dataFile("bbbc039"), 28, 1}});
    QVERIFY(scan.examples.size() > 100);
    // The example among the first 20 whose mask merges the most labelled nuclei.
    TrainingExample merged;
    int mostMerged = 0, nuclei = 0;
    for (std::size_t i = 0; i < 20; ++i) {
      const TrainingExample& e = scan.examples[i];
      QVERIFY2(!e.labelsPath.empty(), e.imagePath.c_str());
      cv::Mat unused, labels = loadLabels(e.labelsPath);
      double largest = 0;
      cv::minMaxLoc(labels, nullptr, &largest);
      const int components = cv::connectedComponents(loadMask(e.maskPath), unused, 8) - 1;
      if (int(largest) - components > mostMerged) {
        mostMerged = int(largest) - components;
        nuclei = int(largest);
        merged = e;
      }
    }
    QVERIFY2(mostMerged >= 5, "expected a BBBC039 field with touching nuclei among the first 20");

    const PreparedImage separated = prepareExample(merged, 25, {}, {}, true);
    const PreparedImage binaryOnly = prepareExample(merged, 25, {}, {}, false);

    cv::Mat unused, separatedMask, binaryMask;
    separated.mask.convertTo(separatedMask, CV_8U, 255);
    binaryOnly.mask.convertTo(binaryMask, CV_8U, 255);
    const int separatedObjects = cv::connectedComponents(separatedMask, unused, 8) - 1;
    const int binaryObjects = cv::connectedComponents(binaryMask, unused, 8) - 1;
    qInfo("%s: %d labelled nuclei, %d objects in the binary mask, %d after separation", separated.name.c_str(), nuclei,
          binaryObjects, separatedObjects);
    QVERIFY(separatedObjects >= binaryObjects + mostMerged * 9 / 10);
    QVERIFY(separatedObjects <= nuclei + 2);  // a nucleus thinner than the cut may break in two, rarely
    // Only cell pixels are taken away, and only thin lines of them.
    QCOMPARE(cv::countNonZero(separatedMask & ~binaryMask), 0);
    const int removed = cv::countNonZero(binaryMask) - cv::countNonZero(separatedMask);
    QVERIFY(removed > 0);
    QVERIFY(removed < cv::countNonZero(binaryMask) / 20);
  }

  // The true cells of a training or validation image follow the one rule of core/true_cells.h: labels of
  // another size are set aside with a note naming them, and the mask's components are the true cells.
  void labelsOfTheWrongSizeAreSetAsideWithANote() {
    const std::string image = dataFile("bbbc039/images/IXMtest_A02_s1_w1051DAA7C-7042-435F-99F0-1E847D9B42CB.png");
    const std::string mask = dataFile("bbbc039/masks/IXMtest_A02_s1_w1051DAA7C-7042-435F-99F0-1E847D9B42CB.png");
    const std::string otherLabels =
        dataFile("dsb2018-fluo/labels/00071198d059ba7f5914a526d124d28e6d010c92466da21d4a04cd5413362552.png");
    const PreparedImage prepared = prepareExample({image, mask, 28, 1, otherLabels}, 25, {}, {}, true);
    QVERIFY2(QString::fromStdString(prepared.truthNote).contains("dsb2018-fluo/labels"), prepared.truthNote.c_str());
    const PreparedImage withoutLabels = prepareExample({image, mask, 28, 1, {}}, 25, {}, {}, true);
    QCOMPARE(measureLabels(prepared.trueCells).count(), measureLabels(withoutLabels.trueCells).count());
    QCOMPARE(cv::norm(prepared.mask, withoutLabels.mask, cv::NORM_INF), 0.0);
  }
};

QTEST_GUILESS_MAIN(TrainingTest)
#include "test_training.moc"
