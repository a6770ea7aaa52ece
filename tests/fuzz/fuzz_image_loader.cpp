// libFuzzer target: the image loader (PNG, TIFF, JPEG; the first byte picks the file name's extension). Any input
// must load or fail with an ImageError; anything else (a crash, a sanitizer report, another exception) is a bug.
#include "core/image_io.h"
#include "tests/fuzz/fuzz_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const char* const names[] = {"slide.png", "slide.tif", "slide.jpg"};
  const std::string path = fluocount::fuzz::writeInput(names[data[0] % 3], data + 1, size - 1);
  try {
    // Small limits keep each run fast; a header that declares more pixels must be refused before decoding.
    const fluocount::RawImage image = fluocount::loadImage(path, {4'000'000, 64u << 20});
    const cv::Mat rgb = fluocount::normaliseToRgb(image.pixels, {});
    if (rgb.size() != image.pixels.size() || rgb.type() != CV_32FC3) std::abort();
  } catch (const fluocount::ImageError&) {}
  return 0;
}
