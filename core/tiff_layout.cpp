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

TiffLayout readTiffLayout(const std::string& bytes) {
  MemoryFile file{bytes, 0, {}};
  std::unique_ptr<TIFFOpenOptions, void (*)(TIFFOpenOptions*)> options(TIFFOpenOptionsAlloc(), TIFFOpenOptionsFree);
  TIFFOpenOptionsSetMaxSingleMemAlloc(options.get(), tmsize_t(64) << 20);  // a directory needs far less
  TIFFOpenOptionsSetErrorHandlerExtR(options.get(), keepFirstError, &file);
  TIFFOpenOptionsSetWarningHandlerExtR(options.get(), ignoreWarning, &file);
  std::unique_ptr<TIFF, void (*)(TIFF*)> tiff(
      TIFFClientOpenExt("image", "rm", &file, readMemory, refuseWrite, seekMemory, closeMemory, sizeOfMemory,
                        noMapping, noUnmapping, options.get()),
      TIFFClose);
  if (!tiff) throw std::runtime_error(file.firstError.empty() ? "not a readable TIFF" : file.firstError);

  TiffLayout layout;
  TIFF* t = tiff.get();
  TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &layout.width);
  TIFFGetField(t, TIFFTAG_IMAGELENGTH, &layout.height);
  TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &layout.bitsPerSample);
  TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &layout.samplesPerPixel);
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
  return layout;
}

}  // namespace fluocount
