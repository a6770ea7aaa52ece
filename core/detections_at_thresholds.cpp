#include "core/detections_at_thresholds.h"

#include "core/connected_components.h"
#include "core/postprocess.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>

namespace fluocount {
namespace {

// How far (in pixels, along x or y) the post-processing of one component reads into another: only the maximum
// filter of the distance transform does (its window reaches kernelSide / 2 pixels from its centre). Every other
// step keeps to the component: the peak search sees the filtered values of its own component only (findMarkers),
// markers and the flood stay inside it, and a hole belongs to the component that encloses it (grouped below by
// boxes). Two components whose boxes are further apart than this cannot change each other's objects.
int crossComponentReach(const PostprocessSettings& s) {
  return std::max(1, static_cast<int>(std::lround(s.maxFilterSizePx))) / 2;
}

struct Cluster {
  cv::Rect crop;    // in the image
  cv::Mat heatmap;  // the heatmap in the crop (a view)
  cv::Mat ownMask;  // CV_8U: 255 where a component of this cluster is, at the threshold it was found at
};

int findRoot(std::vector<int>& parent, int i) {
  while (parent[i] != i) i = parent[i] = parent[parent[i]];
  return i;
}

// The components of `low` that could hold an object, grouped so that the boxes of components of different groups
// are more than `reach` pixels apart (so none lies inside another group's box either).
//
// A component whose bounding box is smaller than minObjectAreaPx can never be counted: filling holes never takes a
// component beyond its outermost enclosing component's box. It is removed before any step that reads across
// components, so it matters only where it sits inside a larger component's box (it shrinks the hole it sits in); it
// joins that component's group, and is left out everywhere else. This keeps an untrained network's thousands of
// specks from being grouped pairwise.
std::vector<Cluster> clustersOf(const cv::Mat& heatmap, const cv::Mat& low, int reach, double minObjectAreaPx) {
  const ConnectedComponents components = connectedComponentsOf(low, 8);
  const cv::Mat& labels = components.labels;
  const int n = components.count() + 1;
  const cv::Rect image(0, 0, low.cols, low.rows);
  const auto boxOf = [&](int k) { return components.boxes[k]; };
  std::vector<int> large;
  for (int k = 1; k < n; ++k)
    if (double(boxOf(k).area()) >= minObjectAreaPx) large.push_back(k);

  // Large components whose boxes, each grown by half the reach (rounded up, plus one), overlap join: boxes that
  // overlap then, are at most `reach` pixels apart. Sweep along x, so that each box meets only those that start
  // before it ends.
  const int grow = (reach + 1) / 2 + 1;
  const auto grown = [&](int k) { return boxOf(k) + cv::Size(2 * grow, 2 * grow) - cv::Point(grow, grow); };
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
  // background outside every box so that no hole reaches the crop's edge. Reading less than the filter's reach is
  // exact: the filters treat pixels beyond the crop as absent, and the pixels they would have read there are
  // background (0), which cannot raise a maximum of distances (>= 0) or a peak.
  for (int k = 1; k < n; ++k)
    if (clusterOfLabel[k] >= 0) clusters[clusterOfLabel[k]].crop |= boxOf(k) + cv::Size(4, 4) - cv::Point(2, 2);
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

// The cluster's components at `threshold`, grouped as clustersOf groups them (crops in the image's coordinates).
// Components shrink and part as the threshold rises, so one large cluster at the lowest threshold (cells close
// enough there to chain into one group) is post-processed at higher thresholds as several small crops. Exact by the
// same argument as the clusters themselves: the threshold is now the lowest one.
std::vector<Cluster> partsAt(const Cluster& cluster, double threshold, int reach, double minObjectAreaPx) {
  std::vector<Cluster> parts =
      clustersOf(cluster.heatmap, (cluster.heatmap > threshold) & cluster.ownMask, reach, minObjectAreaPx);
  for (Cluster& part : parts) part.crop += cluster.crop.tl();
  return parts;
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

// The objects of a part (partsAt): its own mask is already the heatmap above the part's threshold, in its components.
void addObjectsOf(const Cluster& part, const PostprocessSettings& settings, std::vector<PlacedObject>& objects) {
  const CellLabels cells = labelCells(part.ownMask, settings);
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
  const cv::Point offset = part.crop.tl();
  for (std::size_t label = 1; label < boxes.size(); ++label)
    if (seen[label])
      objects.push_back(
          {cells.origins[label].fromMarker, cells.origins[label].firstPixel + offset, boxes[label] + offset});
}

}  // namespace

std::vector<std::vector<cv::Rect>> objectBoxesAtThresholds(const cv::Mat& heatmap,
                                                           const std::vector<double>& thresholds,
                                                           const PostprocessSettings& settings) {
  CV_Assert(heatmap.type() == CV_32F);
  std::vector<std::vector<cv::Rect>> boxes(thresholds.size());
  if (thresholds.empty()) return boxes;
  const auto wholeImageAtEachThreshold = [&] {
    cv::parallel_for_(cv::Range(0, static_cast<int>(thresholds.size())), [&](const cv::Range& range) {
      for (int t = range.start; t < range.end; ++t)
        boxes[t] = boundingBoxesOf(detectObjects(heatmap, thresholds[t], settings));
    });
    return boxes;
  };
  if (settings.referenceStyle) return wholeImageAtEachThreshold();
  const double lowest = *std::min_element(thresholds.begin(), thresholds.end());
  const int reach = crossComponentReach(settings);
  const std::vector<Cluster> clusters = clustersOf(heatmap, heatmap > lowest, reach, settings.minObjectAreaPx);
  // Where the clusters cover most of the image (an untrained network's noise), crops would only add overhead.
  double croppedArea = 0;
  for (const Cluster& cluster : clusters) croppedArea += cluster.crop.area();
  if (croppedArea > 0.5 * heatmap.total()) return wholeImageAtEachThreshold();
  cv::parallel_for_(cv::Range(0, static_cast<int>(thresholds.size())), [&](const cv::Range& range) {
    for (int t = range.start; t < range.end; ++t) {
      std::vector<PlacedObject> objects;
      for (const Cluster& cluster : clusters)
        for (const Cluster& part : partsAt(cluster, thresholds[t], reach, settings.minObjectAreaPx))
          addObjectsOf(part, settings, objects);
      std::sort(objects.begin(), objects.end());
      for (const PlacedObject& object : objects) boxes[t].push_back(object.box);
    }
  });
  return boxes;
}

std::size_t countObjectsAt(const cv::Mat& heatmap, double threshold, const PostprocessSettings& settings) {
  return objectBoxesAtThresholds(heatmap, {threshold}, settings).front().size();
}

}  // namespace fluocount
