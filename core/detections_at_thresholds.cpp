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

// The components of `low` grouped so that components of different groups are more than twice `margin` apart and
// none lies inside another group's bounding box.
std::vector<Cluster> clustersOf(const cv::Mat& heatmap, const cv::Mat& low, int margin) {
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(low, labels, stats, centroids, 8, CV_32S);
  const cv::Rect image(0, 0, low.cols, low.rows);
  std::vector<cv::Rect> grown(n);
  for (int k = 1; k < n; ++k)
    grown[k] = cv::Rect(stats.at<int>(k, cv::CC_STAT_LEFT) - margin, stats.at<int>(k, cv::CC_STAT_TOP) - margin,
                        stats.at<int>(k, cv::CC_STAT_WIDTH) + 2 * margin,
                        stats.at<int>(k, cv::CC_STAT_HEIGHT) + 2 * margin);
  // Overlapping grown boxes join: sweep along x, so that each box meets only those that start before it ends.
  std::vector<int> parent(n), byLeft(n > 0 ? n - 1 : 0);
  std::iota(parent.begin(), parent.end(), 0);
  std::iota(byLeft.begin(), byLeft.end(), 1);
  std::sort(byLeft.begin(), byLeft.end(), [&](int a, int b) { return grown[a].x < grown[b].x; });
  for (std::size_t i = 0; i < byLeft.size(); ++i)
    for (std::size_t j = i + 1; j < byLeft.size() && grown[byLeft[j]].x < grown[byLeft[i]].br().x; ++j)
      if ((grown[byLeft[i]] & grown[byLeft[j]]).area() > 0)
        parent[findRoot(parent, byLeft[i])] = findRoot(parent, byLeft[j]);

  // The crop is the cluster's own boxes plus two pixels: the outline the distance transform needs, and a ring of
  // background outside every box so that no hole reaches the crop's edge. Reading less than the filters' margin is
  // exact: the filters treat pixels beyond the crop as absent, and the pixels they would have read there are
  // background (0), which cannot raise a maximum of distances (>= 0) or a peak.
  const auto ownBox = [&](int k) {
    return cv::Rect(stats.at<int>(k, cv::CC_STAT_LEFT) - 2, stats.at<int>(k, cv::CC_STAT_TOP) - 2,
                    stats.at<int>(k, cv::CC_STAT_WIDTH) + 4, stats.at<int>(k, cv::CC_STAT_HEIGHT) + 4);
  };
  std::vector<int> clusterOfRoot(n, -1), clusterOfLabel(n, -1);
  std::vector<Cluster> clusters;
  for (int k = 1; k < n; ++k) {
    int& cluster = clusterOfRoot[findRoot(parent, k)];
    if (cluster < 0) {
      cluster = static_cast<int>(clusters.size());
      clusters.push_back({ownBox(k), {}, {}});
    }
    clusters[cluster].crop |= ownBox(k);
    clusterOfLabel[k] = cluster;
  }
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

std::vector<cv::Rect> boxesOf(const Detection& detection) {
  std::vector<cv::Rect> boxes;
  for (const DetectedObject& object : detection.objects) boxes.push_back(object.boundingBox);
  return boxes;
}

}  // namespace

std::vector<std::vector<cv::Rect>> objectBoxesAtThresholds(const cv::Mat& heatmap, const std::vector<double>& thresholds,
                                                           const PostprocessSettings& settings) {
  CV_Assert(heatmap.type() == CV_32F);
  std::vector<std::vector<cv::Rect>> boxes(thresholds.size());
  if (thresholds.empty()) return boxes;
  if (settings.referenceStyle) {
    cv::parallel_for_(cv::Range(0, static_cast<int>(thresholds.size())), [&](const cv::Range& range) {
      for (int t = range.start; t < range.end; ++t) boxes[t] = boxesOf(detectObjects(heatmap, thresholds[t], settings));
    });
    return boxes;
  }
  const double lowest = *std::min_element(thresholds.begin(), thresholds.end());
  const std::vector<Cluster> clusters = clustersOf(heatmap, heatmap > lowest, readingMargin(settings));
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
