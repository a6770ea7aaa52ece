// Counting a folder as a pipeline (core/count_pipeline.h): the counts are CellCounter::count's, image by image and
// in order, on real slides of several sizes and bit depths; a bad file is reported in its place; cancelling and a
// failing caller end the run cleanly. Needs ../shared/data (and fails saying so without it).
#include "core/count_pipeline.h"
#include "core/model_file.h"
#include "tests/test_support.h"

#include <QTemporaryDir>
#include <QTest>

#include <stdexcept>

using namespace fluocount;

namespace {

const std::string kModels = FLUOCOUNT_SOURCE_MODELS_DIR;
const std::string kSamples = FLUOCOUNT_SOURCE_SAMPLES_DIR;

// Slides of three sizes and two bit depths (the 16-bit nuclei slide is percentile-stretched), one of them twice.
std::vector<std::string> mixedSlides() {
  return {kSamples + "/images/Mar19bS1C4R2_LHr_200x.png", test::dataFile(test::kNucleiSlide),
          test::dataFile(test::kRedSlide2), kSamples + "/images/Mar19bS1C4R2_LHr_200x.png",
          test::dataFile(test::kYellowSlide2)};
}

// For the checks of the hand-over itself (order, errors, cancelling, memory): small slides (a 696x520 16-bit
// nuclei slide, three 256x256 DSB2018 slides), so that they stay quick under the sanitizers.
std::vector<std::string> smallSlides() {
  const QString dsb = "dsb2018-fluo/images/";
  return {test::dataFile(test::kNucleiSlide),
          test::dataFile(dsb + "00071198d059ba7f5914a526d124d28e6d010c92466da21d4a04cd5413362552.png"),
          test::dataFile(dsb + "003cee89357d9fe13516167fd67b609a164651b21934585648c740d2c3d86dc1.png"),
          test::dataFile(dsb + "0280fa8f60f6bcae0f97d93c28f60be194f9309ff610dc5845e60455b0f87c21.png"),
          test::dataFile(test::kNucleiSlide)};
}

CellCounter classicalCounter() {
  CountSettings settings;
  settings.cellDiameterPx = 30;
  return CellCounter::classical(settings);
}

// Overlapped unless told otherwise, also where the machine's cores would make Automatic count one at a time.
PipelineSettings overlapped() {
  PipelineSettings settings;
  settings.overlap = Overlap::Always;
  return settings;
}

std::vector<CountOutcome> countAll(const CellCounter& counter, const std::vector<std::string>& paths,
                                   PipelineSettings settings = overlapped()) {
  std::vector<CountOutcome> outcomes;
  countInOrder(
      counter, paths, [&](CountOutcome&& outcome) { outcomes.push_back(std::move(outcome)); }, settings);
  return outcomes;
}

// The same objects (centroids, areas, mean probabilities), from the same heatmap, as counting the file alone.
void compareWithCountingAlone(const CellCounter& counter, const CountOutcome& outcome) {
  QVERIFY2(outcome.count, outcome.error.c_str());
  const ImageCount alone = counter.count(outcome.path);
  const ImageCount& piped = *outcome.count;
  QCOMPARE(piped.path, alone.path);
  QCOMPARE(piped.size, alone.size);
  QCOMPARE(piped.threshold, alone.threshold);
  QCOMPARE(piped.cellDiameterPx, alone.cellDiameterPx);
  QCOMPARE(cv::norm(piped.heatmap, alone.heatmap, cv::NORM_INF), 0.0);
  QCOMPARE(piped.detection.count(), alone.detection.count());
  for (std::size_t i = 0; i < alone.detection.objects.size(); ++i) {
    const DetectedObject& a = alone.detection.objects[i];
    const DetectedObject& b = piped.detection.objects[i];
    QCOMPARE(b.centroid, a.centroid);
    QCOMPARE(b.areaPx, a.areaPx);
    QCOMPARE(b.meanProbability, a.meanProbability);
    QCOMPARE(b.channelMeans, a.channelMeans);
  }
}

}  // namespace

class CountPipelineTest : public QObject {
  Q_OBJECT
private slots:
  void initTestCase() { FLUOCOUNT_REQUIRE_SHARED_DATA(); }

  // The bundled model through the pipeline counts each slide exactly as counting it alone does.
  void theNetworkCountsWhatCountingAloneCounts() {
    const CellCounter counter = CellCounter::withModel(loadModel(kModels + "/default.fcmodel"), {});
    const std::vector<std::string> slides = mixedSlides();
    const std::vector<CountOutcome> outcomes = countAll(counter, slides);
    QCOMPARE(outcomes.size(), slides.size());
    for (std::size_t i = 0; i < slides.size(); ++i) {
      QCOMPARE(outcomes[i].index, i);
      QCOMPARE(outcomes[i].path, slides[i]);
      compareWithCountingAlone(counter, outcomes[i]);
    }
  }

