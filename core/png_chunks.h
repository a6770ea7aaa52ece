#pragma once
// The chunks of a PNG file before its image data (IHDR, PLTE, pHYs, text chunks, ...): what FluoCount reads from a
// PNG besides its pixels (pixel size, palette, a mask's origin) and where it writes its own chunk. One walker for
// all of them, reading through a function so that a file on disk need not be read whole.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace fluocount {

constexpr std::size_t kPngChunkOverhead = 12;  // length, type, CRC

// Reads `size` bytes at `offset`; fewer (or none) where the source ends.
using ByteRangeReader = std::function<std::string(std::uint64_t offset, std::size_t size)>;

// A reader over bytes in memory, which must outlive it.
ByteRangeReader readerOfBytes(const std::string& bytes);
// A reader over a file; an empty reader (no bytes anywhere) when the file cannot be opened.
ByteRangeReader readerOfFile(const std::string& path);

struct PngChunk {
  std::string type;            // e.g. "pHYs"
  std::uint64_t offset = 0;    // of its length field, from the start of the file
  std::uint32_t dataSize = 0;  // as its length field declares; the source may hold fewer bytes
  std::uint64_t wholeSize() const { return std::uint64_t(dataSize) + kPngChunkOverhead; }
  std::uint64_t dataOffset() const { return offset + 8; }
};

std::uint32_t bigEndian32(const char* bytes);
std::string bigEndian32Bytes(std::uint32_t value);

// Calls `visit` with each chunk after the PNG signature and before the first IDAT or IEND, in order, until it
// returns false or the bytes end (a chunk whose length and type are cut off is not visited). Nothing is visited
// when the source does not start with the PNG signature. CRCs are not checked here.
void walkPngChunksBeforeImageData(const ByteRangeReader& readAt, const std::function<bool(const PngChunk&)>& visit);

}  // namespace fluocount
