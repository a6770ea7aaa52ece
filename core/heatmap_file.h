#pragma once
// A network heatmap kept on disk, so that a project reopens with its results and changing the threshold never
// re-runs the network. Exact float32 values (a quantised copy could flip a pixel at the threshold and change a
// count against the CLI's). Layout: "FCHEATMAP1\n" (11 bytes) | i32 rows | i32 cols | float32 x rows x cols |
// u32 CRC-32 of all before. Little-endian.
#include <opencv2/core.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace fluocount {

class HeatmapFileError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

std::string serialiseHeatmap(const cv::Mat& heatmap);  // CV_32F
std::size_t heatmapFileSize(cv::Size size);            // the bytes serialiseHeatmap makes of a heatmap this size
std::uint32_t heatmapFileChecksum(const char* lastFourBytes);  // the CRC-32 a heatmap file ends with
cv::Mat parseHeatmap(const std::string& bytes, const std::string& nameForErrors);

// Atomic. Returns the file's CRC-32, which identifies this heatmap's file among others of the same size.
std::uint32_t saveHeatmap(const std::string& path, const cv::Mat& heatmap);
// HeatmapFileError naming the file; with `checksum`, also the file's CRC-32.
cv::Mat loadHeatmap(const std::string& path, std::uint32_t* checksum = nullptr);

}  // namespace fluocount
