#include "core/heatmap_file.h"

#include "core/atomic_file.h"

#include <cstring>

namespace fluocount {
namespace {

constexpr char kMagic[] = "FCHEATMAP1\n";
constexpr std::size_t kMagicSize = sizeof kMagic - 1;
constexpr std::size_t kHeaderSize = kMagicSize + 8;
constexpr std::int64_t kMaxPixels = 1'000'000'000;

void appendInt32(std::string& out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

std::uint32_t readUint32(const std::string& bytes, std::size_t offset) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value |= std::uint32_t(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  return value;
}

}  // namespace

std::size_t heatmapFileSize(cv::Size size) { return kHeaderSize + std::size_t(size.area()) * sizeof(float) + 4; }

std::uint32_t heatmapFileChecksum(const char* lastFourBytes) { return readUint32(std::string(lastFourBytes, 4), 0); }

std::string serialiseHeatmap(const cv::Mat& heatmap) {
  CV_Assert(heatmap.type() == CV_32F);
  const cv::Mat continuous = heatmap.isContinuous() ? heatmap : heatmap.clone();
  std::string bytes(kMagic, kMagicSize);
  appendInt32(bytes, std::uint32_t(continuous.rows));
  appendInt32(bytes, std::uint32_t(continuous.cols));
  bytes.append(reinterpret_cast<const char*>(continuous.data), continuous.total() * sizeof(float));
  appendInt32(bytes, crc32(bytes.data(), bytes.size()));
  return bytes;
}

cv::Mat parseHeatmap(const std::string& bytes, const std::string& name) {
  if (bytes.size() < kHeaderSize + 4 || bytes.compare(0, kMagicSize, kMagic) != 0)
    throw HeatmapFileError(name + ": not a FluoCount heatmap file");
  const auto rows = std::int32_t(readUint32(bytes, kMagicSize)), cols = std::int32_t(readUint32(bytes, kMagicSize + 4));
  if (rows <= 0 || cols <= 0 || std::int64_t(rows) * cols > kMaxPixels)
    throw HeatmapFileError(name + ": implausible heatmap size " + std::to_string(rows) + "x" + std::to_string(cols));
  const std::size_t dataSize = std::size_t(rows) * std::size_t(cols) * sizeof(float);
  if (bytes.size() != kHeaderSize + dataSize + 4) throw HeatmapFileError(name + ": truncated or padded heatmap file");
  if (crc32(bytes.data(), kHeaderSize + dataSize) != readUint32(bytes, kHeaderSize + dataSize))
    throw HeatmapFileError(name + ": checksum mismatch (damaged heatmap file)");
  cv::Mat heatmap(rows, cols, CV_32F);
  std::memcpy(heatmap.data, bytes.data() + kHeaderSize, dataSize);
  return heatmap;
}

std::uint32_t saveHeatmap(const std::string& path, const cv::Mat& heatmap) {
  const std::string bytes = serialiseHeatmap(heatmap);
  writeFileAtomically(path, bytes);
  return heatmapFileChecksum(bytes.data() + bytes.size() - 4);
}

cv::Mat loadHeatmap(const std::string& path, std::uint32_t* checksum) {
  std::string bytes;
  try {
    bytes = readWholeFile(path, kHeaderSize + std::size_t(kMaxPixels) * sizeof(float) + 4);
  } catch (const std::exception& e) {
    throw HeatmapFileError(e.what());
  }
  cv::Mat heatmap = parseHeatmap(bytes, path);
  if (checksum) *checksum = heatmapFileChecksum(bytes.data() + bytes.size() - 4);
  return heatmap;
}

}  // namespace fluocount
