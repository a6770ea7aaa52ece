// Post-processing on real masks: holes, specks, splitting touching cells, measurements.
#include "core/connected_components.h"
#include "core/detections_at_thresholds.h"
#include "core/image_io.h"
#include "core/metrics.h"
#include "core/postprocess.h"
#include "core/watershed.h"
#include "tests/test_support.h"

#include <QDir>
#include <QFileInfo>

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

using namespace fluocount;
using namespace fluocount::test;

namespace {

// Median equivalent diameter of the annotated instances: the cell size the user would type in.
double medianDiameter(const Detection& truth) {
  std::vector<double> diameters;
  for (const auto& o : truth.objects) diameters.push_back(2.0 * std::sqrt(o.areaPx / M_PI));
  std::nth_element(diameters.begin(), diameters.begin() + diameters.size() / 2, diameters.end());
  return diameters[diameters.size() / 2];
}

bool differentLabelsTouch(const cv::Mat& labels) {
  for (int y = 0; y < labels.rows; ++y)
    for (int x = 0; x < labels.cols; ++x) {
      const int l = labels.at<int>(y, x);
      if (l == 0) continue;
      if (x + 1 < labels.cols && labels.at<int>(y, x + 1) > 0 && labels.at<int>(y, x + 1) != l) return true;
      if (y + 1 < labels.rows && labels.at<int>(y + 1, x) > 0 && labels.at<int>(y + 1, x) != l) return true;
    }
  return false;
}

}  // namespace

class PostprocessTest : public QObject {
  Q_OBJECT

private slots:
  void initTestCase() { FLUOCOUNT_REQUIRE_SHARED_DATA(); }

  void splitsTouchingCellsInRealFncMasks() {
    // FNC masks are semantic: touching neurons merge into one component. The watershed must split some of them
    // and never lose a component.
    int components = 0, objects = 0;
    for (const QString& slide : {kYellowSlide, kYellowSlide2, kRedSlide, kRedSlide2}) {
      const QString name = QFileInfo(slide).fileName();
      const cv::Mat mask = loadMask(maskFile(slide));
      PostprocessSettings settings = PostprocessSettings{}.scaledTo(50);
      settings.holeAreaPx = 0;
      settings.minObjectAreaPx = 0;
      cv::Mat labels;
      const int n = labelComponents(mask, labels);
      const Detection split = detectInMask(mask, settings);
      QVERIFY2(split.count() >= n, qPrintable(name));
      QVERIFY(!differentLabelsTouch(split.labels));
      components += n;
      objects += split.count();
      // Every component keeps at least one object.
      for (int k = 1; k <= n; ++k) QVERIFY(cv::countNonZero((labels == k) & (split.labels > 0)) > 0);
    }
    qInfo("FNC masks: %d components split into %d objects", components, objects);
    QVERIFY2(objects > components, "no touching cells were split in the FNC masks");
  }

  void splittingMovesMergedNucleiTowardsTheTrueInstances() {
    // BBBC039 has true instance labels: a binary mask made from them merges touching nuclei, and the split
    // should recover instances (higher F1 against the labels than plain connected components).
    const QDir labelsDir(sharedDataDir() + "/bbbc039/labels");
    int improved = 0, worse = 0;
    for (const QString& name : labelsDir.entryList(QDir::Files, QDir::Name).mid(0, 12)) {
      const Detection truth = measureLabels(loadLabels(labelsDir.filePath(name).toStdString()));
      if (truth.count() < 5) continue;
      const double diameter = medianDiameter(truth);
      const cv::Mat mask = truth.labels > 0;
      PostprocessSettings settings = PostprocessSettings{}.scaledTo(diameter);
      settings.minObjectAreaPx = 0;
      cv::Mat componentLabels;
      labelComponents(mask, componentLabels);
      const MatchingSettings matching{diameter / 2};
      const double f1Components =
          f1Of(evaluateImage(name.toStdString(), measureLabels(componentLabels), truth, matching).counts);
      const double f1Split =
          f1Of(evaluateImage(name.toStdString(), detectInMask(mask, settings), truth, matching).counts);
      if (f1Split > f1Components + 1e-9) ++improved;
      if (f1Split < f1Components - 0.02) ++worse;
    }
    qInfo("BBBC039: split improved F1 on %d images, worsened it on %d", improved, worse);
    QVERIFY(improved >= 6);
    QCOMPARE(worse, 0);
  }

