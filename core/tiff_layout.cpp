#include "core/tiff_layout.h"

#include <tiffio.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>

namespace fluocount {
namespace {

// libtiff reads from this in-memory file through the client procedures below.
struct MemoryFile {
  const std::string& bytes;
  std::uint64_t position = 0;
  std::string firstError;
};

tmsize_t readMemory(thandle_t handle, void* buffer, tmsize_t size) {
  auto* file = static_cast<MemoryFile*>(handle);
  if (size < 0 || file->position >= file->bytes.size()) return 0;
  const auto n = std::min<std::uint64_t>(static_cast<std::uint64_t>(size), file->bytes.size() - file->position);
  std::memcpy(buffer, file->bytes.data() + file->position, n);
  file->position += n;
  return static_cast<tmsize_t>(n);
}

tmsize_t refuseWrite(thandle_t, void*, tmsize_t) { return -1; }

toff_t seekMemory(thandle_t handle, toff_t offset, int whence) {
  auto* file = static_cast<MemoryFile*>(handle);
  const std::uint64_t base = whence == SEEK_CUR ? file->position : whence == SEEK_END ? file->bytes.size() : 0;
  if (offset > std::numeric_limits<std::uint64_t>::max() - base) return static_cast<toff_t>(-1);
  file->position = base + offset;
  return file->position;
}

int closeMemory(thandle_t) { return 0; }
toff_t sizeOfMemory(thandle_t handle) { return static_cast<MemoryFile*>(handle)->bytes.size(); }
int noMapping(thandle_t, void**, toff_t*) { return 0; }
void noUnmapping(thandle_t, void*, toff_t) {}

int keepFirstError(TIFF*, void* handle, const char*, const char* format, va_list args) {
  auto* file = static_cast<MemoryFile*>(handle);
  if (file->firstError.empty()) {
    char message[512];
    std::vsnprintf(message, sizeof message, format, args);
    file->firstError = message;
  }
  return 1;  // handled: libtiff prints nothing
}

int ignoreWarning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

}  // namespace

std::uint64_t TiffLayout::decoderBlockBytes() const {
  const bool readAsRgba = bitsPerSample <= 8;
  const std::uint64_t bytesPerPixel = readAsRgba ? 4 : std::uint64_t(bitsPerSample / 8) * samplesPerPixel;
  return bytesPerPixel * blockWidth * blockHeight;
}

namespace {

// An open in-memory TIFF; libtiff reports through file.firstError.
class OpenTiff {
public:
  explicit OpenTiff(const std::string& bytes) : file_{bytes, 0, {}}, tiff_(nullptr, TIFFClose) {
    std::unique_ptr<TIFFOpenOptions, void (*)(TIFFOpenOptions*)> options(TIFFOpenOptionsAlloc(), TIFFOpenOptionsFree);
    TIFFOpenOptionsSetMaxSingleMemAlloc(options.get(), tmsize_t(64) << 20);  // a directory needs far less
    TIFFOpenOptionsSetErrorHandlerExtR(options.get(), keepFirstError, &file_);
    TIFFOpenOptionsSetWarningHandlerExtR(options.get(), ignoreWarning, &file_);
    tiff_.reset(TIFFClientOpenExt("image", "rm", &file_, readMemory, refuseWrite, seekMemory, closeMemory, sizeOfMemory,
                                  noMapping, noUnmapping, options.get()));
    if (!tiff_) throw std::runtime_error(file_.firstError.empty() ? "not a readable TIFF" : file_.firstError);
  }
  TIFF* get() const { return tiff_.get(); }
  std::string lastError(const std::string& fallback) const {
    return file_.firstError.empty() ? fallback : file_.firstError;
  }

private:
  MemoryFile file_;
  std::unique_ptr<TIFF, void (*)(TIFF*)> tiff_;
};

}  // namespace

TiffLayout readTiffLayout(const std::string& bytes) {
  const OpenTiff tiff(bytes);
  TiffLayout layout;
  TIFF* t = tiff.get();
  TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &layout.width);
  TIFFGetField(t, TIFFTAG_IMAGELENGTH, &layout.height);
  TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &layout.bitsPerSample);
  TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &layout.samplesPerPixel);
  std::uint16_t photometric = PHOTOMETRIC_MINISBLACK;
  layout.whiteIsZero = TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &photometric) && photometric == PHOTOMETRIC_MINISWHITE;
  layout.tiled = TIFFIsTiled(t) != 0;
  layout.blockWidth = layout.width;
  if (layout.tiled) {
    TIFFGetField(t, TIFFTAG_TILEWIDTH, &layout.blockWidth);
    TIFFGetField(t, TIFFTAG_TILELENGTH, &layout.blockHeight);
  } else {
    TIFFGetField(t, TIFFTAG_ROWSPERSTRIP, &layout.blockHeight);
    // As OpenCV does: "no rows per strip" or the "one strip" marker mean the whole height; any other value is
    // taken as it stands, however much larger than the image it is.
    if (layout.blockHeight == std::numeric_limits<std::uint32_t>::max()) layout.blockHeight = layout.height;
  }
  if (layout.blockWidth == 0) layout.blockWidth = layout.width;
  if (layout.blockHeight == 0) layout.blockHeight = layout.height;
  float xResolution = 0, yResolution = 0;
  if (TIFFGetField(t, TIFFTAG_XRESOLUTION, &xResolution)) layout.xResolution = xResolution;
  if (TIFFGetField(t, TIFFTAG_YRESOLUTION, &yResolution)) layout.yResolution = yResolution;
  TIFFGetFieldDefaulted(t, TIFFTAG_RESOLUTIONUNIT, &layout.resolutionUnit);
  const char* description = nullptr;
  if (TIFFGetField(t, TIFFTAG_IMAGEDESCRIPTION, &description) && description)
    layout.description.assign(description, strnlen(description, std::size_t(1) << 20));
  std::uint16_t planar = PLANARCONFIG_CONTIG;
  TIFFGetFieldDefaulted(t, TIFFTAG_PLANARCONFIG, &planar);
  layout.separatePlanes = planar == PLANARCONFIG_SEPARATE && layout.samplesPerPixel > 1;
  layout.pages = static_cast<int>(std::min<tdir_t>(TIFFNumberOfDirectories(t), 100000));
  return layout;
}

