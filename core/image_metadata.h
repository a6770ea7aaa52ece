#pragma once
// What an image file says about itself beyond its pixels: the physical size of a pixel and, for multi-channel
// TIFFs, which pages hold the channels of the first plane and time point. Read from TIFF resolution tags, ImageJ's
// TIFF description (unit=, channels=, slices=, frames=), OME-XML (PhysicalSizeX, SizeC/SizeZ/SizeT,
// DimensionOrder, Channel names) and PNG's pHYs chunk. A declaration no microscope makes (the 72 dpi an image
// editor writes, a pixel size of 0) is not used: it becomes a note, and the image stays in pixels.
#include "core/tiff_layout.h"

#include <optional>
#include <string>
#include <vector>

namespace fluocount {

// Plausible microscope pixel sizes, µm per pixel: from a super-resolution 5 nm to a 100 µm macro scan.
constexpr double kMinPixelSizeUm = 0.005;
constexpr double kMaxPixelSizeUm = 100.0;

struct PixelSize {
  double micrometres = 0;  // µm per pixel (square pixels: a file that declares others gets none)
  std::string source;      // where it came from: "TIFF resolution", "ImageJ", "OME-XML", "PNG pHYs", "--pixel-size"
};

struct ImageMetadata {
  std::optional<PixelSize> pixelSize;
  std::vector<int> channelPages;          // TIFF pages (0-based) of channel 1, 2, ...; empty: one page
  std::vector<std::string> channelNames;  // when the file names its channels (OME-XML), else empty
  std::vector<std::string> notes;         // declarations not used, and why
  // A z-stack (an ImageJ stack's slices, an OME-TIFF's z-planes): plane k of the channel whose first plane is on page
  // p is on page p + k * zPageStride. loadImage counts the maximum intensity projection of the zPlanes planes.
  int zPlanes = 1;
  int zPageStride = 0;
  bool nonSquarePixels = false;  // the file declares pixels clearly not square: no pixelSize is used
  // A palette PNG's colour of index 0, as a decoder returns it (BGR). ImageJ saves a binary mask with an inverting
  // LUT (Process > Binary with "Black background" off, its default) as such a PNG: cells are index 255 drawn black,
  // the background index 0 drawn white, so the decoded colours are the mask inverted.
  std::optional<cv::Vec3b> paletteBackground;
};

// The metadata of a TIFF from its first directory.
ImageMetadata tiffMetadata(const TiffLayout& layout);
// The pixel size a PNG's pHYs chunk states in pixels per metre.
ImageMetadata pngMetadata(const std::string& bytes);

// A pixel size given by a user (a CLI option, a folder's setting), checked: a finite number in the plausible range,
// else std::invalid_argument naming `what` and the value.
PixelSize checkedUserPixelSize(double micrometres, const std::string& what);

}  // namespace fluocount