  void fillsHolesAndRemovesSpecksOnARealMask() {
    const cv::Mat mask = loadMask(maskFile(kYellowSlide));
    cv::Mat labels;
    const int n = labelComponents(mask, labels);
    const Detection original = measureLabels(labels);
    // Punch a hole in the middle of the largest cell and add a speck in the background.
    const auto largest = std::max_element(original.objects.begin(), original.objects.end(),
                                          [](const auto& a, const auto& b) { return a.areaPx < b.areaPx; });
    cv::Mat edited = mask.clone();
    const cv::Point centre(cvRound(largest->centroid.x), cvRound(largest->centroid.y));
    QVERIFY(mask.at<uchar>(centre) != 0);
    cv::circle(edited, centre, 3, cv::Scalar(0), cv::FILLED);
    cv::Point speck(5, 5);
    QCOMPARE(cv::countNonZero(mask(cv::Rect(0, 0, 12, 12))), 0);
    cv::rectangle(edited, cv::Rect(speck, cv::Size(4, 4)), cv::Scalar(255), cv::FILLED);
    const cv::Mat filled = fillSmallHoles(edited, 600);
    QCOMPARE(filled.at<uchar>(centre), uchar(255));
    const cv::Mat cleaned = removeSmallObjects(filled, 200);
    QCOMPARE(cv::countNonZero(cleaned(cv::Rect(0, 0, 12, 12))), 0);
    cv::Mat cleanedLabels;
    QCOMPARE(labelComponents(cleaned, cleanedLabels), labelComponents(removeSmallObjects(mask, 200), labels));
    QVERIFY(n >= 1);
  }

  void measurementsAreConsistent() {
    const cv::Mat mask = loadMask(maskFile(kRedSlide));
    const cv::Mat probability(mask.size(), CV_32F, cv::Scalar(0.75));
    const Detection detection = detectInMask(mask, PostprocessSettings{}.scaledTo(50), probability);
    QVERIFY(detection.count() > 10);
    int area = 0;
    for (int i = 0; i < detection.count(); ++i) {
      const auto& o = detection.objects[i];
      QCOMPARE(o.label, i + 1);
      QCOMPARE(cv::countNonZero(detection.labels == o.label), o.areaPx);
      QVERIFY(o.boundingBox.contains(cv::Point(cvFloor(o.centroid.x), cvFloor(o.centroid.y))) ||
              o.boundingBox.contains(cv::Point(cvCeil(o.centroid.x), cvCeil(o.centroid.y))));
      QVERIFY(std::abs(o.meanProbability - 0.75) < 1e-6);
      area += o.areaPx;
    }
    QCOMPARE(cv::countNonZero(detection.labels), area);
  }

  // The threshold sweep's cluster-by-cluster detection against the whole image, on a map full of specks, holes and
  // touching blobs: a real slide's own brightness used as the heatmap (test_default_model checks the network's
  // heatmaps). Thresholds from the 50th to the 99th percentile; small cells so that many specks are near the size
  // limit.
  void detectionsAtThresholdsEqualTheWholeImageOnRealTexture() {
    for (const QString& slide : {kYellowSlide, kRedSlide}) {
      // The slide's central 800x600: texture enough, and a quarter of the work under the sanitizers.
      cv::Mat rgb = normaliseToRgb(loadImage(dataFile(slide)).pixels, {}), gray;
      rgb = rgb(cv::Rect((rgb.cols - 800) / 2, (rgb.rows - 600) / 2, 800, 600));
      cv::cvtColor(rgb, gray, cv::COLOR_RGB2GRAY);
      std::vector<float> values(gray.begin<float>(), gray.end<float>());
      std::sort(values.begin(), values.end());
      const auto quantile = [&](double q) { return values[std::size_t(q * (values.size() - 1))]; };
      // The sweep groups the components at its lowest threshold: start it low (large clusters) and high (many small
      // ones).
      for (const std::vector<double>& thresholds :
           {std::vector<double>{quantile(0.9), quantile(0.95), quantile(0.99)},
            std::vector<double>{quantile(0.97), quantile(0.98), quantile(0.99), quantile(0.995)}})
        for (const double diameter : {12.0, 50.0}) {
          const PostprocessSettings settings = PostprocessSettings{}.scaledTo(diameter);
          const auto byCluster = objectBoxesAtThresholds(gray, thresholds, settings);
          for (std::size_t t = 0; t < thresholds.size(); ++t) {
            const std::vector<cv::Rect> whole = boundingBoxesOf(detectObjects(gray, thresholds[t], settings));
            QVERIFY2(byCluster[t] == whole, qPrintable(QString("%1, %2 px cells, threshold %3: %4 vs %5 objects")
                                                           .arg(slide)
                                                           .arg(diameter)
                                                           .arg(thresholds[t])
                                                           .arg(byCluster[t].size())
                                                           .arg(whole.size())));
          }
        }
    }
  }

