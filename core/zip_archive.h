#pragma once
// ZIP archives as ImageJ's ROI Manager writes and reads them (RoiSet.zip): writing stores entries uncompressed with
// their sizes in the local headers (what Java's ZipInputStream needs); reading takes stored and deflated entries,
// found through the central directory, each checked against its CRC-32. Limits keep a hostile archive from
// exhausting memory.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace fluocount {

class ZipError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct ZipEntry {
  std::string name;
  std::string data;
};

struct ZipLimits {
  std::size_t maxEntries = 100000;
  std::size_t maxEntryBytes = std::size_t(16) << 20;
  std::size_t maxTotalBytes = std::size_t(512) << 20;
};

std::string zipArchive(const std::vector<ZipEntry>& entries);
// Throws ZipError saying what is wrong (the caller adds the file's name).
std::vector<ZipEntry> readZipArchive(const std::string& bytes, const ZipLimits& limits = {});

}  // namespace fluocount
