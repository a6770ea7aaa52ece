#include "core/watershed.h"

#include <cmath>
#include <cstdint>
#include <queue>
#include <vector>

namespace fluocount {
namespace {

struct FloodEntry {
  float priority;
  std::uint64_t age;  // first in, first out among equal priorities, as in scikit-image
  int index;
  int sourceIndex;  // the seed pixel this flood started from (for compactness)
  int label;
};

struct LaterFirst {
  bool operator()(const FloodEntry& a, const FloodEntry& b) const {
    return a.priority != b.priority ? a.priority > b.priority : a.age > b.age;
  }
};

}  // namespace

cv::Mat floodWatershed(const cv::Mat& surface, const cv::Mat& markers, const cv::Mat& mask, double compactness,
                       bool watershedLines) {
  CV_Assert(surface.type() == CV_32F && markers.type() == CV_32S && mask.type() == CV_8U);
  CV_Assert(surface.size() == markers.size() && surface.size() == mask.size());
  const int width = surface.cols, height = surface.rows;
  const cv::Mat surf = surface.isContinuous() ? surface : surface.clone();
  const cv::Mat inside = mask.isContinuous() ? mask : mask.clone();
  cv::Mat labels = markers.clone();
  auto* out = labels.ptr<std::int32_t>();
  const auto* value = surf.ptr<float>();
  const auto* allowed = inside.ptr<std::uint8_t>();
  std::vector<std::uint8_t> settled(static_cast<std::size_t>(width) * height, 0);

  std::priority_queue<FloodEntry, std::vector<FloodEntry>, LaterFirst> queue;
  std::uint64_t age = 0;
  for (int i = 0; i < width * height; ++i)
    if (out[i] > 0) queue.push({value[i], age++, i, i, out[i]});

  const bool compact = compactness > 0;
  const int offsets[4][2] = {{-1, 0}, {1, 0}, {0, -1}, {0, 1}};
  while (!queue.empty()) {
    const FloodEntry e = queue.top();
    queue.pop();
    if (settled[e.index]) continue;
    const int x = e.index % width, y = e.index / width;
    if (watershedLines && e.index != e.sourceIndex) {
      bool touchesOtherLabel = false;
      for (const auto& o : offsets) {
        const int nx = x + o[0], ny = y + o[1];
        if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
        const int n = ny * width + nx;
        if (settled[n] && out[n] > 0 && out[n] != e.label) touchesOtherLabel = true;
      }
      if (touchesOtherLabel) {
        settled[e.index] = 1;
        out[e.index] = 0;
        continue;
      }
    }
    settled[e.index] = 1;
    out[e.index] = e.label;
    const int sx = e.sourceIndex % width, sy = e.sourceIndex / width;
    for (const auto& o : offsets) {
      const int nx = x + o[0], ny = y + o[1];
      if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
      const int n = ny * width + nx;
      if (settled[n] || !allowed[n] || out[n] > 0) continue;
      float priority = value[n];
      if (compact) priority += static_cast<float>(compactness * std::hypot(nx - sx, ny - sy));
      queue.push({priority, age++, n, e.sourceIndex, e.label});
    }
  }
  // Pixels inside the mask that no flood reached stay 0.
  for (int i = 0; i < width * height; ++i)
    if (!settled[i]) out[i] = 0;
  return labels;
}

}  // namespace fluocount