  // The one place where post-processing reads across components: the maximum filter of the distance transform.
  // A thin bar alone is one plateau, so one object; with a thicker block 2 px from its end the block's larger
  // distances, within the filter's reach (15 px at 50 px cells), raise the bar's end into a second peak, and the bar
  // splits.
  // The cluster-by-cluster sweep must see that neighbour (the real slides above rarely place one so).
  void detectionsAtThresholdsSeeANeighbourWithinTheMaximumFiltersReach() {
    const PostprocessSettings settings;  // 50 px cells
    cv::Mat heatmap = cv::Mat::zeros(140, 220, CV_32F);
    heatmap(cv::Rect(20, 50, 100, 14)).setTo(0.9);  // the bar: x 20..119
    const std::vector<cv::Rect> alone = boundingBoxesOf(detectObjects(heatmap, 0.5, settings));
    QCOMPARE(alone.size(), std::size_t(1));
    heatmap(cv::Rect(122, 27, 20, 60)).setTo(0.9);  // the block, 2 px to the right of the bar's end
    const std::vector<cv::Rect> whole = boundingBoxesOf(detectObjects(heatmap, 0.5, settings));
    QCOMPARE(whole.size(), std::size_t(3));  // the bar split in two, and the block
    QCOMPARE(objectBoxesAtThresholds(heatmap, {0.5, 0.7}, settings),
             (std::vector<std::vector<cv::Rect>>{whole, whole}));
  }

