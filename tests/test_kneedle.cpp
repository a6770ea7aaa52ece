// Kneedle on curves whose knee is known, in all four orientations, and the threshold sweep around it (with objects
// kept from an earlier sweep, as the app re-matches an edited mask).
#include "core/kneedle.h"
#include "core/threshold_sweep.h"
#include "core/image_io.h"
#include "core/postprocess.h"
#include "tests/test_support.h"

#include <opencv2/imgproc.hpp>

#include <set>
#include <stdexcept>

using namespace fluocount;

namespace {

std::vector<double> range(double from, double step, int n) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(from + step * i);
  return v;
}

template <typename F>
std::vector<double> apply(const std::vector<double>& x, F f) {
  std::vector<double> y;
  for (double v : x) y.push_back(f(v));
  return y;
}

}  // namespace

class KneedleTest : public QObject {
  Q_OBJECT

private slots:
  void concaveIncreasing() {
    const auto x = range(0, 0.1, 11);
    const auto knee = findKnee(x, apply(x, [](double v) { return std::min(v, 0.3); }), CurveShape::Concave,
                               CurveDirection::Increasing);
    QVERIFY(knee);
    QCOMPARE(*knee, std::size_t(3));
  }

  void concaveDecreasingLikeAnF1Curve() {
    // Flat at 0.8 up to threshold 0.850, then falling fast: the knee is the last threshold before the fall.
    const auto x = range(0.5, 0.025, 20);
    const auto y = apply(x, [](double t) { return t <= 0.85 + 1e-9 ? 0.8 : 0.8 - 4.0 * (t - 0.85); });
    const auto knee = findKnee(x, y, CurveShape::Concave, CurveDirection::Decreasing);
    QVERIFY(knee);
    QCOMPARE(x[*knee], 0.85);
  }

  void convexDecreasing() {
    const auto x = range(0, 1, 11);
    const auto y = apply(x, [](double v) { return std::max(6.0 - 2.0 * v, 0.0); });  // reaches the floor at 3
    const auto knee = findKnee(x, y, CurveShape::Convex, CurveDirection::Decreasing);
    QVERIFY(knee);
    QCOMPARE(*knee, std::size_t(3));
  }

  void convexIncreasing() {
    const auto x = range(0, 1, 11);
    const auto y = apply(x, [](double v) { return std::max(0.0, v - 7.0); });
    const auto knee = findKnee(x, y, CurveShape::Convex, CurveDirection::Increasing);
    QVERIFY(knee);
    QCOMPARE(*knee, std::size_t(7));
  }

  void smoothConcaveCurveHasItsKneeNearTheBend() {
    // y = 1 - exp(-5x): concave, increasing; its Kneedle point lies where the curve bends, well inside (0.2, 0.5).
    const auto x = range(0, 0.05, 21);
    const auto knee = findKnee(x, apply(x, [](double v) { return 1 - std::exp(-5 * v); }), CurveShape::Concave,
                               CurveDirection::Increasing);
    QVERIFY(knee);
    QVERIFY2(x[*knee] > 0.2 && x[*knee] < 0.5, qPrintable(QString::number(x[*knee])));
  }

  void flatOrTinyCurvesHaveNoKnee() {
    const auto x = range(0, 1, 10);
    QVERIFY(!findKnee(x, std::vector<double>(10, 0.5), CurveShape::Concave, CurveDirection::Decreasing));
    QVERIFY(!findKnee({0, 1}, {1, 0}, CurveShape::Concave, CurveDirection::Decreasing));
  }

  void sweepOnARealMaskAsAHeatmap() {
    FLUOCOUNT_REQUIRE_SHARED_DATA();
    // A "heatmap" made from a real mask: 0.9 inside cells, 0 elsewhere. Every cell is found below 0.9 and none from
    // 0.9 on, so F1 is 1 up to 0.875 and 0 after it: the knee is 0.875 (not the flat end at 0.975).
    const cv::Mat mask = loadMask(test::maskFile(test::kRedSlide));
    cv::Mat heatmap(mask.size(), CV_32F, cv::Scalar(0.0));
    heatmap.setTo(0.9, mask);
    SweepImage image{"fnc-red", heatmap, PostprocessSettings{}.scaledTo(50), std::nullopt};
    image.truth = detectInMask(mask, image.postprocess);
    const SweepResult result = sweepThresholds({image}, defaultSweepThresholds(), {50});
    QCOMPARE(result.points.size(), std::size_t(20));
    QVERIFY(result.hasTruth);
    for (const auto& p : result.points) QCOMPARE(p.f1, p.threshold < 0.9 - 1e-9 ? 1.0 : 0.0);
    QVERIFY(result.knee);
    QCOMPARE(result.points[*result.knee].threshold, 0.875);
    QCOMPARE(*result.argmaxF1, std::size_t(0));
  }

