#include "core/cell_size.h"

#include <algorithm>
#include <cmath>

namespace fluocount {

std::vector<double> objectDiameters(const cv::Mat& labels) {
  CV_Assert(labels.type() == CV_32S);
  std::vector<std::int64_t> areas;
  for (int y = 0; y < labels.rows; ++y) {
    const int* row = labels.ptr<int>(y);
    for (int x = 0; x < labels.cols; ++x) {
      const int label = row[x];
      if (label <= 0) continue;
      if (static_cast<std::size_t>(label) >= areas.size()) areas.resize(label + 1, 0);
      ++areas[label];
    }
  }
  std::vector<double> diameters;
  for (const std::int64_t area : areas)
    if (area > 0) diameters.push_back(std::sqrt(4.0 * static_cast<double>(area) / M_PI));
  return diameters;
}

namespace {
double quantile(const std::vector<double>& sorted, double q) {
  const double position = q * static_cast<double>(sorted.size() - 1);
  const std::size_t below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, sorted.size() - 1);
  return sorted[below] + (position - static_cast<double>(below)) * (sorted[above] - sorted[below]);
}
}  // namespace

CellSizeEstimate summariseDiameters(std::vector<double> diameters) {
  CellSizeEstimate estimate;
  estimate.objects = static_cast<int>(diameters.size());
  if (diameters.empty()) return estimate;
  std::sort(diameters.begin(), diameters.end());
  estimate.medianDiameterPx = quantile(diameters, 0.5);
  estimate.lowerQuartilePx = quantile(diameters, 0.25);
  estimate.upperQuartilePx = quantile(diameters, 0.75);
  return estimate;
}

}  // namespace fluocount
