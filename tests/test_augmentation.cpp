// Crops and augmentation on real slides: image, mask and weight map stay aligned; the grid covers the image; artifact
// crops, flagged or found around a model's false detections, join the training crops where they belong.
#include "core/augmentation.h"
#include "core/image_io.h"
#include "core/training_data.h"
#include "core/weight_map.h"
#include "tests/test_support.h"

#include <QTemporaryDir>

#include <opencv2/imgproc.hpp>

using namespace fluocount;
using namespace fluocount::test;

class AugmentationTest : public QObject {
  Q_OBJECT

  PreparedImage slide;
  QTemporaryDir temp;

private slots:
  void initTestCase() {
    FLUOCOUNT_REQUIRE_SHARED_DATA();
    const std::string image = dataFile(kRedSlide);
    slide = prepareExample({image, maskFile(kRedSlide), 50, 4}, 50, {}, {});
  }

  void gridCoversTheImageFlushWithItsBorder() {
    const auto grid = cropGrid({1600, 1200}, 512, 400);
    QCOMPARE(grid.size(), std::size_t(12));  // docs/method.md: a 4 x 3 grid on FNC slides
    QCOMPARE(grid.back(), cv::Point(1600 - 512, 1200 - 512));
    QCOMPARE(cropGrid({300, 200}, 512, 400), std::vector<cv::Point>{cv::Point(0, 0)});
    const auto odd = cropGrid({1000, 700}, 256, 200);
    QCOMPARE(odd.back(), cv::Point(1000 - 256, 700 - 256));
  }

  void warpKeepsMaskImageAndWeightsAligned() {
    // Put the mask itself into the image's first channel: after the shared warp (linear for images, nearest for
    // masks) the two must agree almost everywhere.
    std::vector<cv::Mat> channels;
    cv::split(slide.rgb, channels);
    channels[0] = slide.mask.clone();
    cv::Mat tagged;
    cv::merge(channels, tagged);
    AugmentationSettings geometryOnly;
    geometryOnly.maxNoiseSigma = geometryOnly.maxBrightnessShift = geometryOnly.maxContrastChange = 0;
    geometryOnly.maxChannelShift = geometryOnly.maxChannelGainChange = geometryOnly.channelPermutationProbability = 0;
    int checked = 0;
    for (std::uint64_t seed = 1; seed <= 6; ++seed) {
      const TrainingCrop crop = makeCrop(tagged, slide.mask, slide.weights, {600, 400}, 256, true, geometryOnly, seed);
      QCOMPARE(crop.mask.size(), cv::Size(256, 256));
      // The mask stays binary.
      QCOMPARE(cv::countNonZero((crop.mask != 0.0f) & (crop.mask != 1.0f)), 0);
      std::vector<cv::Mat> warped;
      cv::split(crop.image, warped);
      const cv::Mat disagree = (warped[0] > 0.5f) != (crop.mask > 0.5f);
      QVERIFY2(cv::countNonZero(disagree) < 0.01 * crop.mask.total(), qPrintable(QString::number(seed)));
      // Weight maps follow too: cell pixels carry the 1.5 cell factor, so they weigh clearly more on average.
      if (cv::countNonZero(crop.mask) > 100) {
        const double onCells = cv::mean(crop.weights, crop.mask > 0.5f)[0];
        const double elsewhere = cv::mean(crop.weights, crop.mask < 0.5f)[0];
        QVERIFY2(onCells > 1.3 * elsewhere, qPrintable(QString("%1 vs %2").arg(onCells).arg(elsewhere)));
        ++checked;
      }
    }
    QVERIFY(checked > 0);
  }

  void photometricChangesLeaveCellsBrighterThanBackground() {
    int checked = 0;  // crops with enough cell pixels to compare; the rest are skipped
    for (std::uint64_t seed = 10; seed < 16; ++seed) {
      const TrainingCrop crop = makeCrop(slide.rgb, slide.mask, slide.weights, {600, 400}, 256, true, {}, seed);
      if (cv::countNonZero(crop.mask) < 200) continue;
      ++checked;
      cv::Mat gray;
      cv::cvtColor(crop.image, gray, cv::COLOR_RGB2GRAY);
      const double inside = cv::mean(gray, crop.mask > 0.5f)[0], outside = cv::mean(gray, crop.mask < 0.5f)[0];
      QVERIFY2(inside > outside, qPrintable(QString("seed %1: %2 vs %3").arg(seed).arg(inside).arg(outside)));
      double lo = 0, hi = 0;
      cv::minMaxLoc(crop.image.reshape(1), &lo, &hi);
      QVERIFY(lo >= 0 && hi <= 1);
    }
    QVERIFY2(checked >= 3, qPrintable(QString("only %1 of 6 crops had cells to compare").arg(checked)));
  }