  // The watershed fills a region whose seeds all carry one label without flooding it; with several labels it
  // floods. Both give what flooding every region gives, on real masks and on a real slide's thresholded brightness,
  // with markers at the distance transform's local maxima (many regions with one seed, some with several), with and
  // without compactness.
  void fillingSingleLabelRegionsEqualsFloodingThem() {
    int singleLabelRegions = 0, severalLabelRegions = 0;
    std::vector<cv::Mat> masks;
    for (const QString& slide : {kYellowSlide, kRedSlide}) {
      masks.push_back(loadMask(maskFile(slide)));
      cv::Mat rgb = normaliseToRgb(loadImage(dataFile(slide)).pixels, {}), gray;
      cv::cvtColor(rgb, gray, cv::COLOR_RGB2GRAY);
      cv::Scalar mean, deviation;
      cv::meanStdDev(gray, mean, deviation);
      masks.push_back(gray > mean[0] + deviation[0]);
    }
    for (const cv::Mat& mask : masks) {
      cv::Mat distance, largest, markers, regions;
      cv::distanceTransform(mask, distance, cv::DIST_L2, cv::DIST_MASK_PRECISE);
      cv::dilate(distance, largest, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(7, 7)));
      cv::connectedComponents((distance == largest) & (distance > 1), markers, 8, CV_32S);
      const int regionCount = cv::connectedComponents(mask, regions, 4, CV_32S);
      std::vector<std::set<int>> labelsOfRegion(regionCount);
      for (int i = 0; i < int(mask.total()); ++i)
        if (markers.at<int>(i) > 0) labelsOfRegion[regions.at<int>(i)].insert(markers.at<int>(i));
      for (const auto& labels : labelsOfRegion) {
        singleLabelRegions += labels.size() == 1;
        severalLabelRegions += labels.size() > 1;
      }
      for (const double compactness : {0.0, 0.5}) {
        const cv::Mat filled = floodWatershed(-distance, markers, mask, compactness, true);
        const cv::Mat flooded = floodWatershed(-distance, markers, mask, compactness, true, false);
        QCOMPARE(cv::countNonZero(filled != flooded), 0);
        QVERIFY(cv::countNonZero(filled) > 0);
      }
    }
    qInfo("regions with one seed label: %d, with several: %d", singleLabelRegions, severalLabelRegions);
    QVERIFY(singleLabelRegions > 20);
    QVERIFY(severalLabelRegions > 5);
  }

  // connectedComponentsOf measures what cv::connectedComponentsWithStats measures (area, bounding box), with the
  // same labels, on real masks, their backgrounds (holes and the outside, 4-connected) and a real slide's brightness
  // above its mean (ragged shapes, thousands of components).
  void componentsAreMeasuredAsOpenCvMeasuresThem() {
    std::vector<cv::Mat> masks;
    for (const QString& slide : {kYellowSlide, kRedSlide}) {
      const cv::Mat mask = loadMask(maskFile(slide));
      masks.push_back(mask);
      masks.push_back(mask == 0);
      cv::Mat rgb = normaliseToRgb(loadImage(dataFile(slide)).pixels, {}), gray;
      cv::cvtColor(rgb, gray, cv::COLOR_RGB2GRAY);
      masks.push_back(gray > cv::mean(gray)[0]);
    }
    int measured = 0;
    for (const cv::Mat& mask : masks)
      for (const int connectivity : {4, 8}) {
        const ConnectedComponents ours = connectedComponentsOf(mask, connectivity);
        cv::Mat labels, stats, centroids;
        const int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, connectivity, CV_32S);
        QCOMPARE(ours.count(), n - 1);
        QCOMPARE(cv::countNonZero(ours.labels != labels), 0);
        QCOMPARE(ours.areas[0], 0);
        for (int k = 1; k < n; ++k) {
          QCOMPARE(ours.areas[k], stats.at<int>(k, cv::CC_STAT_AREA));
          QCOMPARE(ours.boxes[k], cv::Rect(stats.at<int>(k, cv::CC_STAT_LEFT), stats.at<int>(k, cv::CC_STAT_TOP),
                                           stats.at<int>(k, cv::CC_STAT_WIDTH), stats.at<int>(k, cv::CC_STAT_HEIGHT)));
        }
        measured += n - 1;
      }
    QVERIFY(measured > 1000);
  }

  void emptyMaskGivesNoObjects() {
    const Detection detection = detectInMask(cv::Mat::zeros(64, 64, CV_8U), PostprocessSettings{});
    QCOMPARE(detection.count(), 0);
  }

  // --reference-postprocess against scikit-image running the authors' mask_post_processing on whole real masks
  // (tests/fixtures/watershed/, made by make-watershed-fixture.py): the same number of objects, and each of theirs
  // found again as one of ours covering the same pixels (IoU >= 0.99; every object of the six fixtures matches
  // exactly).
  void referenceStyleMatchesScikitImage_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<double>("diameter");
    std::ifstream in(FLUOCOUNT_SOURCE_DIR "/tests/fixtures/watershed/cases.json");
    QVERIFY2(in, "tests/fixtures/watershed/cases.json is missing");
    for (const auto& c : nlohmann::json::parse(in)) {
      const std::string name = c.at("name").get<std::string>();
      QTest::newRow(name.c_str()) << QString::fromStdString(name) << c.at("diameter").get<double>();
    }
  }

  void referenceStyleMatchesScikitImage() {
    QFETCH(QString, name);
    QFETCH(double, diameter);
    const std::string fixture = FLUOCOUNT_SOURCE_DIR "/tests/fixtures/watershed/" + name.toStdString();
    const cv::Mat mask = loadMask(fixture + "-mask.png");
    const Detection theirs = measureLabels(loadLabels(fixture + "-skimage.png"));
    PostprocessSettings settings = PostprocessSettings{}.scaledTo(diameter);
    settings.referenceStyle = true;
    const Detection ours = detectInMask(mask, settings);
    // The same mask gives the same labels every time (OpenCV's filters and labelling run on several threads).
    QCOMPARE(cv::countNonZero(detectInMask(mask, settings).labels != ours.labels), 0);
    int matched = 0;
    double worstIoU = 1;
    for (const DetectedObject& object : theirs.objects) {
      const cv::Mat region = theirs.labels == object.label;
      cv::Mat overlapping;
      ours.labels.copyTo(overlapping, region);
      double largest = 0;
      cv::minMaxLoc(overlapping, nullptr, &largest);
      if (largest <= 0) continue;
      // Our object that covers most of theirs (labels are 1..n; count each inside their region). A plain loop:
      // cv::Mat::forEach runs in parallel, and counting into one vector from it lost votes at random.
      std::vector<int> votes(ours.count() + 1, 0);
      for (int y = 0; y < overlapping.rows; ++y)
        for (int x = 0; x < overlapping.cols; ++x) ++votes[overlapping.at<int>(y, x)];
      votes[0] = 0;
      const int best = int(std::max_element(votes.begin(), votes.end()) - votes.begin());
      const int unionArea = cv::countNonZero(region | (ours.labels == best));
      const double iou = double(votes[best]) / unionArea;
      worstIoU = std::min(worstIoU, iou);
      matched += iou >= 0.99;
    }
    qInfo("%s: scikit-image %d objects, FluoCount %d; %d matched at IoU >= 0.99 (worst IoU %.3f)", qPrintable(name),
          theirs.count(), ours.count(), matched, worstIoU);
    QCOMPARE(ours.count(), theirs.count());
    QCOMPARE(matched, theirs.count());
  }
};

QTEST_GUILESS_MAIN(PostprocessTest)
#include "test_postprocess.moc"