namespace {

struct PageFormat {
  std::uint32_t width = 0, height = 0;
  std::uint16_t bits = 0, samples = 0, planar = PLANARCONFIG_CONTIG, sampleFormat = SAMPLEFORMAT_UINT, photometric = 0;
};

PageFormat pageFormat(TIFF* t) {
  PageFormat f;
  TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &f.width);
  TIFFGetField(t, TIFFTAG_IMAGELENGTH, &f.height);
  TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &f.bits);
  TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &f.samples);
  TIFFGetFieldDefaulted(t, TIFFTAG_PLANARCONFIG, &f.planar);
  TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLEFORMAT, &f.sampleFormat);
  TIFFGetFieldDefaulted(t, TIFFTAG_PHOTOMETRIC, &f.photometric);
  return f;
}

// Copies one decoded strip or tile (rows x columns of `samplesInBlock` interleaved samples, `stride` samples per
// row) into the planes, starting at (x0, y0) and the plane `firstPlane`.
template <typename Sample>
void scatterBlock(const std::vector<unsigned char>& block, int rows, int columns, int stride, int samplesInBlock,
                  int x0, int y0, std::vector<cv::Mat>& planes, int firstPlane) {
  const auto* samples = reinterpret_cast<const Sample*>(block.data());
  for (int r = 0; r < rows; ++r) {
    const Sample* row = samples + std::size_t(r) * stride;
    for (int s = 0; s < samplesInBlock; ++s) {
      Sample* out = planes[firstPlane + s].ptr<Sample>(y0 + r) + x0;
      for (int c = 0; c < columns; ++c) out[c] = row[std::size_t(c) * samplesInBlock + s];
    }
  }
}

