#include "core/detections_at_thresholds.h"

#include "core/postprocess.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>

namespace fluocount {
namespace {

// How far a pixel's post-processing reads beyond its own component: the maximum filter and the peak footprint
// (each at most its kernel side), plus two pixels for the component's own outline and the holes it bounds.
int readingMargin(const PostprocessSettings& s) {
  const auto side = [](double px) { return std::max(1, static_cast<int>(std::lround(px))); };
  return std::max(side(s.maxFilterSizePx), side(s.peakFootprintPx)) + 2;
}

struct Cluster {
  cv::Rect crop;     // in the image
  cv::Mat heatmap;   // the heatmap in the crop (a view)
  cv::Mat ownMask;   // CV_8U: 255 where a component of this cluster is, at the lowest threshold
};

int findRoot(std::vector<int>& parent, int i) {
  while (parent[i] != i) i = parent[i] = parent[parent[i]];
  return i;
}

// The components of `low` that could hold an object, grouped so that components of different groups are more than
// twice `margin` apart and none lies inside another group's bounding box.
//
// A component whose bounding box is smaller than minObjectAreaPx can never be counted: filling holes never takes a
// component beyond its outermost enclosing component's box. It is removed before any step that reads across
// components, so it matters only where it sits inside a larger component's box (it shrinks the hole it sits in); it
// joins that component's group, and is left out everywhere else. This keeps an untrained network's thousands of
// specks from being grouped pairwise.
std::vector<Cluster> clustersOf(const cv::Mat& heatmap, const cv::Mat& low, int margin, double minObjectAreaPx) {
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(low, labels, stats, centroids, 8, CV_32S);
  const cv::Rect image(0, 0, low.cols, low.rows);
  const auto boxOf = [&](int k) {
    return cv::Rect(stats.at<int>(k, cv::CC_STAT_LEFT), stats.at<int>(k, cv::CC_STAT_TOP),
                    stats.at<int>(k, cv::CC_STAT_WIDTH), stats.at<int>(k, cv::CC_STAT_HEIGHT));
  };
  std::vector<int> large;
  for (int k = 1; k < n; ++k)
    if (double(boxOf(k).area()) >= minObjectAreaPx) large.push_back(k);

  // Large components whose boxes, grown by the margin, overlap join: sweep along x, so that each box meets only
  // those that start before it ends.
  const auto grown = [&](int k) { return boxOf(k) + cv::Size(2 * margin, 2 * margin) - cv::Point(margin, margin); };
  std::vector<int> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  std::sort(large.begin(), large.end(), [&](int a, int b) { return grown(a).x < grown(b).x; });
  for (std::size_t i = 0; i < large.size(); ++i)
    for (std::size_t j = i + 1; j < large.size() && grown(large[j]).x < grown(large[i]).br().x; ++j)
      if ((grown(large[i]) & grown(large[j])).area() > 0)
        parent[findRoot(parent, large[i])] = findRoot(parent, large[j]);

  std::vector<int> clusterOfLabel(n, -1), clusterOfRoot(n, -1);
  std::vector<Cluster> clusters;
  for (int k : large) {
    int& cluster = clusterOfRoot[findRoot(parent, k)];
    if (cluster < 0) {
      cluster = static_cast<int>(clusters.size());
      clusters.push_back({boxOf(k), {}, {}});
    }
    clusterOfLabel[k] = cluster;
  }
  // Small components inside a large one's box join its group (boxes of different groups never overlap).
  cv::Mat groupOfPixel(low.size(), CV_32S, cv::Scalar(-1));
  for (int k : large) groupOfPixel(boxOf(k)).setTo(clusterOfLabel[k]);
  for (int k = 1; k < n; ++k)
    if (clusterOfLabel[k] < 0) clusterOfLabel[k] = groupOfPixel.at<int>(boxOf(k).tl());

  // The crop is the cluster's own boxes plus two pixels: the outline the distance transform needs, and a ring of
  // background outside every box so that no hole reaches the crop's edge. Reading less than the filters' margin is
  // exact: the filters treat pixels beyond the crop as absent, and the pixels they would have read there are
  // background (0), which cannot raise a maximum of distances (>= 0) or a peak.
  for (int k = 1; k < n; ++k)
    if (clusterOfLabel[k] >= 0)
      clusters[clusterOfLabel[k]].crop |= boxOf(k) + cv::Size(4, 4) - cv::Point(2, 2);
  for (std::size_t c = 0; c < clusters.size(); ++c) {
    Cluster& cluster = clusters[c];
    cluster.crop &= image;
    cluster.heatmap = heatmap(cluster.crop);
    cluster.ownMask = cv::Mat::zeros(cluster.crop.size(), CV_8U);
    const cv::Mat cropLabels = labels(cluster.crop);
    for (int y = 0; y < cropLabels.rows; ++y) {
      const auto* l = cropLabels.ptr<int>(y);
      auto* m = cluster.ownMask.ptr<std::uint8_t>(y);
      for (int x = 0; x < cropLabels.cols; ++x)
        if (l[x] > 0 && clusterOfLabel[l[x]] == static_cast<int>(c)) m[x] = 255;
    }
  }
  return clusters;
}

// An object found in a crop, with what decides its place among the image's objects.
struct PlacedObject {
  bool fromMarker = true;
  cv::Point firstPixel;  // in the image
  cv::Rect box;          // in the image
  bool operator<(const PlacedObject& other) const {
    // Marker objects first, each kind in raster order: detectInMask's numbering (postprocess.h, LabelOrigin).
    return std::make_tuple(!fromMarker, firstPixel.y, firstPixel.x) <
           std::make_tuple(!other.fromMarker, other.firstPixel.y, other.firstPixel.x);
  }
};

void addObjectsOf(const Cluster& cluster, double threshold, const PostprocessSettings& settings,
                  std::vector<PlacedObject>& objects) {
  const cv::Mat mask = (cluster.heatmap > threshold) & cluster.ownMask;
  if (cv::countNonZero(mask) == 0) return;
  const CellLabels cells = labelCells(mask, settings);
  std::vector<cv::Rect> boxes(cells.origins.size());
  std::vector<bool> seen(cells.origins.size(), false);
  for (int y = 0; y < cells.labels.rows; ++y) {
    const auto* l = cells.labels.ptr<int>(y);
    for (int x = 0; x < cells.labels.cols; ++x) {
      if (l[x] <= 0) continue;
      const cv::Rect pixel(x, y, 1, 1);
      boxes[l[x]] = seen[l[x]] ? (boxes[l[x]] | pixel) : pixel;
      seen[l[x]] = true;
    }
  }
  const cv::Point offset = cluster.crop.tl();
  for (std::size_t label = 1; label < boxes.size(); ++label)
    if (seen[label])
      objects.push_back({cells.origins[label].fromMarker, cells.origins[label].firstPixel + offset,
                         boxes[label] + offset});
}

}  // namespace

std::vector<std::vector<cv::Rect>> objectBoxesAtThresholds(const cv::Mat& heatmap, const std::vector<double>& thresholds,
                                                           const PostprocessSettings& settings) {
  CV_Assert(heatmap.type() == CV_32F);
  std::vector<std::vector<cv::Rect>> boxes(thresholds.size());
  if (thresholds.empty()) return boxes;
  const auto wholeImageAtEachThreshold = [&] {
    cv::parallel_for_(cv::Range(0, static_cast<int>(thresholds.size())), [&](const cv::Range& range) {
      for (int t = range.start; t < range.end; ++t) boxes[t] = boundingBoxesOf(detectObjects(heatmap, thresholds[t], settings));
    });
    return boxes;
  };
  if (settings.referenceStyle) return wholeImageAtEachThreshold();
  const double lowest = *std::min_element(thresholds.begin(), thresholds.end());
  const std::vector<Cluster> clusters =
      clustersOf(heatmap, heatmap > lowest, readingMargin(settings), settings.minObjectAreaPx);
  // Where the clusters cover most of the image (an untrained network's noise), crops would only add overhead.
  double croppedArea = 0;
  for (const Cluster& cluster : clusters) croppedArea += cluster.crop.area();
  if (croppedArea > 0.5 * heatmap.total()) return wholeImageAtEachThreshold();
  cv::parallel_for_(cv::Range(0, static_cast<int>(thresholds.size())), [&](const cv::Range& range) {
    for (int t = range.start; t < range.end; ++t) {
      std::vector<PlacedObject> objects;
      for (const Cluster& cluster : clusters) addObjectsOf(cluster, thresholds[t], settings, objects);
      std::sort(objects.begin(), objects.end());
      for (const PlacedObject& object : objects) boxes[t].push_back(object.box);
    }
  });
  return boxes;
}

}  // namespace fluocount
