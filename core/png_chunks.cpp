#include "core/png_chunks.h"

#include <algorithm>
#include <fstream>
#include <memory>

namespace fluocount {

namespace {
const std::string kPngSignature("\x89PNG\r\n\x1a\n", 8);
}  // namespace

ByteRangeReader readerOfBytes(const std::string& bytes) {
  return [&bytes](std::uint64_t offset, std::size_t size) {
    return offset < bytes.size() ? bytes.substr(std::size_t(offset), size) : std::string();
  };
}

ByteRangeReader readerOfFile(const std::string& path) {
  auto file = std::make_shared<std::ifstream>(path, std::ios::binary);
  if (!*file) return [](std::uint64_t, std::size_t) { return std::string(); };
  return [file](std::uint64_t offset, std::size_t size) {
    std::string bytes(size, '\0');
    file->clear();
    file->seekg(std::streamoff(offset));
    file->read(bytes.data(), std::streamsize(size));
    bytes.resize(std::size_t(std::max<std::streamsize>(file->gcount(), 0)));
    return bytes;
  };
}

std::uint32_t bigEndian32(const char* bytes) {
  const auto* b = reinterpret_cast<const unsigned char*>(bytes);
  return std::uint32_t(b[0]) << 24 | std::uint32_t(b[1]) << 16 | std::uint32_t(b[2]) << 8 | std::uint32_t(b[3]);
}

std::string bigEndian32Bytes(std::uint32_t value) {
  return {char(value >> 24), char(value >> 16), char(value >> 8), char(value)};
}

void walkPngChunksBeforeImageData(const ByteRangeReader& readAt, const std::function<bool(const PngChunk&)>& visit) {
  if (readAt(0, kPngSignature.size()) != kPngSignature) return;
  PngChunk chunk;
  chunk.offset = kPngSignature.size();
  for (;;) {
    const std::string lengthAndType = readAt(chunk.offset, 8);
    if (lengthAndType.size() < 8) return;
    chunk.type = lengthAndType.substr(4, 4);
    if (chunk.type == "IDAT" || chunk.type == "IEND") return;
    chunk.dataSize = bigEndian32(lengthAndType.data());
    if (!visit(chunk)) return;
    chunk.offset += chunk.wholeSize();
  }
}

}  // namespace fluocount