  void keptObjectsAreMatchedAgainWithoutDetectingAgain() {
    FLUOCOUNT_REQUIRE_SHARED_DATA();
    // What the app does after a mask edit: the slide's objects at every threshold were kept from its count, and
    // only the matching against the new mask is redone.
    const cv::Mat mask = loadMask(test::maskFile(test::kRedSlide));
    cv::Mat heatmap;
    cv::GaussianBlur(mask, heatmap, cv::Size(0, 0), 6);  // a graded "heatmap": cells shrink as the threshold rises
    heatmap.convertTo(heatmap, CV_32F, 1.0 / 255);
    SweepImage image{"fnc-red", heatmap, PostprocessSettings{}.scaledTo(50), std::nullopt};
    image.truth = detectInMask(mask, image.postprocess);
    const std::vector<double> thresholds = defaultSweepThresholds();
    const SweepResult detected = sweepThresholds({image}, thresholds, {50});

    image.objects = detectAtThresholds(image, thresholds);
    const SweepResult matched = sweepThresholds({image}, thresholds, {50});
    QCOMPARE(matched.points.size(), detected.points.size());
    std::set<int> counts;
    for (std::size_t t = 0; t < thresholds.size(); ++t) {
      QCOMPARE(matched.points[t].totalCount, detected.points[t].totalCount);
      QCOMPARE(matched.points[t].counts.truePositives, detected.points[t].counts.truePositives);
      QCOMPARE(matched.points[t].counts.falsePositives, detected.points[t].counts.falsePositives);
      QCOMPARE(matched.points[t].counts.falseNegatives, detected.points[t].counts.falseNegatives);
      counts.insert(detected.points[t].totalCount);
    }
    QVERIFY2(counts.size() > 1, "the blurred mask should give different counts at different thresholds");
    QCOMPARE(matched.knee, detected.knee);

    // The kept objects are what is matched: with none kept at any threshold, nothing is counted.
    image.objects = std::make_shared<const ObjectBoxes>(thresholds.size());
    for (const SweepPoint& point : sweepThresholds({image}, thresholds, {50}).points) {
      QCOMPARE(point.totalCount, 0);
      QCOMPARE(point.counts.falseNegatives, image.truth->count());
    }
    // Objects kept for other thresholds are refused, not matched at the wrong ones.
    image.objects = std::make_shared<const ObjectBoxes>(thresholds.size() - 1);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, sweepThresholds({image}, thresholds, {50}));
  }

  // The app recounts a folder at a threshold it swept (the model's, the knee, the best F1) from the sweeps, not by
  // detecting again: each count read off a sweep must be detectObjects' at that threshold, typed or computed, and a
  // threshold that cuts the heatmap otherwise, however close, is not read off.
  void countsAreReadOffTheSweepOnlyWhereItCutsTheHeatmapTheSame() {
    QVERIFY(sameCutOfFloatHeatmap(0.575, 0.5 + 0.025 * 3));
    QVERIFY(sameCutOfFloatHeatmap(0.85, 0.85));
    QVERIFY(sameCutOfFloatHeatmap(0.75, 0.75 + 1e-12));   // 0.75 is a float: none lies above it and below 0.75 + 1e-12
    QVERIFY(!sameCutOfFloatHeatmap(0.75 - 1e-12, 0.75));  // the float 0.75 is above the one, not the other
    QVERIFY(!sameCutOfFloatHeatmap(0.575, 0.576));

    FLUOCOUNT_REQUIRE_SHARED_DATA();
    const cv::Mat mask = loadMask(test::maskFile(test::kRedSlide));
    cv::Mat heatmap;
    cv::GaussianBlur(mask, heatmap, cv::Size(0, 0), 6);  // graded, so counts differ between thresholds
    heatmap.convertTo(heatmap, CV_32F, 1.0 / 255);
    const PostprocessSettings settings = PostprocessSettings{}.scaledTo(50);
    const SweepResult sweep =
        sweepThresholds({{"fnc-red", heatmap, settings, std::nullopt}}, defaultSweepThresholds(), {50});
    for (const SweepPoint& point : sweep.points) {
      QCOMPARE(sweptCountAt(sweep, point.threshold),
               std::optional<int>(detectObjects(heatmap, point.threshold, settings).count()));
      QCOMPARE(sweptCountAt(sweep, point.threshold), std::optional<int>(point.totalCount));
    }
    QCOMPARE(sweptCountAt(sweep, 0.575), std::optional<int>(detectObjects(heatmap, 0.575, settings).count()));
    QCOMPARE(sweptCountAt(sweep, 0.85), std::optional<int>(detectObjects(heatmap, 0.85, settings).count()));
    QVERIFY(!sweptCountAt(sweep, 0.851));
    QVERIFY(!sweptCountAt(sweep, 0.45));
    QVERIFY(!sweptCountAt(SweepResult{}, 0.85));
  }
};

QTEST_GUILESS_MAIN(KneedleTest)
#include "test_kneedle.moc"
