#pragma once
// From a heatmap (or any binary mask) to counted, measured cells: docs/method.md section 6.
#include "core/settings.h"

#include <opencv2/core.hpp>

#include <vector>

namespace fluocount {

// The centre of a bounding box in pixel coordinates (the centre pixel of an odd-sized box).
inline cv::Point2d boxCentreOf(const cv::Rect& box) {
  return {box.x + (box.width - 1) / 2.0, box.y + (box.height - 1) / 2.0};
}

struct DetectedObject {
  int label = 0;         // value in Detection::labels
  cv::Point2d centroid;  // centre of mass, pixels
  cv::Rect boundingBox;
  int areaPx = 0;
  double meanProbability = 0;
  double meanIntensity = 0;          // mean of the normalised RGB channels
  std::vector<double> channelMeans;  // mean raw value in each of the image's channels (core/cell_channels.h)
  // The reference code matches objects by the centre of their bounding box (docs/method.md section 7).
  cv::Point2d boxCentre() const { return boxCentreOf(boundingBox); }
};

struct Detection {
  cv::Mat labels;  // CV_32S, 0 = background, objects numbered 1..count
  std::vector<DetectedObject> objects;
  int count() const { return static_cast<int>(objects.size()); }
};

// Connected components (8-connected) of a binary mask, numbered from 1; returns the number of components.
int labelComponents(const cv::Mat& mask, cv::Mat& labels);

cv::Mat fillSmallHoles(const cv::Mat& mask, double maxHoleAreaPx);
cv::Mat removeSmallObjects(const cv::Mat& mask, double minAreaPx);

// Splits touching cells: markers from local maxima of the (maximum-filtered) distance transform, then a compact
// watershed on the negated distance with watershed lines. A component that gets no marker keeps one label, so no
// object is ever dropped by the split.
cv::Mat splitTouchingCells(const cv::Mat& mask, const PostprocessSettings& settings);

// Where a label of cellLabels gets its number from: labels are numbered first by the raster order (row, then
// column) of their watershed marker's first pixel, then, for components no marker reached, by the raster order of
// the component's first pixel.
struct LabelOrigin {
  bool fromMarker = true;
  cv::Point firstPixel;
};

struct CellLabels {
  cv::Mat labels;                    // CV_32S, 0 = background
  std::vector<LabelOrigin> origins;  // indexed by label; origins[0] unused
};

// detectInMask's labels before measuring (FluoCount's own post-processing, not referenceStyle), with the origin of
// each label, so that objects found in a crop can be put in the order detectInMask gives them on the whole image.
CellLabels labelCells(const cv::Mat& mask, const PostprocessSettings& settings);

// Fills holes, removes small objects, splits touching cells and measures every object. settings must already be
// scaled to the cell diameter. probability and intensity (CV_32F, same size) feed the per-object measurements and
// may be empty.
Detection detectInMask(const cv::Mat& mask, const PostprocessSettings& settings, const cv::Mat& probability = {},
                       const cv::Mat& intensity = {});

// detectInMask(heatmap > threshold, ...)
Detection detectObjects(const cv::Mat& heatmap, double threshold, const PostprocessSettings& settings,
                        const cv::Mat& intensity = {});

// The bounding box of each object, in the detection's order.
std::vector<cv::Rect> boundingBoxesOf(const Detection& detection);

// Objects of a label image (any labelling, numbered 1..n or sparse), measured and renumbered 1..count.
Detection measureLabels(const cv::Mat& labels, const cv::Mat& probability = {}, const cv::Mat& intensity = {});

}  // namespace fluocount
