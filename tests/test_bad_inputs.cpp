// The bad-input corpus (issue 8): built here from real files in ../shared/data, every case fed to the loader or
// writer a user's file reaches. Each must end in a clear error that names the file (or load correctly where the
// input is merely unusual), never a crash, never a partial file, and never damage to what was there before.
// The suite prints how many cases it ran.
#include "core/atomic_file.h"
#include "core/checkpoint.h"
#include "core/counter.h"
#include "core/heatmap_file.h"
#include "core/image_io.h"
#include "core/imagej_roi.h"
#include "core/mask_edit.h"
#include "core/model_file.h"
#include "core/regions.h"
#include "core/slide_folder.h"
#include "test_support.h"
#include "ui/model/project_state.h"

#include <QDir>
#include <QProcess>
#include <QTemporaryDir>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <csignal>
#include <filesystem>
#include <functional>
#include <random>

#include <sys/resource.h>
#include <grp.h>
#include <unistd.h>

using namespace fluocount;
using namespace fluocount::test;
namespace fs = std::filesystem;

namespace {

int casesRun = 0;

std::string encoded(const char* extension, const cv::Mat& image, const std::vector<int>& parameters = {}) {
  std::vector<uchar> bytes;
  if (!cv::imencode(extension, image, bytes, parameters))
    throw std::runtime_error(std::string("cannot encode ") + extension);
  return std::string(bytes.begin(), bytes.end());
}

std::string fileName(const std::string& path) { return fs::path(path).filename().string(); }

// The call must throw E whose message names the file.
template <typename E>
void expectClearError(const std::string& path, const std::function<void()>& call, const char* what = nullptr) {
  ++casesRun;
  try {
    call();
  } catch (const E& e) {
    const QString message = QString::fromUtf8(e.what());
    QVERIFY2(message.contains(QString::fromStdString(fileName(path))),
             qPrintable("does not name the file: " + message));
    if (what)
      QVERIFY2(message.contains(what, Qt::CaseInsensitive),
               qPrintable("does not say '" + QString(what) + "': " + message));
    return;
  }
  QFAIL(qPrintable(QString::fromStdString("accepted " + path)));
}

// A PNG whose header claims width x height (with a valid header checksum): a decompression bomb.
std::string pngClaiming(std::string png, std::uint32_t width, std::uint32_t height) {
  for (int i = 0; i < 4; ++i) {
    png[16 + i] = char((width >> (24 - 8 * i)) & 0xFF);
    png[20 + i] = char((height >> (24 - 8 * i)) & 0xFF);
  }
  std::uint32_t crc = fluocount::crc32(png.data() + 12, 17);  // "IHDR" + 13 bytes
  for (int i = 0; i < 4; ++i) png[29 + i] = char((crc >> (24 - 8 * i)) & 0xFF);
  return png;
}

// An 8-bit palette PNG of `indices` (CV_8U) with `palette` (RGB per index), as ImageJ writes an 8-bit image that
// has a lookup table: the pixel values are the indices, the palette what they look like.
std::string palettePng(const cv::Mat& indices, const std::vector<cv::Vec3b>& palette) {
  auto be = [](std::uint32_t v) {
    return std::string{char(v >> 24), char(v >> 16 & 255), char(v >> 8 & 255), char(v & 255)};
  };
  auto chunk = [&](const std::string& type, const std::string& data) {
    const std::string body = type + data;
    return be(std::uint32_t(data.size())) + body + be(fluocount::crc32(body.data(), body.size()));
  };
  std::string header = be(std::uint32_t(indices.cols)) + be(std::uint32_t(indices.rows));
  header += std::string{8, 3, 0, 0, 0};  // 8 bits, palette, deflate, no filter, no interlace
  std::string colours;
  for (const cv::Vec3b& rgb : palette) colours += std::string{char(rgb[0]), char(rgb[1]), char(rgb[2])};
  QByteArray rows;
  for (int y = 0; y < indices.rows; ++y) {
    rows.append('\0');  // filter type None
    rows.append(reinterpret_cast<const char*>(indices.ptr(y)), indices.cols);
  }
  const QByteArray zlib = qCompress(rows).mid(4);  // Qt prefixes the zlib stream with its length
  return std::string("\x89PNG\r\n\x1A\n", 8) + chunk("IHDR", header) + chunk("PLTE", colours) +
         chunk("IDAT", zlib.toStdString()) + chunk("IEND", "");
}

// A JPEG whose frame header claims width x height.
std::string jpegClaiming(std::string jpeg, std::uint16_t width, std::uint16_t height) {
  for (std::size_t i = 2; i + 9 < jpeg.size(); ++i)
    if (uchar(jpeg[i]) == 0xFF && (uchar(jpeg[i + 1]) == 0xC0 || uchar(jpeg[i + 1]) == 0xC2)) {
      jpeg[i + 5] = char(height >> 8), jpeg[i + 6] = char(height & 0xFF);
      jpeg[i + 7] = char(width >> 8), jpeg[i + 8] = char(width & 0xFF);
      return jpeg;
    }
  throw std::runtime_error("no JPEG frame header");
}

// An uncompressed 8-bit TIFF with any number of samples per pixel (OpenCV writes only 1, 3 or 4): a gray
// channel followed by `channels - 1` unspecified extra samples, as some microscopes write.
std::string tiffWithChannels(const cv::Mat& gray, int channels) {
  std::string out;
  auto u16 = [&out](unsigned v) { out.push_back(char(v & 0xFF)), out.push_back(char(v >> 8)); };
  auto u32 = [&out](unsigned v) {
    for (int i = 0; i < 4; ++i) out.push_back(char((v >> (8 * i)) & 0xFF));
  };
  const unsigned width = unsigned(gray.cols), height = unsigned(gray.rows),
                 pixels = width * height * unsigned(channels);
  const int entries = 11;
  const unsigned ifd = 8, arrays = ifd + 2 + entries * 12 + 4, data = arrays + 4 * unsigned(channels);
  out += "II";
  u16(42);
  u32(ifd);
  u16(entries);
  auto entry = [&](unsigned tag, unsigned type, unsigned count, unsigned value) {
    u16(tag), u16(type), u32(count), u32(value);
  };
  entry(256, 4, 1, width);
  entry(257, 4, 1, height);
  entry(258, 3, unsigned(channels), channels <= 2 ? (8u | (8u << 16)) : arrays);  // BitsPerSample
  entry(259, 3, 1, 1);                                                            // no compression
  entry(262, 3, 1, 1);                                                            // min-is-black
  entry(273, 4, 1, data);                                                         // strip offset
  entry(277, 3, 1, unsigned(channels));                                           // samples per pixel
  entry(278, 4, 1, height);                                                       // rows per strip
  entry(279, 4, 1, pixels);                                                       // strip bytes
  entry(284, 3, 1, 1);                                                            // interleaved
  entry(338, 3, unsigned(channels - 1), 0);                                       // extra samples: unspecified
  u32(0);
  for (int c = 0; c < channels; ++c) u16(8);
  out.resize(data, '\0');
  for (int y = 0; y < gray.rows; ++y)
    for (int x = 0; x < gray.cols; ++x)
      for (int c = 0; c < channels; ++c) out.push_back(char(gray.at<uchar>(y, x) / (c + 1)));
  return out;
}

// An LZW-compressed TIFF of `image` (as OpenCV writes it, little-endian) whose header then claims `rows` rows per
// strip: the first directory's RowsPerStrip entry is rewritten as a LONG.
std::string lzwTiffClaimingRowsPerStrip(const cv::Mat& image, std::uint32_t rows) {
  std::string tiff = encoded(".tiff", image, {cv::IMWRITE_TIFF_COMPRESSION, 5});
  auto u16At = [&](std::size_t at) {
    return unsigned(std::uint8_t(tiff[at])) | unsigned(std::uint8_t(tiff[at + 1])) << 8;
  };
  if (tiff.compare(0, 2, "II") != 0) throw std::runtime_error("expected a little-endian TIFF");
  std::size_t ifd = 0;
  for (int i = 3; i >= 0; --i) ifd = (ifd << 8) | std::uint8_t(tiff[4 + i]);
  for (unsigned e = 0, entries = u16At(ifd); e < entries; ++e) {
    const std::size_t at = ifd + 2 + 12 * e;
    if (u16At(at) != 278) continue;
    tiff[at + 2] = 4, tiff[at + 3] = 0;  // type LONG, count 1
    for (int i = 0; i < 4; ++i) tiff[at + 8 + i] = char((rows >> (8 * i)) & 0xFF);
    return tiff;
  }
  throw std::runtime_error("no RowsPerStrip entry");
}

// Runs `write` with the process's file-size limit at `bytes` (a full disk, as seen by the writer).
void withFileSizeLimit(rlim_t bytes, const std::function<void()>& write) {
  rlimit old{};
  getrlimit(RLIMIT_FSIZE, &old);
  auto previous = std::signal(SIGXFSZ, SIG_IGN);
  rlimit limited = old;
  limited.rlim_cur = bytes;
  setrlimit(RLIMIT_FSIZE, &limited);
  try {
    write();
  } catch (...) {
    setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, previous);
    throw;
  }
  setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, previous);
}

