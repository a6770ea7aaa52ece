#pragma once
// What a TIFF file declares about its first image, read by libtiff (the same reader OpenCV decodes with) before
// anything is decoded, so that a hostile or broken header is refused with a clear message instead of making the
// decoder allocate gigabytes; and the planes of multi-page or many-sample TIFFs (ImageJ hyperstacks, OME-TIFF),
// which OpenCV's decoder does not give.
#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace fluocount {

struct TiffLayout {
  std::uint32_t width = 0, height = 0;
  std::uint32_t blockWidth = 0, blockHeight = 0;  // one strip (width x rows per strip) or one tile
  bool tiled = false;
  std::uint16_t bitsPerSample = 0, samplesPerPixel = 0;

  // Resolution as the file states it: pixels per resolutionUnit (1 none, 2 inch, 3 centimetre); 0 when absent.
  double xResolution = 0, yResolution = 0;
  std::uint16_t resolutionUnit = 0;
  std::string description;      // ImageDescription: ImageJ's and OME-XML metadata live here
  int pages = 1;                // images in the main chain of directories
  bool separatePlanes = false;  // samples stored plane after plane (PlanarConfiguration 2)
  // PhotometricInterpretation WhiteIsZero: how ImageJ saves an 8-bit image with an inverting LUT (a binary mask with
  // "Black background" off, cells 255 shown black). The values are what counts, as ImageJ measures them; OpenCV's
  // decoder inverts some such files (those it decodes as RGBA) and not others.
  bool whiteIsZero = false;

  // Bytes OpenCV's TIFF decoder allocates for one strip or tile (it reads 8-bit images as RGBA, others as they are)
  std::uint64_t decoderBlockBytes() const;
};

// Reads the first directory of the TIFF in bytes. Throws std::runtime_error with libtiff's reason when it cannot
// be read.
TiffLayout readTiffLayout(const std::string& bytes);

// The samples of the given pages (0-based directory indices), each page's samples in order, as single-channel
// CV_8U or CV_16U images. Every page must have the first page's size and bit depth, unsigned integer samples, and
// no more than maxSamplesPerPage samples. Throws std::runtime_error naming the page and what is wrong.
std::vector<cv::Mat> readTiffPlanes(const std::string& bytes, const std::vector<int>& pages,
                                    int maxSamplesPerPage = 16);

}  // namespace fluocount
