// Weight maps (docs/method.md section 3) on real masks: the windowed computation equals the whole-image reference.
#include "core/image_io.h"
#include "core/weight_map.h"
#include "tests/test_support.h"

#include <QElapsedTimer>

#include <opencv2/imgproc.hpp>

using namespace fluocount;
using namespace fluocount::test;

class WeightMapTest : public QObject {
  Q_OBJECT

private slots:
  void initTestCase() { FLUOCOUNT_REQUIRE_SHARED_DATA(); }

  void windowedEqualsTheWholeImageReference_data() {
    QTest::addColumn<QString>("slide");
    QTest::newRow("fnc-yellow") << kYellowSlide;
    QTest::newRow("fnc-red") << kRedSlide;
  }
  void windowedEqualsTheWholeImageReference() {
    QFETCH(QString, slide);
    const cv::Mat mask = loadMask(maskFile(slide));
    QElapsedTimer timer;
    timer.start();
    const cv::Mat windowed = computeWeightMap(mask);
    const qint64 windowedMs = timer.restart();
    const cv::Mat direct = computeWeightMapDirect(mask);
    const qint64 directMs = timer.elapsed();
    double maximum = 0;
    cv::minMaxLoc(direct, nullptr, &maximum);
    const double difference = cv::norm(windowed, direct, cv::NORM_INF) / maximum;
    qInfo("%s: windowed %lld ms, whole-image %lld ms, largest difference after normalisation %g", qPrintable(slide),
          windowedMs, directMs, difference);
    QVERIFY(difference < 1e-4);
  }

  void weightsFollowTheAlgorithm() {
    const cv::Mat mask = loadMask(maskFile(kRedSlide));
    const cv::Mat w = computeWeightMap(mask);
    double lo = 0, hi = 0;
    cv::minMaxLoc(w, &lo, &hi);
    QCOMPARE(lo, 1.0);  // clipped to at least 1
    QVERIFY(hi > 1.5);
    // Cells carry the 1.5 factor: no cell pixel weighs less than 1.5.
    const cv::Mat cleaned = computeWeightMap(mask) >= 1.5 - 1e-6;
    cv::Mat cellPixels = mask != 0;
    QVERIFY(cv::countNonZero(cellPixels & ~cleaned) < cv::countNonZero(cellPixels) / 50);  // removed specks aside
    // Far from every cell (outside the 100 px region of interest) the weight is exactly 1.
    cv::Mat far;
    cv::dilate(mask, far, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(101, 101)));
    const cv::Mat outside = far == 0;
    if (cv::countNonZero(outside) > 0) {
      double farMax = 0;
      cv::minMaxLoc(w, nullptr, &farMax, nullptr, nullptr, outside);
      QCOMPARE(farMax, 1.0);
    }
  }

  void emptyMaskWeighsOneEverywhere() {
    const cv::Mat w = computeWeightMap(cv::Mat::zeros(300, 200, CV_8U));
    QCOMPARE(cv::countNonZero(w != 1.0f), 0);
  }
};

QTEST_GUILESS_MAIN(WeightMapTest)
#include "test_weight_map.moc"