  // Scale augmentation: a crop magnified by z shows the cells z times as wide, so its cell area is z^2 times that
  // of an unmagnified crop of the same centre and 1/z the side; a range draws different factors for different
  // seeds, all within it.
  void zoomMagnifiesTheCellsByTheDrawnFactor() {
    AugmentationSettings geometry;
    geometry.maxRotationDegrees = 0;
    geometry.flips = false;
    geometry.elasticAlphaPx = 0;
    // The 192 px window of the slide with the most cell pixels, so that areas are large enough to compare.
    const int side = 192;
    cv::Point best;
    int bestArea = -1;
    for (const cv::Point& origin : cropGrid(slide.mask.size(), side, 64)) {
      const int area = cv::countNonZero(slide.mask(cv::Rect(origin, cv::Size(side, side))));
      if (area > bestArea) bestArea = area, best = origin;
    }
    QVERIFY2(bestArea > 2000, qPrintable(QString::number(bestArea)));
    const cv::Point2f centre(best.x + (side - 1) / 2.0f, best.y + (side - 1) / 2.0f);
    for (const double zoom : {1.5, 0.75}) {
      geometry.minZoom = geometry.maxZoom = zoom;
      const int size = int(std::lround(side * zoom));
      const cv::Point origin(int(std::lround(centre.x - (size - 1) / 2.0)),
                             int(std::lround(centre.y - (size - 1) / 2.0)));
      const TrainingCrop zoomed = makeCrop(slide.rgb, slide.mask, slide.weights, origin, size, true, geometry, 5);
      const double ratio = double(cv::countNonZero(zoomed.mask)) / bestArea;
      qInfo("zoom %.2f: cell area x%.3f (expected x%.3f)", zoom, ratio, zoom * zoom);
      QVERIFY2(std::abs(ratio / (zoom * zoom) - 1) < 0.05,
               qPrintable(QString("zoom %1: area ratio %2").arg(zoom).arg(ratio)));
    }
    geometry.minZoom = 0.67;
    geometry.maxZoom = 1.5;
    std::vector<double> ratios;
    for (std::uint64_t seed = 1; seed <= 12; ++seed) {
      const TrainingCrop crop = makeCrop(slide.rgb, slide.mask, slide.weights, best, side, true, geometry, seed);
      ratios.push_back(double(cv::countNonZero(crop.mask)) / bestArea);
    }
    const auto [least, most] = std::minmax_element(ratios.begin(), ratios.end());
    qInfo("zoom 0.67..1.5 over 12 seeds: cell area x%.2f .. x%.2f", *least, *most);
    QVERIFY2(*most - *least > 0.3, "the zoom range must draw different factors for different seeds");
    QVERIFY(*least > 0.67 * 0.67 * 0.8 && *most < 1.5 * 1.5 * 1.2);
  }

  // Artifact oversampling (docs/method.md section 2): each flagged crop joins the grid's crops `oversampling` more
  // times, augmented, at its place in the resampled image (it is flagged in the image's own pixels); a crop of an
  // image that is not trained on (in the validation split) is left out.
  void flaggedArtifactCropsJoinTheTrainingCrops() {
    const PreparedImage slide = prepareExample({dataFile(kRedSlide), maskFile(kRedSlide), 50, 1}, 25, {}, {});
    QCOMPARE(slide.scale, 0.5);
    const std::vector<ArtifactCrop> flagged = {{slide.name, {401, 300}}, {"validating-slide.png", {0, 0}}};
    const std::size_t gridCrops = cropGrid(slide.rgb.size(), 256, 200).size();
    const std::vector<CropSample> samples = trainingSamples({slide}, {2}, 256, 200, flagged, 7);
    QCOMPARE(samples.size(), 2 * gridCrops + 7);
    for (std::size_t k = 2 * gridCrops; k < samples.size(); ++k) {
      QCOMPARE(samples[k].origin, cv::Point(201, 150));  // 200.5 rounds away from zero
      QVERIFY(samples[k].augment);
    }
    QCOMPARE(trainingSamples({slide}, {2}, 256, 200, flagged, 0).size(), 2 * gridCrops);  // the paper's "no AO"

    const QString list = temp.filePath("artifacts.txt");
    writeBytes(list.toStdString(), "# flagged by hand\nslide.png 10 20\n\nslide.png 10\n");
    try {
      readArtifactList(list.toStdString());
      QFAIL("a line without its y was read");
    } catch (const ImageError& e) {
      QVERIFY2(QString(e.what()).contains("artifacts.txt:4"), e.what());
    }
  }