int temporariesIn(const QString& folder) {
  return int(QDir(folder).entryList({".*.tmp-*"}, QDir::Files | QDir::Hidden).size());
}

}  // namespace

class BadInputsTest : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  cv::Mat slide_, slide16_, mask_;
  std::string png_, tiff_, jpeg_;

  std::string path(const std::string& name) const { return dir_.filePath(QString::fromStdString(name)).toStdString(); }
  std::string put(const std::string& name, const std::string& bytes) const {
    writeBytes(path(name), bytes);
    return path(name);
  }

private slots:
  void initTestCase() {
    FLUOCOUNT_REQUIRE_SHARED_DATA();
    slide_ = loadImage(dataFile(kYellowSlide)).pixels(cv::Rect(400, 300, 160, 120)).clone();
    slide16_ = loadImage(dataFile(kNucleiSlide)).pixels(cv::Rect(0, 0, 120, 100)).clone();
    mask_ = loadMask(maskFile(kYellowSlide))(cv::Rect(400, 300, 160, 120)).clone();
    png_ = encoded(".png", slide_);
    tiff_ = encoded(".tiff", slide_);
    jpeg_ = encoded(".jpg", slide_);
    QCOMPARE(slide16_.depth(), CV_16U);
  }

  void emptyAndTruncatedImages() {
    for (const auto& [name, bytes] : {std::pair{"slide.png", png_}, {"slide.tif", tiff_}, {"slide.jpg", jpeg_}}) {
      const std::string empty = put(std::string("empty-") + name, "");
      expectClearError<ImageError>(empty, [&] { loadImage(empty); });
      for (double share : {0.1, 0.5, 0.9}) {
        const std::string cut = put("cut" + std::to_string(int(share * 100)) + "-" + name,
                                    bytes.substr(0, std::size_t(share * double(bytes.size()))));
        expectClearError<ImageError>(cut, [&] { loadImage(cut); });
      }
    }
  }

  void bitFlippedImagesNeverCrash() {
    std::mt19937 random(8);
    for (const auto& [name, bytes] : {std::pair{"slide.png", png_}, {"slide.tif", tiff_}, {"slide.jpg", jpeg_}})
      for (int k = 0; k < 20; ++k) {
        std::string damaged = bytes;
        for (int flips = 0; flips < 1 + k % 4; ++flips) {
          const std::size_t at = random() % damaged.size();
          damaged[at] = char(damaged[at] ^ (1 << (random() % 8)));
        }
        const std::string file = put("flip" + std::to_string(k) + "-" + name, damaged);
        try {
          ++casesRun;
          const RawImage image = loadImage(file);
          normaliseToRgb(image.pixels, {});  // whatever decodes must be usable
        } catch (const ImageError& e) {
          QVERIFY2(QString(e.what()).contains(QString::fromStdString(fileName(file))), e.what());
        }
      }
  }

  // Multi-channel TIFFs go through FluoCount's own libtiff reader, and ROI sets through its ZIP and .roi readers:
  // damaged copies of real ones load or are refused naming the file, never crash.
  void damagedHyperstacksAndRoiSetsNeverCrash() {
    std::vector<cv::Mat> planes;
    cv::split(slide_, planes);  // 160 x 120
    const std::string stack = path("hyperstack.tif");
    test::writeTiff(stack, {planes[2], planes[1], planes[0]},
                    {"ImageJ=1.54f\nimages=3\nchannels=3\nunit=micron\n", 1 / 0.65, 1});
    const std::string stackBytes = readBytes(stack);
    const std::string roiSet = regionsRoiSet(parseRegions(
        R"({"type":"Feature","properties":{"name":"LHr"},"geometry":{"type":"Polygon","coordinates":[[[10.5,10],[150,12],[120,110.25],[10.5,10]]]}})",
        {160, 120}, "seed"));
    std::mt19937 random(18);
    for (int k = 0; k < 40; ++k) {
      const bool tiff = k % 2 == 0;
      std::string damaged = tiff ? stackBytes : roiSet;
      for (int flips = 0; flips < 1 + k % 4; ++flips) {
        const std::size_t at = random() % damaged.size();
        damaged[at] = char(damaged[at] ^ (1 << (random() % 8)));
      }
      const std::string file = put("flip" + std::to_string(k) + (tiff ? "-stack.tif" : "-RoiSet.zip"), damaged);
      ++casesRun;
      try {
        if (tiff) {
          const RawImage image = loadImage(file);
          normaliseToRgb(selectChannels(image, {1}), {});
        } else {
          parseRoiRegions(damaged, {160, 120}, file);
        }
      } catch (const ImageError& e) {
        QVERIFY2(tiff && QString(e.what()).contains(QString::fromStdString(fileName(file))), e.what());
      } catch (const RegionError& e) {
        QVERIFY2(!tiff && QString(e.what()).contains(QString::fromStdString(fileName(file))), e.what());
      }
    }
    // A stack whose second channel has another size, and a channel the stack lacks.
    const std::string mismatched = path("mismatched stack.tif");
    test::writeTiff(mismatched, {planes[2], planes[1](cv::Rect(0, 0, 100, 80)).clone()},
                    {"ImageJ=1.54f\nimages=2\nchannels=2\n"});
    expectClearError<ImageError>(
        mismatched, [&] { loadImage(mismatched); }, "page 2");
    expectClearError<ImageError>(
        stack, [&] { selectChannels(loadImage(stack), {4}); }, "channel 4");
  }

  void decompressionBombsAreRefusedBeforeDecoding() {
    const std::string png = put("bomb.png", pngClaiming(png_, 100000, 100000));
    expectClearError<ImageError>(
        png, [&] { loadImage(png); }, "pixels");
    const std::string jpeg = put("bomb.jpg", jpegClaiming(jpeg_, 65000, 65000));
    expectClearError<ImageError>(
        jpeg, [&] { loadImage(jpeg); }, "pixels");
    // A large but honest image under a small limit: refused from the header alone.
    const std::string big = put("big.png", png_);
    expectClearError<ImageError>(
        big,
        [&] {
          loadImage(big, {1000, 1u << 30});
        },
        "pixels");
    expectClearError<ImageError>(
        big,
        [&] {
          loadImage(big, {200'000'000, 100});
        },
        "bytes");
  }

  // A TIFF header can declare strips far taller than the image; OpenCV's decoder sizes its buffer by the strip
  // (a 264-byte fuzzed file asked for 3.8 GB). Refused from the header; honest "one strip" headers still load.
  void tiffStripsLargerThanTheImageAreRefused() {
    cv::Mat gray;
    cv::cvtColor(slide_, gray, cv::COLOR_BGR2GRAY);
    const std::string hostile = put("tall strips.tif", lzwTiffClaimingRowsPerStrip(gray, 4'000'000));
    expectClearError<ImageError>(
        hostile, [&] { loadImage(hostile); }, "strips");
    expectClearError<ImageError>(
        hostile, [&] { loadMask(hostile); }, "strips");
    // A crop small enough for OpenCV to write as one strip, whose header then says so in the three usual ways.
    const cv::Mat small = gray(cv::Rect(0, 0, 64, 48)).clone();
    for (std::uint32_t rows : {std::uint32_t(small.rows), std::uint32_t(small.rows) + 7, 0xFFFFFFFFu}) {
      ++casesRun;
      const std::string honest =
          put("strip of " + std::to_string(rows) + " rows.tif", lzwTiffClaimingRowsPerStrip(small, rows));
      const RawImage image = loadImage(honest);
      QCOMPARE(image.pixels.size(), small.size());
      QCOMPARE(cv::norm(image.pixels, small, cv::NORM_INF), 0.0);
    }
    // The two inputs the mask-loader fuzzer found (LZW strips of 64320 and 21568 rows in 64-row images).
    for (const char* finding : {"mask_loader-oom-lzw-tiff", "mask_loader-oom-2"}) {
      const QString input = QStringLiteral(FLUOCOUNT_SOURCE_DIR "/tests/fuzz/regressions/mask_loader/") + finding;
      QFile file(input);
      QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(input));
      const std::string tiff = put(std::string(finding) + ".tif", file.readAll().mid(1).toStdString());
      expectClearError<ImageError>(
          tiff,
          [&] {
            loadMask(tiff, {64, 64}, "image.png");
          },
          "strips");
    }
  }

  void unusualButValidImagesLoad() {
    ++casesRun;
    const std::string tiny = put("one pixel.png", encoded(".png", slide_(cv::Rect(0, 0, 1, 1)).clone()));
    QCOMPARE(loadImage(tiny).pixels.size(), cv::Size(1, 1));
    // The whole pipeline on it: counted (zero or one cells), not crashed.
    const ImageCount count = CellCounter::classical({}).count(tiny);
    QVERIFY(count.detection.count() <= 1);

    ++casesRun;
    const std::string sixteen = put("sixteen.png", encoded(".png", slide16_));
    QCOMPARE(loadImage(sixteen).bitDepth(), 16);
    ++casesRun;
    const std::string sixteenTiff = put("sixteen.tif", encoded(".tiff", slide16_));
    QCOMPARE(loadImage(sixteenTiff).pixels.type(), CV_16UC1);

    // Multi-page TIFF: the first page is the slide.
    ++casesRun;
    const std::string multi = path("pages.tif");
    QVERIFY(cv::imwritemulti(multi, std::vector<cv::Mat>{slide_, slide_(cv::Rect(0, 0, 40, 30)).clone()}));
    QCOMPARE(loadImage(multi).pixels.size(), slide_.size());
  }

  void unsupportedPixelFormatsAreClearErrors() {
    cv::Mat asSigned;
    slide16_.convertTo(asSigned, CV_16S, 0.5, -1000);
    const std::string signedSamples = put("signed.tif", encoded(".tiff", asSigned));
    cv::Mat gray;
    cv::cvtColor(slide_, gray, cv::COLOR_BGR2GRAY);
    const std::string twoChannels = put("two channels.tif", tiffWithChannels(gray, 2));
    const std::string fiveChannels = put("five channels.tif", tiffWithChannels(gray, 5));
    ++casesRun;
    expectClearError<ImageError>(
        signedSamples, [&] { loadImage(signedSamples); }, "8- and 16-bit unsigned integers and 32-bit floats");
    // Two samples per pixel (gray + alpha, or two stains): the first is the image.
    ++casesRun;
    const RawImage two = loadImage(twoChannels);
    QCOMPARE(two.pixels.type(), CV_8UC1);
    QCOMPARE(two.pixels.size(), slide_.size());
    QCOMPARE(cv::norm(two.pixels, gray, cv::NORM_INF), 0.0);
    // Five samples with extra-sample roles libtiff rejects: refused, naming the file.
    ++casesRun;
    expectClearError<ImageError>(
        fiveChannels, [&] { loadImage(fiveChannels); }, "TIFF");
  }

  void badMasks() {
    const std::string wrongSize = put("wrong size mask.png", encoded(".png", mask_(cv::Rect(0, 0, 50, 50)).clone()));
    expectClearError<ImageError>(
        wrongSize, [&] { loadMask(wrongSize, mask_.size(), "the slide.png"); }, "the slide.png");
    // Non-binary values (anti-aliased or 16-bit label masks): any non-zero pixel is a cell.
    ++casesRun;
    cv::Mat graded;
    mask_.convertTo(graded, CV_8U, 0.5);
    const std::string grey = put("grey mask.png", encoded(".png", graded));
    QCOMPARE(cv::countNonZero(loadMask(grey) != (mask_ > 0) * 255), 0);
    ++casesRun;
    cv::Mat labels16;
    mask_.convertTo(labels16, CV_16U, 3);
    const std::string sixteen = put("labels16 mask.png", encoded(".png", labels16));
    QCOMPARE(cv::countNonZero(loadMask(sixteen) != (mask_ > 0) * 255), 0);
    const std::string empty = put("empty mask.png", "");
    expectClearError<ImageError>(empty, [&] { loadMask(empty); });
    // Fiji's binary masks as PNG: cells 255, background 0, with the inverting LUT of "Black background" off (cells
    // look black) or the normal one. Either way the cells are the non-zero values, not the bright pixels.
    std::vector<cv::Vec3b> inverting, normal;
    for (int i = 0; i < 256; ++i) {
      inverting.emplace_back(255 - i, 255 - i, 255 - i);
      normal.emplace_back(i, i, i);
    }
    const cv::Mat cells = (mask_ > 0) / 255 * 255;
    for (const auto& [name, palette] :
         {std::pair{"inverting-lut mask.png", inverting}, {"normal-lut mask.png", normal}}) {
      ++casesRun;
      const std::string path = put(name, palettePng(cells, palette));
      QCOMPARE(loadImage(path).pixels.channels(), 3);  // decoded as the colours it shows
      QVERIFY2(cv::countNonZero(loadMask(path, mask_.size()) != cells) == 0, name);
    }
    // The same mask saved as TIFF: ImageJ writes an 8-bit image with the inverting LUT as WhiteIsZero, the values as
    // they are (cells 255), and reads them back so; so does FluoCount, as a mask and as a slide's pixels.
    ++casesRun;
    const std::string whiteIsZero = path("inverting-lut mask.tif");
    test::TiffPageOptions options;
    options.whiteIsZero = true;
    test::writeTiff(whiteIsZero, {cells}, options);
    QCOMPARE(cv::countNonZero(loadMask(whiteIsZero, mask_.size()) != cells), 0);
    // Other writers (PIL, libvips) store what they show white as 0: the cells as 0 and the background as 255. Of the
    // two readings the cells are the smaller part.
    ++casesRun;
    const std::string shownWhite = path("cells shown white mask.tif");
    test::writeTiff(shownWhite, {255 - cells}, options);
    QCOMPARE(cv::countNonZero(loadMask(shownWhite, mask_.size()) != cells), 0);
    // ImageJ's files say so: read by their values even where cells are most of the mask (the smaller-part rule inverts it).
    ++casesRun;
    const std::string confluent = path("confluent inverting-lut mask.tif");
    test::TiffPageOptions fromImageJ = options;
    fromImageJ.description = "ImageJ=1.54f\nmin=0.0\nmax=255.0\n";
    cv::Mat mostlyCells = cells.clone();
    mostlyCells(cv::Rect(0, 0, cells.cols, cells.rows * 3 / 4)).setTo(255);
    QVERIFY(2 * std::size_t(cv::countNonZero(mostlyCells)) > mostlyCells.total());
    test::writeTiff(confluent, {mostlyCells}, fromImageJ);
    QCOMPARE(cv::countNonZero(loadMask(confluent, mask_.size()) != mostlyCells), 0);
    const RawImage asSlide = loadImage(whiteIsZero);
    QCOMPARE(asSlide.pixels.depth(), CV_8U);
    QCOMPARE(cv::countNonZero(asSlide.channels.front() != cells), 0);
  }

  void damagedModelFiles() {
    const std::string good = serialiseModel(*untrainedModel(Architecture::SmallUnet, 1).network, [] {
      ModelInfo info;
      info.architecture = Architecture::SmallUnet;
      return info;
    }());
    std::string flipped = good;
    flipped[flipped.size() / 2] = char(flipped[flipped.size() / 2] ^ 0x10);
    for (const auto& [name, bytes] : {std::pair{"empty.fcmodel", std::string()},
                                      {"cut.fcmodel", good.substr(0, good.size() / 3)},
                                      {"flipped.fcmodel", flipped},
                                      {"a picture.fcmodel", png_},
                                      {"pickle.fcmodel", std::string("PK\x03\x04 a PyTorch zip checkpoint")}}) {
      const std::string file = put(name, bytes);
      expectClearError<ModelFileError>(file, [&] { loadModel(file); });
    }
    expectClearError<ModelFileError>(path("missing.fcmodel"), [&] { loadModel(path("missing.fcmodel")); });
  }

  void damagedCheckpoints() {
    auto network = makeNetwork(Architecture::SmallUnet);
    auto best = makeNetwork(Architecture::SmallUnet);
    torch::optim::Adam optimizer(network->parameters(), torch::optim::AdamOptions(1e-3));
    const std::string good = path("good.checkpoint");
    saveCheckpoint(good, {network.get(), &optimizer, best.get(), {{"epoch", 1}}});
    const std::string bytes = readBytes(good);
    std::string flipped = bytes;
    flipped[flipped.size() / 2] = char(flipped[flipped.size() / 2] ^ 0x01);
    auto unet = makeNetwork(Architecture::Unet);
    auto unetBest = makeNetwork(Architecture::Unet);
    torch::optim::Adam unetOptimizer(unet->parameters(), torch::optim::AdamOptions(1e-3));
    for (const auto& [name, content] : {std::pair{"empty.checkpoint", std::string()},
                                        {"cut.checkpoint", bytes.substr(0, bytes.size() / 2)},
                                        {"flipped.checkpoint", flipped},
                                        {"model as checkpoint.checkpoint", serialiseModel(*network, [] {
                                           ModelInfo info;
                                           info.architecture = Architecture::SmallUnet;
                                           return info;
                                         }())}}) {
      const std::string file = put(name, content);
      expectClearError<CheckpointError>(file, [&] {
        loadCheckpoint(file, {network.get(), &optimizer, best.get(), {}});
      });
    }
    // Another architecture's checkpoint.
    expectClearError<CheckpointError>(good, [&] {
      loadCheckpoint(good, {unet.get(), &unetOptimizer, unetBest.get(), {}});
    });
  }

  void damagedProjectStates() {
    ui::ProjectState state;
    state.slides["a.png"].reviewed = true;
    const QByteArray good = ui::serialiseProjectState(state);
    QByteArray future = good;
    future.replace("\"version\": 1", "\"version\": 99");
    const std::pair<const char*, QByteArray> cases[] = {{"truncated", good.left(good.size() / 2)},
                                                        {"newer FluoCount", future},
                                                        {"not JSON", "hello"},
                                                        {"binary", QByteArray::fromStdString(png_)},
                                                        {"another format", "{\"format\": \"something-else\"}"},
                                                        {"empty", ""}};
    for (const auto& [what, bytes] : cases) {
      ++casesRun;
      QString problem;
      QVERIFY2(!ui::parseProjectState(bytes, &problem), what);
      QVERIFY2(!problem.isEmpty(), what);
    }
    // Valid JSON with wrong types or values loses at most those values.
    ++casesRun;
    QByteArray odd = good;
    odd.replace("\"reviewed\": true", "\"reviewed\": \"yes\", \"status\": \"counted\", \"sweep\": [[1, 2]]");
    const auto parsed = ui::parseProjectState(odd, nullptr);
    QVERIFY(parsed);
    QVERIFY(!parsed->slides.at("a.png").counted);
    // A folder's pixel size and channel choice travel; values no user could set are left out.
    ui::ProjectState physical;
    physical.settings.pixelSizeUm = 0.325;
    physical.settings.channels = {3, 2, 1};
    physical.settings.precision = NetworkPrecision::BFloat16;
    const auto back = ui::parseProjectState(ui::serialiseProjectState(physical), nullptr);
    QVERIFY(back && back->settings == physical.settings);
    // A network precision no user could set is float32, the exact one.
    ++casesRun;
    QByteArray half = ui::serialiseProjectState(physical);
    QVERIFY(half.contains("\"network_precision\": \"bfloat16\""));
    half.replace("\"network_precision\": \"bfloat16\"", "\"network_precision\": \"float16\"");
    QCOMPARE(ui::parseProjectState(half, nullptr).value().settings.precision, NetworkPrecision::Float32);
    physical.settings.precision = NetworkPrecision::Int8;  // the other faster arithmetic travels too
    QVERIFY(ui::parseProjectState(ui::serialiseProjectState(physical), nullptr).value().settings == physical.settings);
    for (const char* bad : {"\"pixel_size_um\": 0", "\"pixel_size_um\": -3", "\"pixel_size_um\": \"big\"",
                            "\"channels\": [0]", "\"channels\": [1, 2]", "\"channels\": \"1\""}) {
      ++casesRun;
      QByteArray damaged = ui::serialiseProjectState(physical);
      const QByteArray field = QByteArray(bad).split(':').first();
      const qsizetype at = damaged.indexOf(field);
      QVERIFY2(at >= 0, bad);
      // Replace the field's whole value with the bad one.
      const qsizetype end = field == "\"channels\"" ? damaged.indexOf(']', at) + 1 : damaged.indexOf('\n', at);
      damaged.replace(at, end - at, bad);
      const auto read = ui::parseProjectState(damaged, nullptr);
      QVERIFY2(read, bad);
      if (field == "\"channels\"")
        QVERIFY2(read->settings.channels.empty(), bad);
      else
        QVERIFY2(!read->settings.pixelSizeUm, bad);
    }
  }

  void unusualFileNamesWork() {
    const QString folder = dir_.filePath("slides ü ß 顕微鏡");
    QDir().mkpath(folder + "/images");
    const std::string image = (folder + "/images/slide 1 – µm.png").toStdString();
    writeBytes(image, png_);
    ++casesRun;
    QCOMPARE(loadImage(image).pixels.size(), slide_.size());
    ++casesRun;
    const std::string mask = (folder + "/masks/slide 1 – µm.png").toStdString();
    QDir().mkpath(folder + "/masks");
    saveMask(mask, mask_);
    QCOMPARE(cv::countNonZero(loadMask(mask, slide_.size(), image) != mask_), 0);
    // The CLI on that folder, with the bundled model.
    ++casesRun;
    QProcess cli;
    cli.start(FLUOCOUNT_CLI, {"count", folder + "/images"});
    QVERIFY(cli.waitForFinished(300000));
    QVERIFY2(cli.exitCode() == 0, cli.readAllStandardError().constData());
    QVERIFY(QString::fromUtf8(cli.readAllStandardOutput()).contains("slide 1 – µm.png"));
  }

  // Slides whose names differ only in the extension ("a.png" exported from "a.tif") would share masks/a.png and a
  // regions file a.geojson: for neither is it used, training and evaluation refuse the folder rather than pair a
  // mask with the wrong image, and the CLI counts both but reads no regions for them, saying why.
  void slidesSharingAStemUseNoMaskOrRegions() {
    const QString folder = dir_.filePath("same-stem");
    QDir().mkpath(folder + "/images");
    QDir().mkpath(folder + "/masks");
    QDir().mkpath(folder + "/regions");
    writeBytes((folder + "/images/a.png").toStdString(), png_);
    writeBytes((folder + "/images/a.tif").toStdString(), tiff_);
    writeBytes((folder + "/images/b.png").toStdString(), png_);
    saveMask((folder + "/masks/a.png").toStdString(), mask_);
    saveMask((folder + "/masks/b.png").toStdString(), mask_);
    const Region half{"left", {{{{0, 0}, {80, 0}, {80, 120}, {0, 120}}}}};
    writeBytes((folder + "/regions/a.geojson").toStdString(), regionsGeoJson({half}));
    writeBytes((folder + "/regions/b.geojson").toStdString(), regionsGeoJson({half}));

    ++casesRun;
    const SlideFolder scan = scanSlideFolder(folder.toStdString());
    QCOMPARE(scan.slides.size(), std::size_t(3));
    for (int i : {0, 1}) {
      QVERIFY(scan.slides[i].mask.empty());
      QVERIFY2(QString::fromStdString(scan.slides[i].nameClash).contains("shares its name \"a\" with a."),
               scan.slides[i].nameClash.c_str());
    }
    QCOMPARE(scan.slides[2].mask, (folder + "/masks/b.png").toStdString());  // b's stem is its own
    QVERIFY(scan.slides[2].nameClash.empty());
    expectClearError<ImageError>("a.tif", [&] { scanAnnotatedDataset(folder.toStdString()); });

    ++casesRun;
    QProcess cli;
    cli.start(FLUOCOUNT_CLI,
              {"count", folder, "--classical", "--out", folder + "/counts", "--regions", folder + "/regions"});
    QVERIFY(cli.waitForFinished(300000));
    const QString errors = QString::fromUtf8(cli.readAllStandardError());
    QVERIFY2(errors.contains("a.geojson not used: a.png shares its name"), qPrintable(errors));
    QVERIFY2(errors.contains("a.geojson not used: a.tif shares its name"), qPrintable(errors));
    QFile regionsCsv(folder + "/counts/regions.csv");
    QVERIFY(regionsCsv.open(QIODevice::ReadOnly));
    const QStringList rows = QString::fromUtf8(regionsCsv.readAll()).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(rows.size(), 2);  // the header and b.png's one region
    QVERIFY2(rows[1].contains("/b.png,left,"), qPrintable(rows[1]));
    QFile countsCsv(folder + "/counts/counts.csv");
    QVERIFY(countsCsv.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(countsCsv.readAll()).split('\n', Qt::SkipEmptyParts).size(), 4);  // all counted
  }

  // A results folder on a read-only share. Root ignores permission bits, so as root the CLI runs as the
  // unprivileged user "nobody", for whom they hold as they do for a biologist.
  void readOnlyFolderIsAClearErrorAndChangesNothing() {
    const QString root = dir_.filePath("read-only-share");
    const QString folder = root + "/results-here";
    QDir().mkpath(folder);
    const QString slide = root + "/slide.png";
    QVERIFY(QFile::copy(QString::fromStdString(test::dataFile(test::kRedSlide)), slide));
    const auto everyoneReads = QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadGroup |
                               QFile::ExeGroup | QFile::ReadOther | QFile::ExeOther;
    for (const QString& path : {dir_.path(), root}) QFile::setPermissions(path, everyoneReads);
    QFile::setPermissions(slide, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther);
    QFile::setPermissions(folder, QFile::ReadOwner | QFile::ExeOwner | QFile::ReadGroup | QFile::ExeGroup |
                                      QFile::ReadOther | QFile::ExeOther);
    if (geteuid() != 0) {
      const std::string target = (folder + "/mask.png").toStdString();
      expectClearError<FileWriteError>(target, [&] { saveMask(target, mask_); });
    }
    QProcess cli;
    if (geteuid() == 0)
      cli.setChildProcessModifier([] {
        if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(99);
      });
    cli.start(FLUOCOUNT_CLI, {"count", slide, "--classical", "--out", folder + "/counts"});
    QVERIFY(cli.waitForFinished(120000));
    const QString error = QString::fromUtf8(cli.readAllStandardError());
    QCOMPARE(cli.exitCode(), 1);
    QVERIFY2(error.contains(folder + "/counts") && error.contains("Permission denied"), qPrintable(error));
    QCOMPARE(QDir(folder).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot).size(), 0);
    QFile::setPermissions(folder, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
  }

  void fullDiskLeavesThePreviousFileIntact() {
    const QString folder = dir_.filePath("full");
    QDir().mkpath(folder);
    const std::string mask = (folder + "/mask.png").toStdString();
    saveMask(mask, mask_);
    const std::string before = readBytes(mask);
    cv::Mat edited = mask_.clone();
    cv::circle(edited, {80, 60}, 30, cv::Scalar(255), cv::FILLED);
    cv::randu(edited(cv::Rect(0, 0, 160, 60)), 0, 2);  // incompressible, so the file outgrows the limit
    edited = edited * 255;
    withFileSizeLimit(512, [&] { expectClearError<FileWriteError>(mask, [&] { saveMask(mask, edited); }); });
    QCOMPARE(readBytes(mask), before);
    withFileSizeLimit(512, [&] {
      const std::string table = (folder + "/counts.csv").toStdString();
      expectClearError<FileWriteError>(table, [&] { writeFileAtomically(table, std::string(4096, 'x')); });
      const std::string heatmap = (folder + "/slide.fchm").toStdString();
      expectClearError<FileWriteError>(heatmap,
                                       [&] { saveHeatmap(heatmap, cv::Mat(64, 64, CV_32F, cv::Scalar(0.5))); });
    });
    QCOMPARE(temporariesIn(folder), 0);
    QVERIFY(!fs::exists((folder + "/counts.csv").toStdString()));
  }

  void cleanupTestCase() { std::printf("bad-input corpus: %d cases, 0 crashes\n", casesRun); }
};

QTEST_GUILESS_MAIN(BadInputsTest)
#include "test_bad_inputs.moc"
