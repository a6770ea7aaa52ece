#pragma once
// Results as files: the count table, the per-object table, label masks and overlays. Tables are CSV (RFC 4180
// quoting); images are PNG. Writing goes through writeFileAtomically.
#include "core/postprocess.h"
#include "core/regions.h"

#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace fluocount {

struct CountRow {
  std::string file;
  std::string status = "ok";  // "ok" or "error"
  int count = 0;
  int width = 0, height = 0;
  double threshold = 0;
  double cellDiameterPx = 0;
  double seconds = 0;
  std::string method;
  std::string error;  // when status is "error"
  std::string model;    // model file, or "classical"
  std::string options;  // fluocount-cli count options that reproduce this row
};

std::string csvField(const std::string& value);
std::string countsCsv(const std::vector<CountRow>& rows);
std::string objectsCsvHeader();
// regions.csv: one row per region of each counted image, with the count row's method and options columns. Areas in
// px² and density in cells per million px² (physical units need the pixel size: not yet read).
std::string regionsCsvHeader();
std::string regionsCsvRows(const CountRow& row, const std::vector<RegionCount>& regions);
std::string objectsCsvRows(const std::string& file, const Detection& detection);

// Label image as 16-bit PNG bytes (0 = background); throws std::runtime_error above 65535 objects.
std::string labelsPng(const cv::Mat& labels);
// rgb (normalised CV_32FC3) with each object's outline and centre drawn, as PNG bytes.
std::string overlayPng(const cv::Mat& rgb, const Detection& detection);
cv::Mat overlayImage(const cv::Mat& rgb, const Detection& detection);  // BGR 8-bit

}  // namespace fluocount
