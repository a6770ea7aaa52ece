#pragma once
// Reading micrographs and masks. PNG, TIFF and JPEG; 8- or 16-bit integers, or 32-bit floats (TIFF: what Fiji's
// average and sum projections save); 1, 3 or 4 channels, and multi-channel TIFFs
// (ImageJ hyperstacks, OME-TIFF, plain multi-page or many-sample TIFFs) with up to 16 channels. Every failure throws
// ImageError with a message that names the file and says what is wrong.
#include "core/image_metadata.h"
#include "core/settings.h"

#include <opencv2/core.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace fluocount {

class ImageError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct ImageLimits {
  std::int64_t maxPixels = 200'000'000;  // checked from the file header, before decoding
  std::size_t maxFileBytes = std::size_t(2) << 30;
};

// Bumped whenever loadImage reads some file differently (other pixels, channels or pixel size), so that a result
// saved from an earlier reading is not taken for one of this reading: it is part of every image stamp
// (core/count_journal.h imageStamp, the app's saved slides). 2 (2026-12-06): z-stacks as their maximum projection.
constexpr int kImageReaderVersion = 2;

struct RawImage {
  std::string path;
  // What the network sees by default: CV_8U, CV_16U or CV_32F (any real values, NaN included), 1, 3 (BGR) or 4
  // (BGRA) channels as decoded; for a multi-channel TIFF, its first channel.
  cv::Mat pixels;
  // Every channel as one plane of that depth, in the file's order: an RGB file's red, green and blue (alpha
  // dropped), a gray file's one, a multi-channel TIFF's channels of its first plane and time point.
  std::vector<cv::Mat> channels;
  std::vector<std::string> channelNames;  // "ch1", "ch2", ... unless the file names them
  std::optional<PixelSize> pixelSize;     // as the file declares it
  std::vector<std::string> notes;         // what the file declares that was not used, and why
  // A palette PNG's colour of index 0 (BGR, as decoded): its background, as ImageJ reads a mask (loadMask).
  std::optional<cv::Vec3b> paletteBackground;
  // A TIFF of PhotometricInterpretation WhiteIsZero: `pixels` holds the values as stored, as ImageJ measures them
  // (ImageJ writes an image with an inverting LUT so); other writers store the inverse of what they mean.
  bool whiteIsZero = false;
  // ImageJ (or Fiji) wrote the TIFF (its ImageDescription starts "ImageJ="): its values mean what ImageJ measures.
  bool writtenByImageJ = false;
  // 8, 16, or 32 for floating-point samples.
  int bitDepth() const { return pixels.depth() == CV_32F ? 32 : pixels.depth() == CV_16U ? 16 : 8; }
};

RawImage loadImage(const std::string& path, const ImageLimits& limits = {});

// The image the network sees for a choice of channels (1-based): none, the default (pixels); one, that channel as
// gray; three, those channels as red, green and blue. A channel the image lacks, or another number of channels, is
// an ImageError naming the file.
cv::Mat selectChannels(const RawImage& raw, const std::vector<int>& channels);
// "2" or "1,2,3"; throws std::invalid_argument for anything else (0, repeats allowed only as R,G,B).
std::vector<int> parseChannelList(const std::string& text);
std::string channelListText(const std::vector<int>& channels);

// docs/method.md section 1: float RGB in [0,1] (CV_32FC3). 8-bit: /255; 16-bit and float: percentile stretch per
// image (a float image's NaN and infinite samples ignored there, then shown as 0 and clamped); gray is
// replicated to three channels and alpha is dropped.
cv::Mat normaliseToRgb(const cv::Mat& raw, const NormalisationSettings& settings);

// normaliseToRgb in its three steps, for a caller that also shows the raw values (the app's display range):
// the raw pixels as RGB, depth kept (gray replicated, alpha dropped);
cv::Mat rawRgb(const cv::Mat& raw);
// the raw values that become 0 and 1: 0 and 255 for 8-bit; for 16-bit the two percentiles of all samples (0 and
// 65535 where they coincide, a flat image); for float the same percentiles of the finite samples (the lowest and
// highest, or 0 and 1, where they coincide);
std::pair<double, double> normalisationRange(const cv::Mat& rgb, const NormalisationSettings& settings);
// and the mapping itself, clamped to [0,1].
cv::Mat normaliseRgb(const cv::Mat& rgb, std::pair<double, double> range);

// The finite samples of a float image (CV_32F, any channels), in raw order: NaN and infinities left out.
std::vector<float> finiteSamples(const cv::Mat& floats);

// Mean of the three channels of a normalised image (CV_32F): the intensity objects are measured on.
cv::Mat intensityOf(const cv::Mat& rgb);

// A binary mask (CV_8U, 0 or 255; any non-zero pixel is a cell). When expectedSize is not empty a different size
// is an error naming both files.
cv::Mat loadMask(const std::string& path, cv::Size expectedSize = {}, const std::string& imagePath = {},
                 const ImageLimits& limits = {});

// Instance labels (CV_32S) from a 16-bit or 8-bit label image (0 = background).
cv::Mat loadLabels(const std::string& path, const ImageLimits& limits = {});

bool isSupportedImageFile(const std::string& path);

}  // namespace fluocount
