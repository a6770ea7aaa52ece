// Matching and metrics (docs/method.md section 7) on hand-built cases and on real masks.
#include "core/image_io.h"
#include "core/metrics.h"
#include "tests/test_support.h"

#include <QDir>

using namespace fluocount;
using namespace fluocount::test;

class MetricsTest : public QObject {
  Q_OBJECT

private slots:
  void handBuiltMatching() {
    // Targets at (0,0), (100,0), (200,0); predictions near the first two, one far away, one duplicate.
    const std::vector<cv::Point2d> targets{{0, 0}, {100, 0}, {200, 0}};
    const std::vector<cv::Point2d> predicted{{3, 4}, {104, 3}, {500, 500}, {1, 1}};
    const Matching m = matchCentres(predicted, targets, 50);
    QCOMPARE(m.counts.truePositives, 2);
    QCOMPARE(m.counts.falsePositives, 2);  // the far one, and the duplicate of an already matched target
    QCOMPARE(m.counts.falseNegatives, 1);
    QCOMPARE(precisionOf(m.counts), 0.5);
    QCOMPARE(recallOf(m.counts), 2.0 / 3);
    QCOMPARE(f1Of(m.counts), 4.0 / 7);
    QCOMPARE(accuracyOf(m.counts), 2.0 / 5);
  }

  void greedyOrderAndStrictDistance() {
    // The first prediction takes the closest target even if a later one would have fitted it better.
    const std::vector<cv::Point2d> targets{{0, 0}, {40, 0}};
    const Matching m = matchCentres({{30, 0}, {-35, 0}}, targets, 50);
    QCOMPARE(m.pairs.size(), std::size_t(2));
    QCOMPARE(m.pairs[0], std::make_pair(0, 1));
    QCOMPARE(m.pairs[1], std::make_pair(1, 0));
    // Exactly at the distance is not a match.
    QCOMPARE(matchCentres({{50, 0}}, {{0, 0}}, 50).counts.truePositives, 0);
  }

  void emptyCasesFollowTheStatedConventions() {
    QCOMPARE(f1Of({}), 1.0);
    const MatchCounts onlyMisses{0, 0, 3};
    QCOMPARE(precisionOf(onlyMisses), 1.0);
    QCOMPARE(recallOf(onlyMisses), 0.0);
    QCOMPARE(f1Of(onlyMisses), 0.0);
  }

  // Retrain's keep-the-start rule (TrainingSettings::requireFewerErrorsBeyondChance): fewer errors by at least two
  // standard deviations of the difference of two Poisson counts. The cases of the few-shot benchmark on BBBC039
  // (19 errors down to 13 or 14 on a field of about 90 nuclei: chance) and of slides new to the model (many times
  // fewer).
  void fewerErrorsOnlyBeyondChance() {
    MatchCounts counts;
    counts.falsePositives = 8;
    counts.falseNegatives = 1;
    QCOMPARE(errorsOf(counts), 9);
    QVERIFY(!fewerErrorsBeyondChance(19, 13));
    QVERIFY(!fewerErrorsBeyondChance(10, 7));
    QVERIFY(fewerErrorsBeyondChance(80, 24));
    QVERIFY(fewerErrorsBeyondChance(4, 0));   // 4 >= 2 sqrt(4): the boundary counts
    QVERIFY(!fewerErrorsBeyondChance(3, 0));  // 3 < 2 sqrt(3)
    QVERIFY(!fewerErrorsBeyondChance(0, 0));
    QVERIFY(!fewerErrorsBeyondChance(20, 25));  // more errors
  }

  void summaryOfCountingErrors() {
    std::vector<ImageEvaluation> images(4);
    images[0].trueCount = 10;
    images[0].predictedCount = 8;  // AE 2, PE -20 %
    images[1].trueCount = 4;
    images[1].predictedCount = 6;  // AE 2, PE +50 %
    images[2].trueCount = 20;
    images[2].predictedCount = 20;  // AE 0, PE 0
    images[3].trueCount = 0;
    images[3].predictedCount = 3;  // AE 3, PE undefined: left out of MPE
    images[0].counts = {8, 0, 2};
    images[1].counts = {4, 2, 0};
    images[2].counts = {19, 1, 1};
    images[3].counts = {0, 3, 0};
    const EvaluationSummary s = summarise(images);
    QCOMPARE(s.meanAbsoluteError, 7.0 / 4);
    QCOMPARE(s.medianAbsoluteError, 2.0);
    QCOMPARE(s.meanPercentageError, (-0.2 + 0.5 + 0.0) / 3);
    QCOMPARE(s.imagesWithoutTrueCells, 1);
    QCOMPARE(s.counts.truePositives, 31);
    QCOMPARE(s.counts.falsePositives, 6);
    QCOMPARE(s.counts.falseNegatives, 3);
    QCOMPARE(s.f1, 62.0 / 71);
  }

  void realMaskAgainstItselfIsPerfect() {
    FLUOCOUNT_REQUIRE_SHARED_DATA();
    for (const QString& slide :
         {kYellowSlide, QStringLiteral("deepflash/images/asset_cfos_inns1.png"),
          QStringLiteral("dsb2018-fluo/images/00071198d059ba7f5914a526d124d28e6d010c92466da21d4a04cd5413362552.png")}) {
      const std::string path = maskFile(slide);
      cv::Mat labels;
      labelComponents(loadMask(path), labels);
      const Detection truth = measureLabels(labels);
      QVERIFY(truth.count() > 0);
      const ImageEvaluation e = evaluateImage(path, truth, truth, {50});
      QCOMPARE(f1Of(e.counts), 1.0);
      QCOMPARE(e.counts.truePositives, truth.count());
    }
  }

  void realMaskAgainstASlightlyShiftedCopyKeepsEveryMatch() {
    FLUOCOUNT_REQUIRE_SHARED_DATA();
    cv::Mat labels;
    labelComponents(loadMask(maskFile(kRedSlide)), labels);
    const Detection truth = measureLabels(labels);
    std::vector<cv::Point2d> near;
    for (const auto& c : boxCentres(truth)) near.push_back(c + cv::Point2d(3, 4));
    const Matching m = matchCentres(near, boxCentres(truth), 50);
    QCOMPARE(m.counts.truePositives, truth.count());
    for (const auto& [p, t] : m.pairs) QCOMPARE(p, t);  // each shifted cell matches its own original
  }
};

QTEST_GUILESS_MAIN(MetricsTest)
#include "test_metrics.moc"
