#include "core/watershed.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <queue>
#include <vector>

namespace fluocount {
namespace {

// 16 bytes, so that the heap moves little memory: the flood's label is the label of its seed pixel.
struct FloodEntry {
  float priority;
  std::uint32_t age;  // first in, first out among equal priorities, as in scikit-image
  int index;
  int sourceIndex;  // the seed pixel this flood started from (for compactness, and its label)
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
  // Each pixel enters the queue at most five times (as a seed, then once per neighbour that settles).
  CV_Assert(surface.total() < (std::size_t(1) << 32) / 5);
  const int width = surface.cols, height = surface.rows;
  const cv::Mat surf = surface.isContinuous() ? surface : surface.clone();
  const cv::Mat inside = mask.isContinuous() ? mask : mask.clone();
  cv::Mat labels = markers.clone();
  auto* out = labels.ptr<std::int32_t>();
  const auto* value = surf.ptr<float>();
  const auto* allowed = inside.ptr<std::uint8_t>();
  std::vector<std::uint8_t> settled(static_cast<std::size_t>(width) * height, 0);
  // The lowest priority queued for each pixel so far. An entry at that priority or above, queued later, would pop
  // after it (first in, first out among equals) and find the pixel settled, so it is not queued at all.
  std::vector<float> lowestQueued(static_cast<std::size_t>(width) * height, std::numeric_limits<float>::infinity());

  std::priority_queue<FloodEntry, std::vector<FloodEntry>, LaterFirst> queue;
  std::vector<FloodEntry> seeds;
  std::uint32_t age = 0;
  for (int i = 0; i < width * height; ++i)
    if (out[i] > 0) seeds.push_back({value[i], age++, i, i});
  queue = decltype(queue)(LaterFirst(), std::move(seeds));

  const bool compact = compactness > 0;
  const int offsets[4][2] = {{-1, 0}, {1, 0}, {0, -1}, {0, 1}};
  while (!queue.empty()) {
    const FloodEntry e = queue.top();
    queue.pop();
    if (settled[e.index]) continue;
    const int x = e.index % width, y = e.index / width;
    const int label = out[e.sourceIndex];
    if (watershedLines && e.index != e.sourceIndex) {
      bool touchesOtherLabel = false;
      for (const auto& o : offsets) {
        const int nx = x + o[0], ny = y + o[1];
        if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
        const int n = ny * width + nx;
        if (settled[n] && out[n] > 0 && out[n] != label) touchesOtherLabel = true;
      }
      if (touchesOtherLabel) {
        settled[e.index] = 1;
        out[e.index] = 0;
        continue;
      }
    }
    settled[e.index] = 1;
    out[e.index] = label;
    const int sx = e.sourceIndex % width, sy = e.sourceIndex / width;
    for (const auto& o : offsets) {
      const int nx = x + o[0], ny = y + o[1];
      if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
      const int n = ny * width + nx;
      if (settled[n] || !allowed[n] || out[n] > 0) continue;
      float priority = value[n];
      // The Euclidean distance to the seed, as scikit-image computes it (the root of an exact sum of squares).
      if (compact) priority += static_cast<float>(compactness * std::sqrt(double((nx - sx) * (nx - sx) + (ny - sy) * (ny - sy))));
      if (!(priority < lowestQueued[n])) continue;
      lowestQueued[n] = priority;
      queue.push({priority, age++, n, e.sourceIndex});
    }
  }
  // Pixels inside the mask that no flood reached stay 0.
  for (int i = 0; i < width * height; ++i)
    if (!settled[i]) out[i] = 0;
  return labels;
}

}  // namespace fluocount
