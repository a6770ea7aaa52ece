// Loading and normalising real micrographs in every supported form, and clear errors for bad files.
#include "core/image_io.h"
#include "tests/test_support.h"

#include <QTemporaryDir>

#include <limits>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

using namespace fluocount;
using namespace fluocount::test;

class ImageIoTest : public QObject {
  Q_OBJECT

  QTemporaryDir temp;
  std::string tempFile(const char* name) { return temp.filePath(name).toStdString(); }

  // Expects loadImage to throw an ImageError whose message names the file and contains `what`.
  void expectError(const std::string& path, const char* what, ImageLimits limits = {}) {
    try {
      loadImage(path, limits);
      QFAIL(qPrintable(QString("no error for %1").arg(QString::fromStdString(path))));
    } catch (const ImageError& e) {
      const QString message = e.what();
      QVERIFY2(message.contains(QString::fromStdString(path)), qPrintable(message));
      QVERIFY2(message.contains(what, Qt::CaseInsensitive), qPrintable(message));
    }
  }

private slots:
  void initTestCase() { FLUOCOUNT_REQUIRE_SHARED_DATA(); }

  void rgb8BitFncSlideIsDividedBy255() {
    const RawImage raw = loadImage(dataFile(kYellowSlide));
    QCOMPARE(raw.pixels.channels(), 3);
    QCOMPARE(raw.bitDepth(), 8);
    const cv::Mat rgb = normaliseToRgb(raw.pixels, {});
    QCOMPARE(rgb.type(), CV_32FC3);
    QCOMPARE(rgb.size(), cv::Size(1600, 1200));
    // RGB order, /255: the first pixel's red is the raw blue-green-red's third channel.
    const cv::Vec3b bgr = raw.pixels.at<cv::Vec3b>(600, 800);
    const cv::Vec3f value = rgb.at<cv::Vec3f>(600, 800);
    QVERIFY(std::abs(value[0] - bgr[2] / 255.0f) < 1e-6f);
    QVERIFY(std::abs(value[2] - bgr[0] / 255.0f) < 1e-6f);
  }

  void gray16BitBbbcFieldIsPercentileStretched() {
    const RawImage raw = loadImage(dataFile(kNucleiSlide));
    QCOMPARE(raw.bitDepth(), 16);
    QCOMPARE(raw.pixels.channels(), 1);
    const cv::Mat rgb = normaliseToRgb(raw.pixels, {0.1, 99.9});
    double lo = 0, hi = 0;
    cv::minMaxLoc(rgb.reshape(1), &lo, &hi);
    QCOMPARE(lo, 0.0);
    QCOMPARE(hi, 1.0);
    // About 0.1 % of samples saturate at each end of a percentile stretch.
    const double saturated = cv::countNonZero(rgb.reshape(1) >= 1.0f) / double(rgb.total() * 3);
    QVERIFY2(saturated > 0.0002 && saturated < 0.01, qPrintable(QString::number(saturated)));
    // Gray is replicated into three identical channels.
    std::vector<cv::Mat> planes;
    cv::split(rgb, planes);
    QCOMPARE(cv::norm(planes[0], planes[2], cv::NORM_INF), 0.0);
  }

  void rgbaDropsAlphaAndTiffJpegLoad() {
    const RawImage raw = loadImage(dataFile(kRedSlide));
    cv::Mat bgra;
    cv::cvtColor(raw.pixels, bgra, cv::COLOR_BGR2BGRA);
    QVERIFY(cv::imwrite(tempFile("rgba.png"), bgra));
    QVERIFY(cv::imwrite(tempFile("slide.tif"), raw.pixels));
    QVERIFY(cv::imwrite(tempFile("slide.jpg"), raw.pixels));
    const cv::Mat fromRgba = normaliseToRgb(loadImage(tempFile("rgba.png")).pixels, {});
    const cv::Mat fromPng = normaliseToRgb(raw.pixels, {});
    QCOMPARE(cv::norm(fromRgba, fromPng, cv::NORM_INF), 0.0);
    QCOMPARE(cv::norm(normaliseToRgb(loadImage(tempFile("slide.tif")).pixels, {}), fromPng, cv::NORM_INF), 0.0);
    QCOMPARE(loadImage(tempFile("slide.jpg")).pixels.size(), raw.pixels.size());
  }

  void sixteenBitTiffLoads() {
    const RawImage raw = loadImage(dataFile(kNucleiSlide));
    QVERIFY(cv::imwrite(tempFile("field16.tif"), raw.pixels));
    const RawImage tiff = loadImage(tempFile("field16.tif"));
    QCOMPARE(tiff.bitDepth(), 16);
    QCOMPARE(cv::norm(tiff.pixels, raw.pixels, cv::NORM_INF), 0.0);
  }

