#include "core/mask_origin.h"

#include "core/atomic_file.h"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <optional>

namespace fluocount {

namespace {

const std::string kPngSignature("\x89PNG\r\n\x1a\n", 8);
// A tEXt chunk's keyword and text (Latin-1, here plain ASCII): what `pngcheck -t` or exiftool show.
const std::string kKeyword = "FluoCount mask origin";
const std::string kOutlinedFromMarks = "outlined from a count by hand; not reviewed";
constexpr std::size_t kChunkOverhead = 12;  // length, type, CRC
constexpr std::uint32_t kLongestTextWeRead = 1024;

std::uint32_t bigEndian(const char* bytes) {
  const auto* b = reinterpret_cast<const unsigned char*>(bytes);
  return std::uint32_t(b[0]) << 24 | std::uint32_t(b[1]) << 16 | std::uint32_t(b[2]) << 8 | std::uint32_t(b[3]);
}

std::string bigEndianBytes(std::uint32_t value) {
  return {char(value >> 24), char(value >> 16), char(value >> 8), char(value)};
}

std::string originChunk() {
  const std::string typeAndData = "tEXt" + kKeyword + '\0' + kOutlinedFromMarks;
  return bigEndianBytes(std::uint32_t(typeAndData.size() - 4)) + typeAndData +
         bigEndianBytes(crc32(typeAndData.data(), typeAndData.size()));
}

// A whole chunk (length, type, data, CRC) is FluoCount's origin chunk.
bool isOriginChunk(const std::string& chunk) {
  if (chunk.size() < kChunkOverhead || chunk.compare(4, 4, "tEXt") != 0) return false;
  const std::string data = chunk.substr(8, chunk.size() - kChunkOverhead);
  return data == kKeyword + '\0' + kOutlinedFromMarks &&
         bigEndian(chunk.data() + chunk.size() - 4) == crc32(chunk.data() + 4, chunk.size() - 8);
}

// Walks the chunks before the image data, calling `visit` with each one's type, offset and whole size, until it
// returns false. Reads through `readAt` (offset, size -> bytes, shorter at the end), so that a file need not be
// read whole.
template <typename Read, typename Visit>
void walkChunksBeforeImageData(Read readAt, Visit visit) {
  if (readAt(0, kPngSignature.size()) != kPngSignature) return;
  std::uint64_t offset = kPngSignature.size();
  for (;;) {
    const std::string header = readAt(offset, 8);
    if (header.size() < 8) return;
    const std::string type = header.substr(4, 4);
    if (type == "IDAT" || type == "IEND") return;
    const std::uint64_t size = std::uint64_t(bigEndian(header.data())) + kChunkOverhead;
    if (!visit(type, offset, size)) return;
    offset += size;
  }
}

template <typename Read>
bool isOriginChunkAt(Read readAt, const std::string& type, std::uint64_t offset, std::uint64_t size) {
  return type == "tEXt" && size <= kLongestTextWeRead && isOriginChunk(readAt(offset, std::size_t(size)));
}

template <typename Read>
MaskOrigin originOf(Read readAt) {
  MaskOrigin origin = MaskOrigin::Drawn;
  walkChunksBeforeImageData(readAt, [&](const std::string& type, std::uint64_t offset, std::uint64_t size) {
    if (isOriginChunkAt(readAt, type, offset, size)) origin = MaskOrigin::OutlinedFromMarks;
    return origin == MaskOrigin::Drawn;
  });
  return origin;
}

// Reads a part of bytes in memory (shorter at the end).
auto readerOf(const std::string& bytes) {
  return [&bytes](std::uint64_t offset, std::size_t size) {
    return offset < bytes.size() ? bytes.substr(std::size_t(offset), size) : std::string();
  };
}

}  // namespace

std::string withMaskOrigin(const std::string& png, MaskOrigin origin) {
  const auto readAt = readerOf(png);
  std::string out = png;
  std::optional<std::uint64_t> afterHeader;  // in `out`
  std::uint64_t removed = 0;
  walkChunksBeforeImageData(readAt, [&](const std::string& type, std::uint64_t offset, std::uint64_t size) {
    if (type == "IHDR") afterHeader = offset - removed + size;
    if (isOriginChunkAt(readAt, type, offset, size)) {
      out.erase(std::size_t(offset - removed), std::size_t(size));
      removed += size;
    }
    return true;
  });
  if (!afterHeader || *afterHeader > out.size()) return png;  // not a PNG, or cut short in its header
  if (origin == MaskOrigin::OutlinedFromMarks) out.insert(*afterHeader, originChunk());
  return out;
}

MaskOrigin maskOriginOfPng(const std::string& bytes) { return originOf(readerOf(bytes)); }

MaskOrigin maskOriginOfFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return MaskOrigin::Drawn;
  auto readAt = [&](std::uint64_t offset, std::size_t size) {
    std::string bytes(size, '\0');
    file.clear();
    file.seekg(std::streamoff(offset));
    file.read(bytes.data(), std::streamsize(size));
    bytes.resize(std::size_t(std::max<std::streamsize>(file.gcount(), 0)));
    return bytes;
  };
  return originOf(readAt);
}

}  // namespace fluocount
