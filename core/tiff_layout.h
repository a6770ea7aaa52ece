#pragma once
// What a TIFF file declares about its first image, read by libtiff (the same reader OpenCV decodes with) before
// anything is decoded, so that a hostile or broken header is refused with a clear message instead of making the
// decoder allocate gigabytes.
#include <cstdint>
#include <string>

namespace fluocount {

struct TiffLayout {
  std::uint32_t width = 0, height = 0;
  std::uint32_t blockWidth = 0, blockHeight = 0;  // one strip (width x rows per strip) or one tile
  bool tiled = false;
  std::uint16_t bitsPerSample = 0, samplesPerPixel = 0;

  // Bytes OpenCV's TIFF decoder allocates for one strip or tile (it reads 8-bit images as RGBA, others as they are)
  std::uint64_t decoderBlockBytes() const;
};

// Reads the first directory of the TIFF in bytes. Throws std::runtime_error with libtiff's reason when it cannot
// be read.
TiffLayout readTiffLayout(const std::string& bytes);

}  // namespace fluocount