  // A fine-tune's hard negatives (--mine-artifacts): predictions that match no annotated cell give crops centred on
  // them, in the image's own pixels and inside the image; matched ones give none.
  void falseDetectionsBecomeArtifactCrops() {
    const PreparedImage slide = prepareExample({dataFile(kRedSlide), maskFile(kRedSlide), 50, 1}, 25, {}, {});
    const Detection truth = measureLabels(slide.trueCells);
    QVERIFY(truth.count() > 10);
    QVERIFY(cropsAroundFalseDetections(slide, truth, truth, 25, 128).empty());

    // The true cells plus two objects where no cell is: one in the middle of an empty stretch, one in a corner.
    cv::Mat labels = slide.trueCells.clone();
    cv::Point empty(-1, -1);
    for (int y = 100; y < labels.rows - 100 && empty.x < 0; y += 8)
      for (int x = 100; x < labels.cols - 100 && empty.x < 0; x += 8)
        if (cv::countNonZero(slide.trueCells(cv::Rect(x - 40, y - 40, 80, 80))) == 0) empty = {x, y};
    QVERIFY(empty.x >= 0);
    double largest = 0;
    cv::minMaxLoc(labels, nullptr, &largest);
    cv::circle(labels, empty, 5, cv::Scalar(largest + 1), cv::FILLED);
    cv::circle(labels, {3, 3}, 3, cv::Scalar(largest + 2), cv::FILLED);
    QVERIFY(cv::countNonZero(slide.trueCells(cv::Rect(0, 0, 30, 30))) == 0);
    const std::vector<ArtifactCrop> crops = cropsAroundFalseDetections(slide, measureLabels(labels), truth, 25, 128);
    QCOMPARE(int(crops.size()), 2);
    for (const ArtifactCrop& crop : crops) QCOMPARE(crop.imageName, slide.name);
    const auto atCanonicalScale = [&](const ArtifactCrop& c) { return cv::Point2d(c.origin) * slide.scale; };
    const auto cropAt = [&](cv::Point2d origin) {
      return std::count_if(crops.begin(), crops.end(),
                           [&](const ArtifactCrop& c) { return cv::norm(atCanonicalScale(c) - origin) <= 1.5; });
    };
    QCOMPARE(cropAt({0, 0}), 1L);  // the corner's, clamped into the image
    QCOMPARE(cropAt(cv::Point2d(empty) - cv::Point2d(64, 64)), 1L);
  }

  void sameSeedSameCropAndNoAugmentationIsACopy() {
    const auto a = makeCrop(slide.rgb, slide.mask, slide.weights, {100, 200}, 128, true, {}, 42);
    const auto b = makeCrop(slide.rgb, slide.mask, slide.weights, {100, 200}, 128, true, {}, 42);
    const auto c = makeCrop(slide.rgb, slide.mask, slide.weights, {100, 200}, 128, true, {}, 43);
    QCOMPARE(cv::norm(a.image, b.image, cv::NORM_INF), 0.0);
    QVERIFY(cv::norm(a.image, c.image, cv::NORM_INF) > 0);
    const auto plain = makeCrop(slide.rgb, slide.mask, slide.weights, {100, 200}, 128, false, {}, 42);
    QCOMPARE(cv::norm(plain.image, slide.rgb(cv::Rect(100, 200, 128, 128)), cv::NORM_INF), 0.0);
  }
};

QTEST_GUILESS_MAIN(AugmentationTest)
#include "test_augmentation.moc"
