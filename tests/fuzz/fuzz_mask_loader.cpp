// libFuzzer target: the mask loader, with and without an expected size. Loads (as a 0/255 binary mask) or fails
// with an ImageError. And the mask origin chunk's reader and writer on the same bytes.
#include "core/image_io.h"
#include "core/mask_origin.h"
#include "tests/fuzz/fuzz_file.h"

#include <opencv2/core.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const char* const names[] = {"mask.png", "mask.tif"};
  const std::string path = fluocount::fuzz::writeInput(names[data[0] % 2], data + 1, size - 1);
  const cv::Size expected = data[0] & 4 ? cv::Size(64, 64) : cv::Size();
  try {
    const cv::Mat mask = fluocount::loadMask(path, expected, "image.png", {4'000'000, 64u << 20});
    if (mask.type() != CV_8U || (!expected.empty() && mask.size() != expected)) std::abort();
    if (cv::countNonZero((mask != 0) & (mask != 255)) != 0) std::abort();
  } catch (const fluocount::ImageError&) {}
  // The origin a mask file declares (core/mask_origin.h): read from any bytes without failing, and set and taken
  // out again exactly.
  const std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  if (fluocount::maskOriginOfFile(path) != fluocount::maskOriginOfPng(bytes)) std::abort();
  const std::string drawn = fluocount::withMaskOrigin(bytes, fluocount::MaskOrigin::Drawn);
  if (fluocount::maskOriginOfPng(drawn) != fluocount::MaskOrigin::Drawn) std::abort();
  const std::string outlined = fluocount::withMaskOrigin(drawn, fluocount::MaskOrigin::OutlinedFromMarks);
  if (fluocount::withMaskOrigin(outlined, fluocount::MaskOrigin::Drawn) != drawn) std::abort();
  return 0;
}