  void theClassicalMethodCountsWhatCountingAloneCounts() {
    const CellCounter counter = classicalCounter();
    const std::vector<CountOutcome> outcomes = countAll(counter, mixedSlides());
    QCOMPARE(outcomes.size(), mixedSlides().size());
    for (const CountOutcome& outcome : outcomes) compareWithCountingAlone(counter, outcome);
  }

  // Overlapped or one at a time, the outcomes are the same, in the same order.
  void oneAtATimeGivesTheSameOutcomes() {
    const CellCounter counter = classicalCounter();
    PipelineSettings oneAtATime;
    oneAtATime.overlap = Overlap::Never;
    const auto overlapped = countAll(counter, mixedSlides()), sequential = countAll(counter, mixedSlides(), oneAtATime);
    QCOMPARE(overlapped.size(), sequential.size());
    for (std::size_t i = 0; i < sequential.size(); ++i) {
      QCOMPARE(overlapped[i].path, sequential[i].path);
      QCOMPARE(overlapped[i].count->detection.count(), sequential[i].count->detection.count());
    }
  }

  // Automatic overlaps where counting leaves cores idle: always for the classical method, which works on one.
  void automaticOverlapsWhereCoresAreIdle() {
    const CellCounter classical = classicalCounter();
    QVERIFY(overlapsStages(classical, {}));
    PipelineSettings never;
    never.overlap = Overlap::Never;
    QVERIFY(!overlapsStages(classical, never));
    const CellCounter network = CellCounter::withModel(loadModel(kModels + "/default.fcmodel"), {});
    QVERIFY(overlapsStages(network, overlapped()));
    QCOMPARE(overlapsStages(network, {}), network.leavesCoresIdle());
  }

  // A damaged file and a missing one are reported in their places, with the file named; the rest are counted.
  void anUnreadableFileIsReportedInItsPlace() {
    QTemporaryDir scratch;
    const std::string damaged = scratch.filePath("damaged.png").toStdString();
    const std::string slide = test::readBytes(kSamples + "/images/Mar19bS1C4R2_LHr_200x.png");
    test::writeBytes(damaged, slide.substr(0, slide.size() / 3));
    std::vector<std::string> paths = smallSlides();
    paths.insert(paths.begin() + 1, damaged);
    paths.insert(paths.begin() + 3, scratch.filePath("missing.png").toStdString());
    const std::vector<CountOutcome> outcomes = countAll(classicalCounter(), paths);
    QCOMPARE(outcomes.size(), paths.size());
    for (std::size_t i = 0; i < paths.size(); ++i) {
      QCOMPARE(outcomes[i].index, i);
      QCOMPARE(outcomes[i].path, paths[i]);
      const bool bad = i == 1 || i == 3;
      QCOMPARE(bool(outcomes[i].count), !bad);
      if (bad) QVERIFY2(outcomes[i].error.find(paths[i]) != std::string::npos, outcomes[i].error.c_str());
    }
  }

  // Cancelled after the first image: the images already past the network still arrive, in order; the rest never
  // start.
  void cancellingStopsAfterTheImagesPastTheNetwork() {
    std::vector<std::string> paths;
    for (int i = 0; i < 4; ++i)
      for (const std::string& slide : smallSlides()) paths.push_back(slide);
    std::atomic<bool> cancel{false};
    std::vector<std::size_t> indices;
    const std::size_t delivered = countInOrder(
        classicalCounter(), paths,
        [&](CountOutcome&& outcome) {
          indices.push_back(outcome.index);
          cancel = true;
        },
        overlapped(), &cancel);
    QCOMPARE(delivered, indices.size());
    QVERIFY2(indices.size() <= 3, qPrintable(QString("%1 images delivered after cancel").arg(indices.size())));
    for (std::size_t i = 0; i < indices.size(); ++i) QCOMPARE(indices[i], i);
  }

  // A caller that fails (a full disk while writing an image's outputs) ends the run; its exception comes back.
  void aFailingCallerEndsTheRun() {
    int calls = 0;
    std::vector<std::string> paths = smallSlides();
    paths.insert(paths.end(), paths.begin(), paths.end());
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, countInOrder(
                                                     classicalCounter(), paths,
                                                     [&](CountOutcome&&) {
                                                       if (++calls == 2) throw std::runtime_error("disk full");
                                                     },
                                                     overlapped()));
    QCOMPARE(calls, 2);
  }

  // With a pixel budget smaller than one slide, the reader waits for each image to be delivered before reading
  // the next: everything is still counted, nothing waits forever.
  void aBudgetSmallerThanOneImageStillCountsEverything() {
    PipelineSettings tight = overlapped();
    tight.maxPixelsInFlight = 1;
    const auto outcomes = countAll(classicalCounter(), smallSlides(), tight);
    QCOMPARE(outcomes.size(), smallSlides().size());
    for (const CountOutcome& outcome : outcomes) QVERIFY2(outcome.count, outcome.error.c_str());
  }
};

QTEST_GUILESS_MAIN(CountPipelineTest)
#include "test_count_pipeline.moc"