void readPage(TIFF* t, const PageFormat& f, std::vector<cv::Mat>& planes, int firstPlane) {
  const int bytesPerSample = f.bits / 8;
  const bool separate = f.planar == PLANARCONFIG_SEPARATE && f.samples > 1;
  const int samplesInBlock = separate ? 1 : f.samples;
  std::uint32_t blockWidth = f.width, blockHeight = 0;
  const bool tiled = TIFFIsTiled(t) != 0;
  if (tiled) {
    TIFFGetField(t, TIFFTAG_TILEWIDTH, &blockWidth);
    TIFFGetField(t, TIFFTAG_TILELENGTH, &blockHeight);
  } else {
    TIFFGetFieldDefaulted(t, TIFFTAG_ROWSPERSTRIP, &blockHeight);
    blockHeight = std::min(blockHeight, f.height);
  }
  if (blockWidth == 0 || blockHeight == 0) throw std::runtime_error("strips or tiles of no size");
  const std::uint64_t blockBytes = std::uint64_t(blockWidth) * blockHeight * samplesInBlock * bytesPerSample;
  const std::uint64_t imageBytes = std::uint64_t(f.width) * f.height * f.samples * bytesPerSample;
  if (blockBytes > 4 * imageBytes + (std::uint64_t(1) << 20))
    throw std::runtime_error("strips or tiles larger than the image");
  std::vector<unsigned char> block(blockBytes);
  for (int sample = 0; sample < (separate ? f.samples : 1); ++sample) {
    for (std::uint32_t y = 0; y < f.height; y += blockHeight) {
      for (std::uint32_t x = 0; x < (tiled ? f.width : 1); x += blockWidth) {
        const tmsize_t read = tiled
                                  ? TIFFReadEncodedTile(t, TIFFComputeTile(t, x, y, 0, static_cast<tsample_t>(sample)),
                                                        block.data(), static_cast<tmsize_t>(block.size()))
                                  : TIFFReadEncodedStrip(t, TIFFComputeStrip(t, y, static_cast<tsample_t>(sample)),
                                                         block.data(), static_cast<tmsize_t>(block.size()));
        if (read < 0) throw std::runtime_error("corrupt image data");
        const int rows = static_cast<int>(std::min<std::uint32_t>(blockHeight, f.height - y));
        const int columns = static_cast<int>(std::min<std::uint32_t>(blockWidth, f.width - x));
        const int stride = static_cast<int>(blockWidth) * samplesInBlock;
        if (bytesPerSample == 1)
          scatterBlock<std::uint8_t>(block, rows, columns, stride, samplesInBlock, int(x), int(y), planes,
                                     firstPlane + sample);
        else if (bytesPerSample == 4)
          scatterBlock<float>(block, rows, columns, stride, samplesInBlock, int(x), int(y), planes,
                              firstPlane + sample);
        else
          scatterBlock<std::uint16_t>(block, rows, columns, stride, samplesInBlock, int(x), int(y), planes,
                                      firstPlane + sample);
      }
    }
  }
}

}  // namespace

std::vector<cv::Mat> readTiffPlanes(const std::string& bytes, const std::vector<int>& pages, int maxSamplesPerPage) {
  const OpenTiff tiff(bytes);
  TIFF* t = tiff.get();
  std::vector<cv::Mat> planes;
  PageFormat first;
  for (std::size_t i = 0; i < pages.size(); ++i) {
    const std::string page = "page " + std::to_string(pages[i] + 1);
    if (pages[i] < 0 || !TIFFSetDirectory(t, static_cast<tdir_t>(pages[i])))
      throw std::runtime_error(page + " cannot be read (" + tiff.lastError("no such page") + ")");
    const PageFormat f = pageFormat(t);
    if (i == 0) first = f;
    const bool floats = f.sampleFormat == SAMPLEFORMAT_IEEEFP;
    if (floats ? f.bits != 32 : f.bits != 8 && f.bits != 16)
      throw std::runtime_error(page + " has " + std::to_string(f.bits) + "-bit " + (floats ? "floating-point " : "") +
                               "samples (8- or 16-bit unsigned integers, or 32-bit floats, expected)");
    if (f.sampleFormat != SAMPLEFORMAT_UINT && !floats)
      throw std::runtime_error(page + " holds signed samples (unsigned integers or floats expected)");
    if (f.photometric == PHOTOMETRIC_PALETTE || f.photometric == PHOTOMETRIC_YCBCR)
      throw std::runtime_error(page + " is a palette or YCbCr image");
    if (f.samples < 1 || f.samples > maxSamplesPerPage)
      throw std::runtime_error(page + " has " + std::to_string(f.samples) + " samples per pixel");
    if (f.width != first.width || f.height != first.height || f.bits != first.bits ||
        f.sampleFormat != first.sampleFormat)
      throw std::runtime_error(page + " is " + std::to_string(f.width) + "x" + std::to_string(f.height) + " " +
                               std::to_string(f.bits) + "-bit, page " + std::to_string(pages[0] + 1) + " " +
                               std::to_string(first.width) + "x" + std::to_string(first.height) + " " +
                               std::to_string(first.bits) + "-bit");
    if (f.width == 0 || f.height == 0 || f.width > 1u << 30 || f.height > 1u << 30)
      throw std::runtime_error(page + " has no plausible size");
    const int firstPlane = static_cast<int>(planes.size());
    for (int s = 0; s < f.samples; ++s)
      planes.emplace_back(static_cast<int>(f.height), static_cast<int>(f.width),
                          floats        ? CV_32F
                          : f.bits == 8 ? CV_8U
                                        : CV_16U,
                          cv::Scalar(0));
    readPage(t, f, planes, firstPlane);
  }
  return planes;
}

}  // namespace fluocount
