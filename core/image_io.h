#pragma once
// Reading micrographs and masks. PNG, TIFF and JPEG; 8- or 16-bit; 1, 3 or 4 channels. Every failure throws
// ImageError with a message that names the file and says what is wrong.
#include "core/settings.h"

#include <opencv2/core.hpp>

#include <stdexcept>
#include <string>

namespace fluocount {

class ImageError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct ImageLimits {
  std::int64_t maxPixels = 200'000'000;          // checked from the file header, before decoding
  std::size_t maxFileBytes = std::size_t(2) << 30;
};

struct RawImage {
  std::string path;
  cv::Mat pixels;  // as decoded: CV_8U or CV_16U, 1, 3 (BGR) or 4 (BGRA) channels
  int bitDepth() const { return pixels.depth() == CV_16U ? 16 : 8; }
};

RawImage loadImage(const std::string& path, const ImageLimits& limits = {});

// METHOD.md section 1: float RGB in [0,1] (CV_32FC3). 8-bit: /255; 16-bit: percentile stretch per image; gray is
// replicated to three channels and alpha is dropped.
cv::Mat normaliseToRgb(const cv::Mat& raw, const NormalisationSettings& settings);

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