  // Fiji's average or sum projection of a 16-bit stack, or Image > Type > 32-bit, saves the values as 32-bit floats:
  // read as floats, by OpenCV's reader and by FluoCount's own (channels in separate planes), and stretched exactly
  // as the 16-bit field is, whatever their scale. NaN pixels (a ratio's 0/0) are left out of the stretch and come
  // out as 0.
  void thirtyTwoBitFloatTiffIsStretchedAsItsSixteenBitSource() {
    const RawImage field = loadImage(dataFile(kNucleiSlide));
    cv::Mat asFloat;
    field.pixels.convertTo(asFloat, CV_32F);
    QVERIFY(cv::imwrite(tempFile("field32.tif"), asFloat));
    const RawImage tiff = loadImage(tempFile("field32.tif"));
    QCOMPARE(tiff.bitDepth(), 32);
    QCOMPARE(tiff.pixels.type(), CV_32FC1);
    QCOMPARE(cv::norm(tiff.pixels, asFloat, cv::NORM_INF), 0.0);
    const NormalisationSettings stretch{0.1, 99.9};
    const auto range16 = normalisationRange(rawRgb(field.pixels), stretch);
    QVERIFY(range16.second > 255);  // 12-bit data in 16 bits
    QCOMPARE(normalisationRange(rawRgb(tiff.pixels), stretch), range16);
    const cv::Mat rgb16 = normaliseToRgb(field.pixels, stretch);
    QVERIFY(cv::norm(normaliseToRgb(tiff.pixels, stretch), rgb16, cv::NORM_INF) <= 1e-6);
    // The same values as fractions of 65535: the same picture.
    const cv::Mat fraction = asFloat / 65535.0;
    QVERIFY(cv::norm(normaliseToRgb(fraction, stretch), rgb16, cv::NORM_INF) <= 1e-5);

    cv::Mat withNan = asFloat.clone();
    withNan(cv::Rect(0, 0, 40, 30)).setTo(std::numeric_limits<float>::quiet_NaN());
    const cv::Mat rgbNan = normaliseToRgb(withNan, stretch);
    QVERIFY(cv::checkRange(rgbNan, true, nullptr, 0.0, 1.0 + 1e-6));
    QCOMPARE(cv::countNonZero(rgbNan(cv::Rect(0, 0, 40, 30)).reshape(1)), 0);

    cv::Mat twoChannels;
    cv::merge(std::vector<cv::Mat>{asFloat, fraction}, twoChannels);
    TiffPageOptions planes;
    planes.separatePlanes = true;
    writeTiff(tempFile("two32.tif"), {twoChannels}, planes);
    const RawImage stack = loadImage(tempFile("two32.tif"));
    QCOMPARE(stack.channels.size(), std::size_t(2));
    QCOMPARE(stack.bitDepth(), 32);
    QCOMPARE(cv::norm(stack.channels[0], asFloat, cv::NORM_INF), 0.0);
    QCOMPARE(cv::norm(stack.channels[1], fraction, cv::NORM_INF), 0.0);
  }

  void truncatedFileIsAClearError() {
    const std::string bytes = readBytes(dataFile(kYellowSlide));
    writeBytes(tempFile("truncated.png"), bytes.substr(0, bytes.size() / 3));
    expectError(tempFile("truncated.png"), "corrupt or truncated");
  }

  void corruptEmptyAndForeignFilesAreClearErrors() {
    std::string bytes = readBytes(dataFile(kYellowSlide));
    for (std::size_t i = 200; i < bytes.size(); i += 997) bytes[i] = static_cast<char>(bytes[i] ^ 0x5A);
    writeBytes(tempFile("corrupt.png"), bytes);
    expectError(tempFile("corrupt.png"), "corrupt");
    writeBytes(tempFile("empty.png"), "");
    expectError(tempFile("empty.png"), "empty");
    writeBytes(tempFile("notes.png"), "these are my notes, not an image");
    expectError(tempFile("notes.png"), "not a PNG, TIFF or JPEG");
    expectError(tempFile("missing.png"), "no such file");
  }

  void oversizedImageIsRefusedBeforeDecoding() {
    ImageLimits limits;
    limits.maxPixels = 1000 * 1000;
    expectError(dataFile(kYellowSlide), "above the limit", limits);
  }

  void maskOfTheWrongSizeNamesBothFiles() {
    const std::string image = dataFile(kYellowSlide);
    const std::string mask = maskFile(kNucleiSlide);
    try {
      loadMask(mask, cv::Size(1600, 1200), image);
      QFAIL("no error for a mask of the wrong size");
    } catch (const ImageError& e) {
      QVERIFY(QString(e.what()).contains(QString::fromStdString(mask)));
      QVERIFY(QString(e.what()).contains(QString::fromStdString(image)));
    }
  }

  void realMaskIsBinary() {
    const cv::Mat mask = loadMask(maskFile(kYellowSlide), cv::Size(1600, 1200), "image");
    QCOMPARE(mask.type(), CV_8U);
    QVERIFY(cv::countNonZero(mask) > 1000);
    QCOMPARE(cv::countNonZero(mask) + cv::countNonZero(mask == 0), int(mask.total()));
    QCOMPARE(cv::countNonZero((mask != 0) & (mask != 255)), 0);
  }
};

QTEST_GUILESS_MAIN(ImageIoTest)
#include "test_image_io.moc"
