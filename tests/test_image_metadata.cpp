// Physical units and channels (issue 18): the pixel size a file declares (ImageJ, OME-XML, TIFF resolution, PNG
// pHYs) and what is refused; multi-channel TIFFs built from a real FNC slide's channels (ImageJ hyperstack,
// OME-TIFF, separate planes, tiles, 16-bit) read back exactly; the count on a chosen channel equals the count of
// that channel saved alone; cells' channel means and positivity calls; areas and densities in µm² and cells/mm².
#include "test_support.h"
#include "core/counter.h"
#include "core/export.h"
#include "core/model_file.h"
#include "core/numeric_locale.h"
#include "core/utf8.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

using namespace fluocount;
using namespace fluocount::test;

namespace {

// The red, green and blue planes of a real slide, cropped to keep the network's share of the suite small.
std::vector<cv::Mat> slideChannels(const QString& slide, cv::Rect crop) {
  const cv::Mat bgr = cv::imread(dataFile(slide), cv::IMREAD_COLOR);
  if (bgr.empty()) throw std::runtime_error("cannot read " + dataFile(slide));
  std::vector<cv::Mat> planes;
  cv::split(bgr(crop).clone(), planes);
  return {planes[2], planes[1], planes[0]};
}

bool sameImage(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::countNonZero(a.reshape(1) != b.reshape(1)) == 0;
}

std::string imageJDescription(int channels, const std::string& unit) {
  return "ImageJ=1.54f\nimages=" + std::to_string(channels) + "\nchannels=" + std::to_string(channels) +
         "\nmode=composite\nunit=" + unit + "\nloop=false\n";
}

// A PNG with a pHYs chunk (pixels per metre; y as x where not given) after its header, CRC included.
std::string withPhysChunk(const std::string& png, std::uint32_t pixelsPerMetre, std::uint32_t yPixelsPerMetre = 0) {
  auto be = [](std::uint32_t v) {
    return std::string{char(v >> 24), char(v >> 16 & 255), char(v >> 8 & 255), char(v & 255)};
  };
  const std::string body =
      "pHYs" + be(pixelsPerMetre) + be(yPixelsPerMetre ? yPixelsPerMetre : pixelsPerMetre) + std::string(1, '\x01');
  std::uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : body) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = crc & 1 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
  }
  const std::size_t afterHeader = 8 + 4 + 4 + 13 + 4;
  return png.substr(0, afterHeader) + be(9) + body + be(crc ^ 0xFFFFFFFFu) + png.substr(afterHeader);
}

}  // namespace

class TestImageMetadata : public QObject {
  Q_OBJECT
  QTemporaryDir scratch_;
  std::vector<cv::Mat> channels_;  // red, green, blue of a crop of the real red FNC slide
  const cv::Rect crop_{0, 0, 800, 600};

  std::string path(const std::string& name) const { return (scratch_.path() + "/").toStdString() + name; }

private slots:
  void initTestCase() {
    FLUOCOUNT_REQUIRE_SHARED_DATA();
    QVERIFY(scratch_.isValid());
    channels_ = slideChannels(kRedSlide, crop_);
  }

  void imageJHyperstackGivesItsChannelsAndPixelSize() {
    writeTiff(path("hyperstack.tif"), channels_, {imageJDescription(3, "micron"), 1 / 0.65, 1});
    const RawImage raw = loadImage(path("hyperstack.tif"));
    QCOMPARE(raw.channels.size(), std::size_t(3));
    for (int c = 0; c < 3; ++c) QVERIFY2(sameImage(raw.channels[c], channels_[c]), qPrintable(QString::number(c)));
    QVERIFY(sameImage(raw.pixels, channels_[0]));  // the network's default: the first channel
    QVERIFY(raw.pixelSize.has_value());
    QVERIFY(std::abs(raw.pixelSize->micrometres - 0.65) < 1e-6);
    QCOMPARE(raw.pixelSize->source, std::string("ImageJ"));
    QCOMPARE(raw.channelNames, (std::vector<std::string>{"ch1", "ch2", "ch3"}));
  }

