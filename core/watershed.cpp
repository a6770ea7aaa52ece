#include "core/watershed.h"

#include <opencv2/imgproc.hpp>

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

// Labels every region of the mask (4-connected) whose seeds all carry one label with that label, and marks it
// settled; returns whether any region is left with seeds of several labels (to flood). Only when every seed lies
// inside the mask: a seed outside it floods into whichever regions it touches.
bool fillSingleLabelRegions(const cv::Mat& inside, std::int32_t* out, std::vector<std::uint8_t>& settled) {
  cv::Mat regions;
  const int count = cv::connectedComponents(inside, regions, 4, CV_32S);
  const auto* region = regions.ptr<std::int32_t>();
  const auto* allowed = inside.ptr<std::uint8_t>();
  constexpr std::int32_t kSeveral = -1;
  std::vector<std::int32_t> labelOfRegion(static_cast<std::size_t>(count), 0);  // 0: no seed yet
  const std::size_t pixels = inside.total();
  for (std::size_t i = 0; i < pixels; ++i) {
    if (out[i] <= 0) continue;
    if (!allowed[i]) return true;  // a seed outside the mask: flood everything
    std::int32_t& label = labelOfRegion[region[i]];
    label = (label == 0 || label == out[i]) ? out[i] : kSeveral;
  }
  bool someToFlood = false;
  for (std::int32_t label : labelOfRegion) someToFlood = someToFlood || label == kSeveral;
  for (std::size_t i = 0; i < pixels; ++i) {
    const std::int32_t label = labelOfRegion[region[i]];
    if (region[i] > 0 && label > 0) {
      out[i] = label;
      settled[i] = 1;
    }
  }
  return someToFlood;
}

}  // namespace

cv::Mat floodWatershed(const cv::Mat& surface, const cv::Mat& markers, const cv::Mat& mask, double compactness,
                       bool watershedLines, bool fillSingleLabelRegionsDirectly) {
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
  // Filling a region with its one label leaves the order of every other region's floods as it was: their queue
  // entries keep their relative ages, and no flood crosses from one region into another.
  if (fillSingleLabelRegionsDirectly && !fillSingleLabelRegions(inside, out, settled)) return labels;

  // The lowest priority queued for each pixel so far. An entry at that priority or above, queued later, would pop
  // after it (first in, first out among equals) and find the pixel settled, so it is not queued at all.
  std::vector<float> lowestQueued(static_cast<std::size_t>(width) * height, std::numeric_limits<float>::infinity());

  const int offsets[4][2] = {{-1, 0}, {1, 0}, {0, -1}, {0, 1}};
  // A seed whose every neighbour is a seed too or outside the mask would, when popped, settle with the label it has
  // and queue nothing; and no pixel that checks for a watershed line neighbours it (that pixel would be a neighbour
  // inside the mask and not a seed). So it is settled now instead of queued: most seeds are inside a marker blob.
  // The queued entries keep their relative ages, so the order of the flood is unchanged.
  const auto floodsFrom = [&](int i) {
    const int x = i % width, y = i / width;
    for (const auto& o : offsets) {
      const int nx = x + o[0], ny = y + o[1];
      if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
      const int n = ny * width + nx;
      if (allowed[n] && out[n] <= 0) return true;
    }
    return false;
  };
  std::priority_queue<FloodEntry, std::vector<FloodEntry>, LaterFirst> queue;
  std::vector<FloodEntry> seeds;
  std::uint32_t age = 0;
  for (int i = 0; i < width * height; ++i) {
    if (out[i] <= 0 || settled[i]) continue;
    if (floodsFrom(i))
      seeds.push_back({value[i], age++, i, i});
    else
      settled[i] = 1;
  }
  queue = decltype(queue)(LaterFirst(), std::move(seeds));

  const bool compact = compactness > 0;
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
      if (compact)
        priority += static_cast<float>(compactness * std::sqrt(double((nx - sx) * (nx - sx) + (ny - sy) * (ny - sy))));
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
