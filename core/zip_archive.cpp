#include "core/zip_archive.h"

#include <zlib.h>

#include <cstdint>

namespace fluocount {
namespace {

constexpr std::uint32_t kLocalHeader = 0x04034b50, kCentralHeader = 0x02014b50, kEndOfDirectory = 0x06054b50;

void put16(std::string& out, unsigned v) {
  out += char(v & 255);
  out += char(v >> 8 & 255);
}
void put32(std::string& out, std::uint32_t v) {
  put16(out, v & 0xFFFF);
  put16(out, v >> 16);
}

std::uint32_t crcOf(const std::string& data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  std::size_t at = 0;
  while (at < data.size()) {  // crc32 takes at most 4 GiB at a time
    const std::size_t chunk = std::min<std::size_t>(data.size() - at, std::size_t(1) << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data() + at), static_cast<uInt>(chunk));
    at += chunk;
  }
  return static_cast<std::uint32_t>(crc);
}

class Reader {
public:
  explicit Reader(const std::string& bytes) : bytes_(bytes) {}
  std::uint32_t u16(std::size_t at) const {
    need(at, 2);
    return byte(at) | byte(at + 1) << 8;
  }
  std::uint32_t u32(std::size_t at) const {
    need(at, 4);
    return u16(at) | u16(at + 2) << 16;
  }
  std::string text(std::size_t at, std::size_t length) const {
    need(at, length);
    return bytes_.substr(at, length);
  }
  void need(std::size_t at, std::size_t length) const {
    if (at > bytes_.size() || length > bytes_.size() - at) throw ZipError("the archive is cut short");
  }

private:
  std::uint32_t byte(std::size_t at) const { return static_cast<unsigned char>(bytes_[at]); }
  const std::string& bytes_;
};

std::string inflateRaw(const std::string& compressed, std::size_t expected, const std::string& name) {
  std::string out(expected, '\0');
  z_stream stream{};
  if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) throw ZipError("zlib cannot start");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int status = inflate(&stream, Z_FINISH);
  const std::size_t produced = stream.total_out;
  inflateEnd(&stream);
  if (status != Z_STREAM_END || produced != expected) throw ZipError(name + ": its compressed data is corrupt");
  return out;
}

}  // namespace

std::string zipArchive(const std::vector<ZipEntry>& entries) {
  std::string archive, directory;
  for (const ZipEntry& entry : entries) {
    const std::uint32_t crc = crcOf(entry.data), size = static_cast<std::uint32_t>(entry.data.size());
    const std::uint32_t offset = static_cast<std::uint32_t>(archive.size());
    put32(archive, kLocalHeader);
    put16(archive, 20);            // version needed: 2.0
    put16(archive, 1 << 11);       // names are UTF-8
    put16(archive, 0);             // stored
    put16(archive, 0);             // time
    put16(archive, (1 << 5) | 1);  // date: 1980-01-01, so that the archive's bytes depend on its content only
    put32(archive, crc);
    put32(archive, size);
    put32(archive, size);
    put16(archive, static_cast<unsigned>(entry.name.size()));
    put16(archive, 0);
    archive += entry.name + entry.data;

    put32(directory, kCentralHeader);
    put16(directory, 20);
    put16(directory, 20);
    put16(directory, 1 << 11);
    put16(directory, 0);
    put16(directory, 0);
    put16(directory, (1 << 5) | 1);
    put32(directory, crc);
    put32(directory, size);
    put32(directory, size);
    put16(directory, static_cast<unsigned>(entry.name.size()));
    put16(directory, 0);
    put16(directory, 0);
    put16(directory, 0);
    put16(directory, 0);
    put32(directory, 0);
    put32(directory, offset);
    directory += entry.name;
  }
  const std::uint32_t directoryOffset = static_cast<std::uint32_t>(archive.size());
  archive += directory;
  put32(archive, kEndOfDirectory);
  put16(archive, 0);
  put16(archive, 0);
  put16(archive, static_cast<unsigned>(entries.size()));
  put16(archive, static_cast<unsigned>(entries.size()));
  put32(archive, static_cast<std::uint32_t>(directory.size()));
  put32(archive, directoryOffset);
  put16(archive, 0);
  return archive;
}

std::vector<ZipEntry> readZipArchive(const std::string& bytes, const ZipLimits& limits) {
  const Reader in(bytes);
  // The end-of-directory record: the last 22 bytes, or earlier by up to a 64 KiB comment.
  if (bytes.size() < 22) throw ZipError("not a ZIP archive (too short)");
  std::size_t end = std::string::npos;
  for (std::size_t at = bytes.size() - 22;; --at) {
    if (in.u32(at) == kEndOfDirectory) {
      end = at;
      break;
    }
    if (at == 0 || bytes.size() - at > 22 + 65535) break;
  }
  if (end == std::string::npos) throw ZipError("not a ZIP archive (no end of central directory)");
  const std::size_t count = in.u16(end + 10);
  std::size_t at = in.u32(end + 16);
  if (count > limits.maxEntries) throw ZipError("more than " + std::to_string(limits.maxEntries) + " entries");
  std::vector<ZipEntry> entries;
  std::size_t total = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (in.u32(at) != kCentralHeader) throw ZipError("entry " + std::to_string(i + 1) + " of the directory is corrupt");
    const unsigned flags = in.u16(at + 8), method = in.u16(at + 10);
    const std::uint32_t crc = in.u32(at + 16), compressedSize = in.u32(at + 20), size = in.u32(at + 24);
    const std::size_t nameLength = in.u16(at + 28), extraLength = in.u16(at + 30), commentLength = in.u16(at + 32);
    const std::size_t localOffset = in.u32(at + 42);
    ZipEntry entry;
    entry.name = in.text(at + 46, nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    if (flags & 1) throw ZipError(entry.name + " is encrypted");
    if (size > limits.maxEntryBytes || (total += size) > limits.maxTotalBytes)
      throw ZipError(entry.name + ": " + std::to_string(size) + " bytes unpacked, above the limit");
    if (in.u32(localOffset) != kLocalHeader) throw ZipError(entry.name + ": its local header is corrupt");
    const std::size_t dataAt = localOffset + 30 + in.u16(localOffset + 26) + in.u16(localOffset + 28);
    const std::string stored = in.text(dataAt, compressedSize);
    if (method == 0) {
      if (compressedSize != size) throw ZipError(entry.name + ": a stored entry whose sizes differ");
      entry.data = stored;
    } else if (method == 8) {
      entry.data = inflateRaw(stored, size, entry.name);
    } else {
      throw ZipError(entry.name + ": compression method " + std::to_string(method) + " is not supported");
    }
    if (crcOf(entry.data) != crc) throw ZipError(entry.name + ": CRC-32 mismatch (the archive is damaged)");
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace fluocount
