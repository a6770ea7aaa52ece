#include "core/mask_origin.h"

#include "core/atomic_file.h"
#include "core/png_chunks.h"

#include <cstdint>
#include <optional>

namespace fluocount {

namespace {

// A tEXt chunk's keyword and text (Latin-1, here plain ASCII): what `pngcheck -t` or exiftool show.
const std::string kKeyword = "FluoCount mask origin";
const std::string kOutlinedFromMarks = "outlined from a count by hand; not reviewed";
constexpr std::uint32_t kLongestTextWeRead = 1024;

std::string originChunk() {
  const std::string typeAndData = "tEXt" + kKeyword + '\0' + kOutlinedFromMarks;
  return bigEndian32Bytes(std::uint32_t(typeAndData.size() - 4)) + typeAndData +
         bigEndian32Bytes(crc32(typeAndData.data(), typeAndData.size()));
}

// A whole chunk's bytes (length, type, data, CRC) are FluoCount's origin chunk.
bool isOriginChunk(const std::string& chunk) {
  if (chunk.size() < kPngChunkOverhead || chunk.compare(4, 4, "tEXt") != 0) return false;
  const std::string data = chunk.substr(8, chunk.size() - kPngChunkOverhead);
  return data == kKeyword + '\0' + kOutlinedFromMarks &&
         bigEndian32(chunk.data() + chunk.size() - 4) == crc32(chunk.data() + 4, chunk.size() - 8);
}

bool isOriginChunkAt(const ByteRangeReader& readAt, const PngChunk& chunk) {
  return chunk.type == "tEXt" && chunk.dataSize <= kLongestTextWeRead &&
         isOriginChunk(readAt(chunk.offset, std::size_t(chunk.wholeSize())));
}

MaskOrigin originOf(const ByteRangeReader& readAt) {
  MaskOrigin origin = MaskOrigin::Drawn;
  walkPngChunksBeforeImageData(readAt, [&](const PngChunk& chunk) {
    if (isOriginChunkAt(readAt, chunk)) origin = MaskOrigin::OutlinedFromMarks;
    return origin == MaskOrigin::Drawn;
  });
  return origin;
}

}  // namespace

std::string withMaskOrigin(const std::string& png, MaskOrigin origin) {
  const ByteRangeReader readAt = readerOfBytes(png);
  std::string out = png;
  std::optional<std::uint64_t> afterHeader;  // in `out`
  std::uint64_t removed = 0;
  walkPngChunksBeforeImageData(readAt, [&](const PngChunk& chunk) {
    if (chunk.type == "IHDR") afterHeader = chunk.offset - removed + chunk.wholeSize();
    if (isOriginChunkAt(readAt, chunk)) {
      out.erase(std::size_t(chunk.offset - removed), std::size_t(chunk.wholeSize()));
      removed += chunk.wholeSize();
    }
    return true;
  });
  if (!afterHeader || *afterHeader > out.size()) return png;  // not a PNG, or cut short in its header
  if (origin == MaskOrigin::OutlinedFromMarks) out.insert(*afterHeader, originChunk());
  return out;
}

MaskOrigin maskOriginOfPng(const std::string& bytes) { return originOf(readerOfBytes(bytes)); }

MaskOrigin maskOriginOfFile(const std::string& path) { return originOf(readerOfFile(path)); }

}  // namespace fluocount