  // An OME-TIFF of 2 z-planes and 2 channels, z varying fastest: channel 2 starts on page 3, and each channel is
  // the maximum over its z-planes.
  void omeTiffChannelsFollowTheDimensionOrder() {
    const std::string xml =
        R"(<?xml version="1.0" encoding="UTF-8"?><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06">)"
        R"(<Image ID="Image:0"><Pixels ID="Pixels:0" DimensionOrder="XYZCT" Type="uint8" SizeX="800" SizeY="600")"
        R"( SizeZ="2" SizeC="2" SizeT="1" PhysicalSizeX="325" PhysicalSizeXUnit="nm" PhysicalSizeY="325">)"
        R"(<Channel ID="Channel:0:0" Name="cFOS" SamplesPerPixel="1"/><Channel ID="Channel:0:1" Name="PV"/>)"
        R"(</Pixels></Image></OME>)";
    writeTiff(path("ome.ome.tif"), {channels_[0], channels_[2], channels_[1], channels_[2]}, {xml});
    const RawImage raw = loadImage(path("ome.ome.tif"));
    QCOMPARE(raw.channels.size(), std::size_t(2));
    cv::Mat first, second;
    cv::max(channels_[0], channels_[2], first);   // pages 1 and 2
    cv::max(channels_[1], channels_[2], second);  // pages 3 and 4
    QVERIFY(sameImage(raw.channels[0], first));
    QVERIFY(sameImage(raw.channels[1], second));
    QCOMPARE(raw.channelNames, (std::vector<std::string>{"cFOS", "PV"}));
    QVERIFY(raw.pixelSize && std::abs(raw.pixelSize->micrometres - 0.325) < 1e-9);
    QCOMPARE(raw.pixelSize->source, std::string("OME-XML"));
    QCOMPARE(raw.notes, (std::vector<std::string>{
                            "OME-TIFF of 2 z-planes: their maximum intensity projection is counted (as Fiji's Z "
                            "Project, Max Intensity)"}));
  }

  // An ImageJ hyperstack of 2 channels, 3 z-slices and 2 time frames (channel, then slice, then frame): each channel
  // is the maximum over the slices of the first frame; a stack that lacks pages keeps its first slice.
  void imageJZStackIsCountedAsItsMaximumProjection() {
    const std::string description =
        "ImageJ=1.53t\nimages=12\nchannels=2\nslices=3\nframes=2\nhyperstack=true\nmode=composite\n";
    const cv::Mat& red = channels_[0];
    const cv::Mat& green = channels_[1];
    const cv::Mat& blue = channels_[2];
    const cv::Mat black = cv::Mat::zeros(red.size(), CV_8U), white(red.size(), CV_8U, cv::Scalar(255));
    // Frame 1: (c1, c2) at z1, z2, z3; frame 2 is white, which a projection over time would show.
    std::vector<cv::Mat> pages = {red, blue, green, black, blue, green};
    for (int i = 0; i < 6; ++i) pages.push_back(white);
    writeTiff(path("zstack.tif"), pages, {description});
    const RawImage raw = loadImage(path("zstack.tif"));
    cv::Mat first, second;
    cv::max(red, green, first);
    cv::max(first, blue, first);
    cv::max(blue, green, second);
    QCOMPARE(raw.channels.size(), std::size_t(2));
    QVERIFY(sameImage(raw.channels[0], first));
    QVERIFY(sameImage(raw.channels[1], second));
    QVERIFY(sameImage(raw.pixels, first));
    QCOMPARE(raw.notes, (std::vector<std::string>{
                            "ImageJ stack of 3 z-planes: their maximum intensity projection is counted (as Fiji's Z "
                            "Project, Max Intensity)",
                            "ImageJ stack of 2 time frames: the first is counted"}));

    pages.resize(4);  // a stack cut short: 4 of its 12 pages
    writeTiff(path("cut.tif"), pages, {description});
    const RawImage cut = loadImage(path("cut.tif"));
    QVERIFY(sameImage(cut.channels[0], red));
    QVERIFY(sameImage(cut.channels[1], blue));
    QCOMPARE(cut.notes.front(),
             std::string("ImageJ stack of 3 z-planes holds 4 pages of 12: only the first z-plane is counted"));
  }

  // A z-stack whose third slice has another size (each slice's pages are read alone, then projected), and the
  // damaged z-stack the image-loader fuzzer found that way: a clear error naming the file, not a crash in cv::max.
  void aZSliceOfAnotherSizeIsAClearError() {
    const auto expectRefused = [](const std::string& file, const char* what) {
      try {
        loadImage(file);
        QFAIL(qPrintable(QString::fromStdString(file) + " loaded"));
      } catch (const ImageError& e) {
        QVERIFY2(QString(e.what()).contains(QString::fromStdString(file)) && QString(e.what()).contains(what),
                 e.what());
      }
    };
    writeTiff(path("mismatched z-stack.tif"),
              {channels_[2], channels_[1], channels_[0](cv::Rect(0, 0, 100, 80)).clone()},
              {"ImageJ=1.54f\nimages=3\nslices=3\n"});
    expectRefused(path("mismatched z-stack.tif"), "z-plane 3 (page 3) is not the size and type of the first z-plane");
    QFile finding(
        QStringLiteral(FLUOCOUNT_SOURCE_DIR "/tests/fuzz/regressions/image_loader/zstack-planes-of-other-sizes"));
    QVERIFY2(finding.open(QIODevice::ReadOnly), qPrintable(finding.fileName()));
    writeBytes(path("found z-stack.tif"), finding.readAll().mid(1).toStdString());  // byte 1 picks the extension
    expectRefused(path("found z-stack.tif"), "is not the size and type of the first z-plane");
  }

  // Sixteen-bit, separate planes, tiles: the same pixels come back.
  void separatePlanesTilesAndSixteenBitReadBack() {
    std::vector<cv::Mat> sixteen(3);
    for (int c = 0; c < 3; ++c) channels_[c].convertTo(sixteen[c], CV_16U, 257.0);
    cv::Mat merged;
    cv::merge(sixteen, merged);
    writeTiff(path("planar.tif"), {merged}, {"", 0, 1, true, 128});
    const RawImage raw = loadImage(path("planar.tif"));
    QCOMPARE(raw.bitDepth(), 16);
    QCOMPARE(raw.channels.size(), std::size_t(3));
    for (int c = 0; c < 3; ++c) QVERIFY2(sameImage(raw.channels[c], sixteen[c]), qPrintable(QString::number(c)));
    QCOMPARE(raw.pixels.channels(), 3);  // a colour image stored plane by plane: the network sees its colours
    QVERIFY(sameImage(selectChannels(raw, {1, 2, 3}), raw.pixels));
    // Five samples in one page: beyond what OpenCV decodes, read by FluoCount's own reader.
    cv::Mat five;
    cv::merge(std::vector<cv::Mat>{channels_[0], channels_[1], channels_[2], channels_[0], channels_[1]}, five);
    writeTiff(path("five.tif"), {five}, {"", 0, 1, false, 64});
    const RawImage fiveRaw = loadImage(path("five.tif"));
    QCOMPARE(fiveRaw.channels.size(), std::size_t(5));
    QVERIFY(sameImage(fiveRaw.channels[3], channels_[0]));
    QVERIFY(sameImage(fiveRaw.channels[4], channels_[1]));
  }

  void resolutionTagsGiveThePixelSizeAndAnEditorsDpiIsIgnored() {
    writeTiff(path("centimetre.tif"), {channels_[0]}, {"", 10000 / 0.5, 3});
    const RawImage cm = loadImage(path("centimetre.tif"));
    QVERIFY(cm.pixelSize && std::abs(cm.pixelSize->micrometres - 0.5) < 1e-4);
    QCOMPARE(cm.pixelSize->source, std::string("TIFF resolution"));
    writeTiff(path("dpi.tif"), {channels_[0]}, {"", 72, 2});
    const RawImage dpi = loadImage(path("dpi.tif"));
    QVERIFY(!dpi.pixelSize);
    QCOMPARE(dpi.notes.size(), std::size_t(1));
    QVERIFY2(QString::fromStdString(dpi.notes[0]).contains("not used"), dpi.notes[0].c_str());

    std::vector<uchar> png;
    cv::imencode(".png", channels_[0], png);
    writeBytes(path("phys.png"), withPhysChunk(std::string(png.begin(), png.end()), 2000000));  // 0.5 µm
    const RawImage fromPng = loadImage(path("phys.png"));
    QVERIFY(fromPng.pixelSize && std::abs(fromPng.pixelSize->micrometres - 0.5) < 1e-9);
    QVERIFY(sameImage(fromPng.pixels, channels_[0]));
  }

  // Every measure in µm assumes square pixels: a file that declares others (a line-scan or a stretched export) keeps
  // the image in pixels and says why, in each way a pixel size is declared; a file's rounding of a square pixel
  // does not count as non-square.
  void nonSquarePixelsKeepTheImageInPixels() {
    auto refused = [](const RawImage& raw, const char* what) {
      QVERIFY2(!raw.pixelSize, what);
      QCOMPARE(raw.notes.size(), std::size_t(1));
      QVERIFY2(QString::fromStdString(raw.notes[0]).contains("not square"), raw.notes[0].c_str());
    };
    writeTiff(path("imagej-tall.tif"), {channels_[0]}, {imageJDescription(1, "micron"), 1 / 0.5, 1, false, 0, 1 / 0.6});
    refused(loadImage(path("imagej-tall.tif")), "ImageJ");
    writeTiff(path("cm-wide.tif"), {channels_[0]}, {"", 10000 / 0.5, 3, false, 0, 10000 / 0.4});
    refused(loadImage(path("cm-wide.tif")), "TIFF resolution");
    writeTiff(path("tall.ome.tif"), {channels_[0]},
              {R"(<OME><Image><Pixels SizeC="1" PhysicalSizeX="0.325" PhysicalSizeY="650" )"
               R"(PhysicalSizeYUnit="nm"></Pixels></Image></OME>)"});
    refused(loadImage(path("tall.ome.tif")), "OME-XML");
    std::vector<uchar> png;
    cv::imencode(".png", channels_[0], png);
    writeBytes(path("wide.png"), withPhysChunk(std::string(png.begin(), png.end()), 2000000, 1000000));
    refused(loadImage(path("wide.png")), "PNG pHYs");

    // Rounded in the file: 0.3225 by 0.3226 µm is a square pixel, and its width is the pixel size.
    writeTiff(path("rounded.tif"), {channels_[0]},
              {imageJDescription(1, "micron"), 1 / 0.3225, 1, false, 0, 1 / 0.3226});
    const RawImage rounded = loadImage(path("rounded.tif"));
    QVERIFY(rounded.pixelSize && std::abs(rounded.pixelSize->micrometres - 0.3225) < 1e-6);
    QVERIFY(rounded.notes.empty());
    // The same OME declaration in one unit for both axes, PhysicalSizeY in nm: square.
    writeTiff(path("square.ome.tif"), {channels_[0]},
              {R"(<OME><Image><Pixels SizeC="1" PhysicalSizeX="0.325" PhysicalSizeY="325" )"
               R"(PhysicalSizeYUnit="nm"></Pixels></Image></OME>)"});
    const RawImage square = loadImage(path("square.ome.tif"));
    QVERIFY(square.pixelSize && std::abs(square.pixelSize->micrometres - 0.325) < 1e-9);
  }

  void badDeclarationsAndChoicesAreClearErrors() {
    // A pixel size of 0 in OME-XML is not used (the image stays in pixels) and says so.
    writeTiff(path("zero.ome.tif"), {channels_[0]},
              {R"(<OME><Image><Pixels SizeC="1" PhysicalSizeX="0"></Pixels></Image></OME>)"});
    const RawImage zero = loadImage(path("zero.ome.tif"));
    QVERIFY(!zero.pixelSize);
    QVERIFY(!zero.notes.empty());
    // A user's pixel size must be plausible.
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, checkedUserPixelSize(0, "--pixel-size"));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, checkedUserPixelSize(5000, "--pixel-size"));
    QCOMPARE(checkedUserPixelSize(0.65, "folder").micrometres, 0.65);
    // A channel beyond the image names the file and the channel.
    const RawImage rgb = loadImage(dataFile(kRedSlide));
    try {
      selectChannels(rgb, {4});
      QFAIL("channel 4 of an RGB image accepted");
    } catch (const ImageError& e) {
      QVERIFY2(QString(e.what()).contains("channel 4") && QString(e.what()).contains("MAR32C2R3"), e.what());
    }
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parseChannelList("0"));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parseChannelList("1,2"));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parseChannelList("1,x,3"));
    QCOMPARE(parseChannelList("3,2,1"), (std::vector<int>{3, 2, 1}));
    // Positivity rules: malformed text, a channel the image lacks, a threshold beyond 8 bits.
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parsePositivityRule("2"));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parsePositivityRule("2:-1"));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parsePositivityRule("a:3"));
    QVERIFY_THROWS_EXCEPTION(ImageError, checkPositivityRules({{5, 10}}, 3, 8, "slide.png"));
    QVERIFY_THROWS_EXCEPTION(ImageError, checkPositivityRules({{1, 300}}, 3, 8, "slide.png"));
    checkPositivityRules({{1, 300}}, 3, 16, "slide.tif");
    checkPositivityRules({{1, 250000.5}}, 3, 32, "projection.tif");  // a float image's values have no maximum
    // A float image's threshold and its cells' means keep their digits in the files: fractions of 1 too.
    QCOMPARE(positivityRuleText(parsePositivityRule("2:0.0125")), std::string("2:0.0125"));
    QCOMPARE(positivityRuleText(parsePositivityRule("2:120")), std::string("2:120"));
    QCOMPARE(measuredValue(111.1807), std::string("111.18"));
    QCOMPARE(measuredValue(7.7612), std::string("7.761"));
    QCOMPARE(measuredValue(0.0123456), std::string("0.01235"));
    QCOMPARE(measuredValue(0), std::string("0.00"));
    // An ImageJ stack whose second channel has another size: an error naming the page, not a crash.
    writeTiff(path("mismatch.tif"), {channels_[0], channels_[1](cv::Rect(0, 0, 400, 300)).clone()},
              {imageJDescription(2, "micron"), 2, 1});
    try {
      loadImage(path("mismatch.tif"));
      QFAIL("a stack of two sizes accepted");
    } catch (const ImageError& e) {
      QVERIFY2(QString(e.what()).contains("mismatch.tif") && QString(e.what()).contains("page 2"), e.what());
    }
  }

  // The network counts a chosen channel of a multi-channel TIFF exactly as it counts that channel saved alone, and
  // the three channels chosen as red, green, blue exactly as the RGB image.
  void countOnAChosenChannelEqualsTheChannelAlone() {
    writeTiff(path("stack.tif"), channels_, {imageJDescription(3, "micron"), 1 / 0.65, 1});
    cv::imwrite(path("red.png"), channels_[0]);
    cv::Mat bgr;
    cv::merge(std::vector<cv::Mat>{channels_[2], channels_[1], channels_[0]}, bgr);
    cv::imwrite(path("rgb.png"), bgr);
    Model model = loadModel(FLUOCOUNT_SOURCE_MODELS_DIR "/default.fcmodel");
    CountSettings settings;
    settings.cellDiameterPx = 33;
    const ImageCount alone = CellCounter::withModel(model, settings).count(path("red.png"));
    const ImageCount rgb = CellCounter::withModel(model, settings).count(path("rgb.png"));
    settings.channels = {1};
    const ImageCount chosen = CellCounter::withModel(model, settings).count(path("stack.tif"));
    settings.channels = {1, 2, 3};
    const ImageCount chosenRgb = CellCounter::withModel(model, settings).count(path("stack.tif"));
    qInfo("red channel alone %d cells, channel 1 of the stack %d; RGB %d, channels 1,2,3 %d", alone.detection.count(),
          chosen.detection.count(), rgb.detection.count(), chosenRgb.detection.count());
    QVERIFY(rgb.detection.count() > 3);
    QCOMPARE(chosen.detection.count(), alone.detection.count());
    QVERIFY(sameImage(chosen.detection.labels, alone.detection.labels));
    QCOMPARE(chosenRgb.detection.count(), rgb.detection.count());
    QVERIFY(sameImage(chosenRgb.detection.labels, rgb.detection.labels));
    // The stack's pixel size reaches the count, and the µm diameter converts through it.
    QVERIFY(chosen.facts.pixelSize && std::abs(chosen.facts.pixelSize->micrometres - 0.65) < 1e-6);
    settings.cellDiameterPx = 0;
    settings.cellDiameterUm = 33 * 0.65;
    const ImageCount inMicrometres = CellCounter::withModel(model, settings).count(path("stack.tif"));
    QVERIFY(std::abs(inMicrometres.cellDiameterPx - 33) < 1e-6);
    QCOMPARE(inMicrometres.detection.count(), chosenRgb.detection.count());
    QVERIFY_THROWS_EXCEPTION(ImageError, CellCounter::withModel(model, settings).count(path("rgb.png")));

    // Every cell's channel means are its pixels' mean raw values; positivity counts add up.
    const Detection& cells = chosenRgb.detection;
    const DetectedObject& first = cells.objects.at(0);
    QCOMPARE(first.channelMeans.size(), std::size_t(3));
    for (int c = 0; c < 3; ++c)
      QVERIFY(std::abs(first.channelMeans[c] - cv::mean(channels_[c], cells.labels == first.label)[0]) < 1e-6);
    std::vector<double> reds;
    for (const DetectedObject& o : cells.objects) reds.push_back(o.channelMeans[0]);
    std::sort(reds.begin(), reds.end());
    const double median = reds[reds.size() / 2];
    const std::vector<PositivityRule> rules{{1, median}, {2, 60}};
    const std::vector<int> counts = markerCounts(cells.objects, rules);
    QCOMPARE(markerColumnNames(rules),
             (std::vector<std::string>{"ch1+", "ch2+", "ch1+ch2+", "ch1+ch2-", "ch1-ch2+", "ch1-ch2-"}));
    QCOMPARE(counts[2] + counts[3] + counts[4] + counts[5], cells.count());
    QCOMPARE(counts[0], counts[2] + counts[3]);
    QCOMPARE(counts[1], counts[2] + counts[4]);
    QVERIFY(counts[0] >= cells.count() / 2);  // at least half are at or above the median
    qInfo("ch1+ %d, ch2+ %d of %d cells", counts[0], counts[1], cells.count());
  }

  // A table's text fields are UTF-8 whatever the file names: valid UTF-8 as it is, each stray byte of a name in
  // another encoding as the text \xNN (Python's backslashreplace), so that two such names stay apart.
  void tableFieldsAreUtf8WhateverTheNames() {
    QCOMPARE(csvField("/data/Schnitt_\xe4.png"), std::string("/data/Schnitt_\\xe4.png"));
    QCOMPARE(csvField("/data/Schnitt_\xf6.png"), std::string("/data/Schnitt_\\xf6.png"));
    QCOMPARE(csvField("caf\xc3\xa9 \xc2\xb5m \xe6\x97\xa5.png"), std::string("caf\xc3\xa9 \xc2\xb5m \xe6\x97\xa5.png"));
    QCOMPARE(csvField("cut\xe6\x97"), std::string("cut\\xe6\\x97"));    // a sequence cut short
    QCOMPARE(csvField("over\xc0\xaf"), std::string("over\\xc0\\xaf"));  // an overlong '/'
    QCOMPARE(csvField("a,\xe4"), std::string("\"a,\\xe4\""));           // quoted as before
    QVERIFY(isUtf8(utf8WithEscapedBytes("\xff\xfe\x80")));
  }

  // Tables in physical units: a region's area in µm² from the pixel size, densities in cells/mm².
  void tablesGiveAreasInSquareMicrometres() {
    CountRow row;
    row.file = "slide.tif";
    row.count = 50;
    row.width = 1000;
    row.height = 800;
    row.cellDiameterPx = 40;
    row.cellDiameterSource = "given";
    row.pixelSizeUm = 0.5;
    row.pixelSizeSource = "ImageJ";
    row.options = "--classical --diameter 40 --threshold 0.5";
    const std::string counts = countsCsv({row});
    // The options column is the whole command (add the image): a bare "--classical ..." reads as a formula in a
    // spreadsheet.
    QVERIFY2(QString::fromStdString(counts).contains(",fluocount-cli count --classical --diameter 40 --threshold 0.5,"),
             counts.c_str());
    // 1000 x 800 px at 0.5 µm: 200000 µm² = 0.2 mm², so 50 cells are 250 per mm²; the diameter is 20 µm.
    QVERIFY2(QString::fromStdString(counts).contains(",40.00,20.00,given,0.500000,ImageJ,200000.0,250.000,"),
             counts.c_str());
    const std::string regions = regionsCsvRows(row, {{"LHr", 10, 40000, {}, "hypothalamus"}});
    QVERIFY2(QString::fromStdString(regions).contains("LHr,hypothalamus,10,40000.0,250.000,10000.0,1000.000,0.500000"),
             regions.c_str());
    row.pixelSizeUm = 0;
    row.pixelSizeSource = "none";
    QVERIFY2(QString::fromStdString(countsCsv({row})).contains(",40.00,,given,,none,,,"), countsCsv({row}).c_str());
    QCOMPARE(scaleBarMicrometres(1600, 0.65), 200.0);  // a fifth of 1040 µm, rounded down to 1-2-5
    QCOMPARE(scaleBarMicrometres(1000, 0.1), 20.0);
  }
};

QTEST_GUILESS_MAIN(TestImageMetadata)
#include "test_image_metadata.moc"
