#include "core/image_io.h"

#include "core/atomic_file.h"
#include "core/tiff_layout.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <array>
#include <charconv>
#include <filesystem>
#include <limits>
#include <optional>

namespace fluocount {
namespace {

enum class Format { Png, Jpeg, Tiff, Unknown };

Format sniffFormat(const std::string& bytes) {
  auto startsWith = [&](std::initializer_list<unsigned char> magic) {
    if (bytes.size() < magic.size()) return false;
    return std::equal(magic.begin(), magic.end(), bytes.begin(),
                      [](unsigned char m, char b) { return m == static_cast<unsigned char>(b); });
  };
  if (startsWith({0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A})) return Format::Png;
  if (startsWith({0xFF, 0xD8, 0xFF})) return Format::Jpeg;
  if (startsWith({'I', 'I', 42, 0}) || startsWith({'M', 'M', 0, 42})) return Format::Tiff;
  return Format::Unknown;
}

std::uint32_t bigEndian(const std::string& b, std::size_t at, int bytes) {
  std::uint32_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}

// Width and height read from the file header, so that oversized images are refused before they are decoded.
std::optional<cv::Size> headerSize(const std::string& b, Format format) {
  if (format == Format::Png && b.size() >= 24) return cv::Size(bigEndian(b, 16, 4), bigEndian(b, 20, 4));
  if (format == Format::Jpeg) {
    std::size_t i = 2;
    while (i + 9 < b.size()) {
      if (static_cast<unsigned char>(b[i]) != 0xFF) return std::nullopt;
      const unsigned marker = static_cast<unsigned char>(b[i + 1]);
      const std::uint32_t length = bigEndian(b, i + 2, 2);
      const bool startOfFrame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
      if (startOfFrame) return cv::Size(bigEndian(b, i + 7, 2), bigEndian(b, i + 5, 2));
      i += 2 + length;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

// The image size of a TIFF, after refusing a layout whose strips or tiles would make OpenCV's decoder allocate far
// more than the image itself (a few hundred header bytes can otherwise ask for gigabytes).
TiffLayout checkedTiffLayout(const std::string& bytes, const std::string& path) {
  TiffLayout layout;
  try {
    layout = readTiffLayout(bytes);
  } catch (const std::exception& e) {
    throw ImageError(path + ": corrupt TIFF (" + e.what() + ")");
  }
  auto padded = [](std::uint64_t side) { return (side + 15) / 16 * 16; };
  const std::uint64_t plausibleBlockBytes =
      16 * padded(layout.width) * padded(layout.height) + (std::uint64_t(64) << 20);
  if (layout.decoderBlockBytes() > plausibleBlockBytes)
    throw ImageError(path + ": corrupt TIFF: its " + (layout.tiled ? "tiles" : "strips") + " of " +
                     std::to_string(layout.blockWidth) + "x" + std::to_string(layout.blockHeight) +
                     " pixels do not fit a " + std::to_string(layout.width) + "x" + std::to_string(layout.height) +
                     " image");
  if (layout.width > std::uint32_t(std::numeric_limits<int>::max()) ||
      layout.height > std::uint32_t(std::numeric_limits<int>::max()))
    throw ImageError(path + ": TIFF header declares an image too large to decode");
  return layout;
}

// The planes of a multi-channel TIFF's channel pages. A plain multi-page TIFF whose later pages differ (a
// thumbnail, a pyramid level) keeps the pages up to the first that differs.
std::vector<cv::Mat> channelPlanes(const std::string& bytes, std::vector<int> pages, bool plainPages,
                                   const std::string& path) {
  while (true) {
    try {
      return readTiffPlanes(bytes, pages);
    } catch (const std::exception& e) {
      if (!plainPages || pages.size() <= 1) throw ImageError(path + ": " + e.what());
      pages.pop_back();
    }
  }
}

// The channels of the pages in metadata.channelPages (or the first page); for a z-stack, each channel's maximum over
// its z-planes, read one plane at a time.
std::vector<cv::Mat> projectedChannelPlanes(const std::string& bytes, const ImageMetadata& metadata, bool plainPages,
                                            const std::string& path) {
  std::vector<cv::Mat> projection = channelPlanes(bytes, metadata.channelPages, plainPages, path);
  for (int plane = 1; plane < metadata.zPlanes; ++plane) {
    std::vector<int> pages = metadata.channelPages;
    for (int& page : pages) page += plane * metadata.zPageStride;
    const std::vector<cv::Mat> planes = channelPlanes(bytes, pages, false, path);
    const auto unlikeTheFirst = [&](std::size_t c) {
      return planes[c].size() != projection[c].size() || planes[c].type() != projection[c].type();
    };
    bool unlike = planes.size() != projection.size();
    for (std::size_t c = 0; c < planes.size() && !unlike; ++c) unlike = unlikeTheFirst(c);
    if (unlike)
      throw ImageError(path + ": z-plane " + std::to_string(plane + 1) + " (page " + std::to_string(pages[0] + 1) +
                       ") is not the size and type of the first z-plane");
    for (std::size_t c = 0; c < planes.size(); ++c) cv::max(projection[c], planes[c], projection[c]);
  }
  return projection;
}

// Splits a decoded image into its channels in RGB order, alpha dropped.
std::vector<cv::Mat> splitChannels(const cv::Mat& pixels) {
  std::vector<cv::Mat> planes;
  cv::split(pixels, planes);
  if (planes.size() >= 3) {
    planes.resize(3);
    std::swap(planes[0], planes[2]);  // BGR -> RGB
  }
  return planes;
}

std::string describe(const cv::Mat& m) { return std::to_string(m.cols) + "x" + std::to_string(m.rows); }

}  // namespace

bool isSupportedImageFile(const std::string& path) {
  auto ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".tif" || ext == ".tiff" || ext == ".jpg" || ext == ".jpeg";
}

RawImage loadImage(const std::string& path, const ImageLimits& limits) {
  std::string bytes;
  try {
    bytes = readWholeFile(path, limits.maxFileBytes);
  } catch (const std::exception& e) {
    throw ImageError(e.what());
  }
  if (bytes.empty()) throw ImageError(path + ": file is empty");
  const Format format = sniffFormat(bytes);
  if (format == Format::Unknown) throw ImageError(path + ": not a PNG, TIFF or JPEG image");
  // libjpeg decodes a cut-off JPEG anyway, greying out the missing rows with only a warning: refuse it instead.
  if (format == Format::Jpeg) {
    const std::size_t tail = std::min<std::size_t>(bytes.size(), 4096);
    if (bytes.find("\xFF\xD9", bytes.size() - tail) == std::string::npos)
      throw ImageError(path + ": truncated JPEG (no end-of-image marker)");
  }
  std::optional<TiffLayout> layout;
  if (format == Format::Tiff) layout = checkedTiffLayout(bytes, path);
  const std::optional<cv::Size> size =
      layout ? cv::Size(static_cast<int>(layout->width), static_cast<int>(layout->height)) : headerSize(bytes, format);
  if (size) {
    const std::int64_t pixels = std::int64_t(size->width) * size->height;
    if (size->width <= 0 || size->height <= 0) throw ImageError(path + ": header declares an empty image");
    if (pixels > limits.maxPixels)
      throw ImageError(path + ": " + std::to_string(size->width) + "x" + std::to_string(size->height) + " is " +
                       std::to_string(pixels) + " pixels, above the limit of " + std::to_string(limits.maxPixels));
  }
  ImageMetadata metadata;
  if (layout)
    metadata = tiffMetadata(*layout);
  else if (format == Format::Png)
    metadata = pngMetadata(bytes);
  // More than one channel page, a z-stack, more samples than OpenCV decodes, samples in separate planes (which OpenCV's
  // decoder misreads), or WhiteIsZero samples (which it may invert): FluoCount's own reader, the values as stored.
  if (metadata.channelPages.size() > 1 || metadata.zPlanes > 1 ||
      (layout && (layout->samplesPerPixel > 4 || layout->separatePlanes ||
                  (layout->whiteIsZero && layout->bitsPerSample >= 8)))) {
    if (metadata.channelPages.empty()) metadata.channelPages = {0};
    const std::int64_t planes = std::int64_t(metadata.channelPages.size()) * std::max<int>(1, layout->samplesPerPixel);
    if (std::int64_t(size->width) * size->height * planes > 4 * limits.maxPixels)
      throw ImageError(path + ": " + std::to_string(planes) + " channels of " + std::to_string(size->width) + "x" +
                       std::to_string(size->height) + " are above the pixel limit");
    const bool writtenByImageJ = layout->description.rfind("ImageJ=", 0) == 0;
    const bool plainPages =
        layout->description.empty() || (!writtenByImageJ && layout->description.find("<OME") == std::string::npos);
    RawImage raw{path,
                 {},
                 projectedChannelPlanes(bytes, metadata, plainPages, path),
                 {},
                 metadata.pixelSize,
                 metadata.notes,
                 std::nullopt,
                 layout->whiteIsZero,
                 writtenByImageJ};
    // One page of three or four samples is a colour image stored plane by plane: the network sees its colours.
    const bool colourPage = metadata.channelPages.size() == 1 && (raw.channels.size() == 3 || raw.channels.size() == 4);
    if (colourPage)
      cv::merge(std::vector<cv::Mat>{raw.channels[2], raw.channels[1], raw.channels[0]}, raw.pixels);
    else
      raw.pixels = raw.channels[0];
    if (raw.channels.size() == 4 && colourPage) raw.channels.pop_back();  // alpha
    for (std::size_t c = 0; c < raw.channels.size(); ++c)
      raw.channelNames.push_back(c < metadata.channelNames.size() && !metadata.channelNames[c].empty()
                                     ? metadata.channelNames[c]
                                     : "ch" + std::to_string(c + 1));
    return raw;
  }
  cv::Mat decoded;
  try {
    decoded = cv::imdecode(cv::Mat(1, static_cast<int>(bytes.size()), CV_8U, bytes.data()), cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    throw ImageError(path + ": cannot decode: " + e.what());
  }
  if (decoded.empty()) throw ImageError(path + ": corrupt or truncated image (decoder failed)");
  if (std::int64_t(decoded.total()) > limits.maxPixels)
    throw ImageError(path + ": " + describe(decoded) + " is above the pixel limit");
  if (decoded.depth() == CV_64F) decoded.convertTo(decoded, CV_32F);
  if (decoded.depth() != CV_8U && decoded.depth() != CV_16U && decoded.depth() != CV_32F)
    throw ImageError(path +
                     ": unsupported sample type (8- and 16-bit unsigned integers and 32-bit floats are "
                     "supported)");
  const int channels = decoded.channels();
  if (channels == 2) {  // gray + alpha: keep gray
    cv::Mat gray;
    cv::extractChannel(decoded, gray, 0);
    decoded = gray;
  } else if (channels != 1 && channels != 3 && channels != 4) {
    throw ImageError(path + ": " + std::to_string(channels) + " channels are not supported (1, 3 or 4 expected)");
  }
  RawImage raw{
      path, decoded, splitChannels(decoded), {}, metadata.pixelSize, metadata.notes, metadata.paletteBackground, false};
  for (std::size_t c = 0; c < raw.channels.size(); ++c) raw.channelNames.push_back("ch" + std::to_string(c + 1));
  return raw;
}

cv::Mat selectChannels(const RawImage& raw, const std::vector<int>& channels) {
  if (channels.empty()) return raw.pixels;
  if (channels.size() != 1 && channels.size() != 3)
    throw ImageError("choose one channel or three (red, green, blue), not " + std::to_string(channels.size()));
  for (const int c : channels)
    if (c < 1 || c > static_cast<int>(raw.channels.size()))
      throw ImageError(raw.path + ": channel " + std::to_string(c) + " was chosen, but the image has " +
                       std::to_string(raw.channels.size()) + " channel" + (raw.channels.size() == 1 ? "" : "s"));
  if (channels.size() == 1) return raw.channels[channels[0] - 1];
  cv::Mat bgr;
  cv::merge(
      std::vector<cv::Mat>{raw.channels[channels[2] - 1], raw.channels[channels[1] - 1], raw.channels[channels[0] - 1]},
      bgr);
  return bgr;
}

std::vector<int> parseChannelList(const std::string& text) {
  std::vector<int> channels;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(start, end - start);
    int value = 0;
    const auto [at, error] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (item.empty() || error != std::errc() || at != item.data() + item.size() || value < 1 || value > 16)
      throw std::invalid_argument("channels must be one number or three, 1 to 16, e.g. 2 or 1,2,3 (got \"" + text +
                                  "\")");
    channels.push_back(value);
    start = end + 1;
  }
  if (channels.size() != 1 && channels.size() != 3)
    throw std::invalid_argument("choose one channel or three (red, green, blue), e.g. 2 or 1,2,3 (got \"" + text +
                                "\")");
  return channels;
}

std::string channelListText(const std::vector<int>& channels) {
  std::string text;
  for (const int c : channels) text += (text.empty() ? "" : ",") + std::to_string(c);
  return text;
}

cv::Mat rawRgb(const cv::Mat& raw) {
  cv::Mat bgr;
  switch (raw.channels()) {
    case 1: cv::cvtColor(raw, bgr, cv::COLOR_GRAY2BGR); break;
    case 3: bgr = raw; break;
    case 4: cv::cvtColor(raw, bgr, cv::COLOR_BGRA2BGR); break;
    default: throw ImageError("cannot normalise an image with " + std::to_string(raw.channels()) + " channels");
  }
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

std::vector<float> finiteSamples(const cv::Mat& floats) {
  CV_Assert(floats.depth() == CV_32F);
  std::vector<float> samples;
  samples.reserve(floats.total() * floats.channels());
  const int samplesPerRow = floats.cols * floats.channels();
  for (int y = 0; y < floats.rows; ++y) {
    const float* row = floats.ptr<float>(y);
    for (int x = 0; x < samplesPerRow; ++x)
      if (std::isfinite(row[x])) samples.push_back(row[x]);
  }
  return samples;
}

namespace {

// The percentile stretch of a float image: the same rank as the 16-bit histogram's (the smallest value with at
// least p % of the samples at or below it), over the finite samples.
std::pair<double, double> floatPercentileRange(const cv::Mat& rgb, const NormalisationSettings& settings) {
  std::vector<float> samples = finiteSamples(rgb);
  if (samples.empty()) return {0.0, 1.0};
  const auto percentile = [&](double p) {
    const double wanted = static_cast<double>(samples.size()) * p / 100.0;
    const std::size_t rank = std::min(samples.size(), std::max<std::size_t>(1, std::size_t(std::ceil(wanted)))) - 1;
    std::nth_element(samples.begin(), samples.begin() + std::ptrdiff_t(rank), samples.end());
    return double(samples[rank]);
  };
  const double low = percentile(settings.lowPercentile), high = percentile(settings.highPercentile);
  if (high > low) return {low, high};
  const auto [lowest, highest] = std::minmax_element(samples.begin(), samples.end());
  if (*highest > *lowest) return {*lowest, *highest};
  return {0.0, 1.0};
}

}  // namespace

std::pair<double, double> normalisationRange(const cv::Mat& rgb, const NormalisationSettings& settings) {
  if (rgb.depth() == CV_8U) return {0.0, 255.0};
  if (rgb.depth() == CV_32F) return floatPercentileRange(rgb, settings);
  // 16-bit: robust stretch between two percentiles of all samples, from a full-resolution histogram.
  std::vector<std::uint64_t> histogram(65536, 0);
  const int samplesPerRow = rgb.cols * rgb.channels();
  for (int y = 0; y < rgb.rows; ++y) {
    const auto* row = rgb.ptr<std::uint16_t>(y);
    for (int x = 0; x < samplesPerRow; ++x) ++histogram[row[x]];
  }
  const double total = static_cast<double>(rgb.total()) * rgb.channels();
  auto percentile = [&](double p) {
    const double wanted = total * p / 100.0;
    double cumulative = 0;
    for (int v = 0; v < 65536; ++v) {
      cumulative += static_cast<double>(histogram[v]);
      if (cumulative >= wanted && cumulative > 0) return v;
    }
    return 65535;
  };
  const double low = percentile(settings.lowPercentile);
  const double high = percentile(settings.highPercentile);
  if (high <= low) return {0.0, 65535.0};
  return {low, high};
}

cv::Mat normaliseRgb(const cv::Mat& rgb, std::pair<double, double> range) {
  const auto [low, high] = range;
  cv::Mat out;
  rgb.convertTo(out, CV_32F, 1.0 / (high - low), -low / (high - low));
  if (rgb.depth() == CV_32F) cv::patchNaNs(out, 0.0);
  if (rgb.depth() != CV_8U) cv::min(cv::max(out, 0.0), 1.0, out);
  return out;
}

cv::Mat normaliseToRgb(const cv::Mat& raw, const NormalisationSettings& settings) {
  const cv::Mat rgb = rawRgb(raw);
  return normaliseRgb(rgb, normalisationRange(rgb, settings));
}

cv::Mat intensityOf(const cv::Mat& rgb) {
  cv::Mat gray;
  cv::transform(rgb, gray, cv::Matx13f(1.f / 3, 1.f / 3, 1.f / 3));
  return gray;
}

cv::Mat loadMask(const std::string& path, cv::Size expectedSize, const std::string& imagePath,
                 const ImageLimits& limits) {
  const RawImage raw = loadImage(path, limits);
  cv::Mat gray = raw.pixels;
  // A palette PNG's cells are its non-zero indices, as ImageJ reads them, whatever colours its palette shows:
  // everything not drawn in index 0's colour.
  if (raw.paletteBackground && gray.channels() >= 3) {
    cv::Mat colour = gray;
    if (colour.channels() == 4) cv::cvtColor(colour, colour, cv::COLOR_BGRA2BGR);
    cv::inRange(colour, *raw.paletteBackground, *raw.paletteBackground, gray);
    cv::bitwise_not(gray, gray);
  }
  if (gray.channels() != 1) {
    std::vector<cv::Mat> planes;
    cv::split(gray, planes);
    gray = planes[0];
    for (std::size_t i = 1; i < std::min<std::size_t>(planes.size(), 3); ++i) cv::max(gray, planes[i], gray);
  }
  if (!expectedSize.empty() && gray.size() != expectedSize)
    throw ImageError("mask " + path + " is " + describe(gray) + " but image " + imagePath + " is " +
                     std::to_string(expectedSize.width) + "x" + std::to_string(expectedSize.height));
  cv::Mat mask = gray != 0;
  // A WhiteIsZero TIFF can be meant either way: Fiji stores a mask's cells as 255 (shown black), other writers store
  // the cells they show white as 0. ImageJ's own files say which they are, and are read by their values, as ImageJ
  // reads them (a mask more than half cells included). For any other writer's, cells are the smaller part of a mask,
  // so the smaller reading is taken.
  if (raw.whiteIsZero && !raw.writtenByImageJ) {
    double lowest = 0, highest = 0;
    cv::minMaxLoc(gray, &lowest, &highest);
    const cv::Mat inverse = gray != highest;
    if (highest > lowest && cv::countNonZero(inverse) < cv::countNonZero(mask)) mask = inverse;
  }
  return mask;
}

cv::Mat loadLabels(const std::string& path, const ImageLimits& limits) {
  const RawImage raw = loadImage(path, limits);
  if (raw.pixels.channels() != 1) throw ImageError(path + ": a label image must have one channel");
  cv::Mat labels;
  raw.pixels.convertTo(labels, CV_32S);
  return labels;
}

}  // namespace fluocount
