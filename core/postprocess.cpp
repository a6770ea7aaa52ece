#include "core/postprocess.h"

#include "core/connected_components.h"
#include "core/watershed.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace fluocount {
namespace {

int kernelSide(double sizePx) { return std::max(1, static_cast<int>(std::lround(sizePx))); }

// Removes components of `mask` (CV_8U) with area below minArea, using the given connectivity.
cv::Mat keepComponentsOfArea(const cv::Mat& mask, double minArea, int connectivity) {
  const ConnectedComponents components = connectedComponentsOf(mask, connectivity);
  std::vector<std::uint8_t> keep(components.areas.size(), 0);
  for (int i = 1; i <= components.count(); ++i) keep[i] = components.areas[i] >= minArea;
  cv::Mat out(mask.size(), CV_8U);
  for (int y = 0; y < mask.rows; ++y) {
    const auto* l = components.labels.ptr<int>(y);
    auto* o = out.ptr<std::uint8_t>(y);
    for (int x = 0; x < mask.cols; ++x) o[x] = keep[l[x]] ? 255 : 0;
  }
  return out;
}

// The 8-connected components of a mask that have at least a given area: the mask of those alone and their labels
// (the others' pixels cleared).
struct Components {
  cv::Mat mask;                 // CV_8U, 255 in a kept component
  cv::Mat labels;               // CV_32S
  std::vector<cv::Rect> boxes;  // indexed by label
  std::vector<std::uint8_t> kept;
};

Components componentsOfAtLeast(const cv::Mat& mask, double minArea) {
  ConnectedComponents found = connectedComponentsOf(mask, 8);
  Components c;
  c.labels = found.labels;
  c.boxes = std::move(found.boxes);
  c.kept.assign(found.areas.size(), 0);
  for (int i = 1; i <= found.count(); ++i) c.kept[i] = found.areas[i] >= minArea;
  c.mask.create(mask.size(), CV_8U);
  for (int y = 0; y < mask.rows; ++y) {
    auto* l = c.labels.ptr<int>(y);
    auto* o = c.mask.ptr<std::uint8_t>(y);
    for (int x = 0; x < mask.cols; ++x) {
      if (!c.kept[l[x]]) l[x] = 0;
      o[x] = l[x] ? 255 : 0;
    }
  }
  return c;
}

// Markers: local maxima (per component) of the maximum-filtered distance transform, blobs (4-connected) smaller
// than minMarkerAreaPx dropped. Returns the marker blobs labelled 1..count (CV_32S) and sets count.
cv::Mat findMarkers(const Components& components, const cv::Mat& distance, const PostprocessSettings& s, int& count) {
  cv::Mat filtered;
  cv::dilate(distance, filtered,
             cv::getStructuringElement(cv::MORPH_RECT,
                                       cv::Size(kernelSide(s.maxFilterSizePx), kernelSide(s.maxFilterSizePx))));
  const int footprint = kernelSide(s.peakFootprintPx);
  const cv::Mat footprintKernel = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(footprint, footprint));
  cv::Mat peaks = cv::Mat::zeros(distance.size(), CV_8U);
  for (int k = 1; k < static_cast<int>(components.kept.size()); ++k) {
    if (!components.kept[k]) continue;
    // Each component on its own, as peak_local_max(labels=...) does: a neighbour never suppresses its peaks.
    // Beyond the component's box every value is 0, which the constant border supplies: the box is enough.
    const cv::Rect& box = components.boxes[k];
    const cv::Mat inComponent = components.labels(box) == k;
    cv::Mat values = cv::Mat::zeros(box.size(), CV_32F);
    filtered(box).copyTo(values, inComponent);
    cv::Mat localMax;
    cv::dilate(values, localMax, footprintKernel, cv::Point(-1, -1), 1, cv::BORDER_CONSTANT, cv::Scalar(0));
    cv::Mat isPeak = (values == localMax) & (values > 0) & inComponent;
    peaks(box) |= isPeak;
  }
  // One labelling both measures the blobs and numbers the markers (the kept ones renumbered without gaps).
  ConnectedComponents blobs = connectedComponentsOf(peaks, 4);
  std::vector<int> renumbered(blobs.areas.size(), 0);
  count = 0;
  for (int i = 1; i <= blobs.count(); ++i)
    if (blobs.areas[i] >= s.minMarkerAreaPx) renumbered[i] = ++count;
  for (int y = 0; y < blobs.labels.rows; ++y) {
    auto* l = blobs.labels.ptr<int>(y);
    for (int x = 0; x < blobs.labels.cols; ++x) l[x] = renumbered[l[x]];
  }
  return blobs.labels;
}

// Holes are background components (4-connected, the dual of 8-connected objects) under maxHoleAreaPx; those
// touching the image border count only with borderHolesToo (the reference's remove_small_holes sees no border).
cv::Mat fillHoles(const cv::Mat& mask, double maxHoleAreaPx, bool borderHolesToo) {
  const ConnectedComponents background = connectedComponentsOf(mask == 0, 4);
  std::vector<std::uint8_t> fill(background.areas.size(), 0);
  for (int i = 1; i <= background.count(); ++i) {
    const cv::Rect& box = background.boxes[i];
    const bool touchesBorder = box.x == 0 || box.y == 0 || box.br().x == mask.cols || box.br().y == mask.rows;
    fill[i] = (borderHolesToo || !touchesBorder) && background.areas[i] < maxHoleAreaPx;
  }
  cv::Mat out = mask.clone();
  for (int y = 0; y < mask.rows; ++y) {
    const auto* l = background.labels.ptr<int>(y);
    auto* o = out.ptr<std::uint8_t>(y);
    for (int x = 0; x < mask.cols; ++x)
      if (fill[l[x]]) o[x] = 255;
  }
  return out;
}

// The reference's markers: peak_local_max(maximum_filter(distance), footprint, labels=mask) with a boolean mask,
// that is one region for the whole mask, so the footprint sees across to neighbouring components.
cv::Mat findMarkersOverTheWholeMask(const cv::Mat& mask, const cv::Mat& distance, const PostprocessSettings& s) {
  cv::Mat filtered;
  cv::dilate(distance, filtered,
             cv::getStructuringElement(cv::MORPH_RECT,
                                       cv::Size(kernelSide(s.maxFilterSizePx), kernelSide(s.maxFilterSizePx))));
  cv::Mat values(mask.size(), CV_32F, cv::Scalar(-1));  // outside the mask: below every value inside
  filtered.copyTo(values, mask);
  const int footprint = kernelSide(s.peakFootprintPx);
  cv::Mat localMax;
  cv::dilate(values, localMax, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(footprint, footprint)),
             cv::Point(-1, -1), 1, cv::BORDER_CONSTANT, cv::Scalar(-1));
  const cv::Mat peaks = (values == localMax) & (mask > 0);
  return keepComponentsOfArea(peaks, s.minMarkerAreaPx, 4);
}

// mask_post_processing of the reference code (PostprocessSettings::referenceStyle), then its objects: the
// 4-connected components of the resulting binary mask.
cv::Mat referencePostprocess(const cv::Mat& mask, const PostprocessSettings& s) {
  const cv::Mat holesFilled = fillHoles(mask, s.holeAreaPx, /*borderHolesToo=*/true);  // remove_small_holes
  const cv::Mat cleaned = keepComponentsOfArea(holesFilled, s.minObjectAreaPx, 4);
  cv::Mat split = cleaned;
  if (s.splitTouchingCells) {
    cv::Mat distance, markers;
    cv::distanceTransform(cleaned, distance, cv::DIST_L2, cv::DIST_MASK_PRECISE);
    cv::connectedComponents(findMarkersOverTheWholeMask(cleaned, distance, s), markers, 4, CV_32S);
    split = floodWatershed(-distance, markers, cleaned, s.compactness, /*watershedLines=*/true) > 0;
  }
  cv::Mat labels;
  cv::connectedComponents(split, labels, 4, CV_32S);
  return labels;
}

}  // namespace

int labelComponents(const cv::Mat& mask, cv::Mat& labels) {
  return cv::connectedComponents(mask, labels, 8, CV_32S) - 1;
}

cv::Mat fillSmallHoles(const cv::Mat& mask, double maxHoleAreaPx) {
  return fillHoles(mask, maxHoleAreaPx, /*borderHolesToo=*/false);
}

cv::Mat removeSmallObjects(const cv::Mat& mask, double minAreaPx) { return keepComponentsOfArea(mask, minAreaPx, 8); }

namespace {

// Numbers the labels of `labels` (any of 1..count, gaps allowed) 1, 2, ... in the raster order of their first pixels,
// and returns those pixels.
// OpenCV's labelling mostly numbers so already, but its block-based 8-connected scan (2x2 blocks) does not promise
// it; a crop and the whole image must agree on the order, so the order is made explicit here.
std::vector<LabelOrigin> numberInRasterOrder(cv::Mat& labels, int count, bool fromMarker) {
  std::vector<LabelOrigin> origins(static_cast<std::size_t>(count) + 1, LabelOrigin{fromMarker, {-1, -1}});
  std::vector<int> renumbered(static_cast<std::size_t>(count) + 1, 0);
  int found = 0;
  for (int y = 0; y < labels.rows && found < count; ++y) {
    const auto* l = labels.ptr<int>(y);
    for (int x = 0; x < labels.cols; ++x)
      if (l[x] > 0 && renumbered[l[x]] == 0) {
        renumbered[l[x]] = ++found;
        origins[found].firstPixel = {x, y};
      }
  }
  origins.resize(static_cast<std::size_t>(found) + 1);
  bool alreadyInOrder = true;
  for (int label = 1; label <= count; ++label) alreadyInOrder = alreadyInOrder && renumbered[label] == label;
  if (!alreadyInOrder)
    for (int y = 0; y < labels.rows; ++y) {
      auto* l = labels.ptr<int>(y);
      for (int x = 0; x < labels.cols; ++x) l[x] = renumbered[l[x]];
    }
  return origins;
}

CellLabels splitWithOrigins(const Components& cells, const PostprocessSettings& settings) {
  const cv::Mat& mask = cells.mask;
  const cv::Mat& components = cells.labels;
  cv::Mat distance;
  cv::distanceTransform(mask, distance, cv::DIST_L2, cv::DIST_MASK_PRECISE);
  int markerCount = 0;
  cv::Mat markers = findMarkers(cells, distance, settings, markerCount);
  CellLabels result;
  result.origins = numberInRasterOrder(markers, markerCount, /*fromMarker=*/true);
  result.labels = floodWatershed(-distance, markers, mask, settings.compactness, /*watershedLines=*/true);
  cv::Mat& labels = result.labels;

  // Components the markers missed keep one label each.
  std::vector<int> labelOfMissedComponent(cells.kept.size(), -1);
  for (int y = 0; y < mask.rows; ++y) {
    const auto* c = components.ptr<int>(y);
    const auto* l = labels.ptr<int>(y);
    for (int x = 0; x < mask.cols; ++x)
      if (l[x] > 0) labelOfMissedComponent[c[x]] = 0;
  }
  int next = markerCount + 1;
  for (int y = 0; y < mask.rows; ++y) {
    const auto* c = components.ptr<int>(y);
    auto* l = labels.ptr<int>(y);
    for (int x = 0; x < mask.cols; ++x) {
      if (c[x] == 0 || labelOfMissedComponent[c[x]] == 0) continue;
      if (labelOfMissedComponent[c[x]] < 0) {
        labelOfMissedComponent[c[x]] = next++;
        result.origins.push_back({/*fromMarker=*/false, {x, y}});
      }
      l[x] = labelOfMissedComponent[c[x]];
    }
  }
  return result;
}

}  // namespace

cv::Mat splitTouchingCells(const cv::Mat& mask, const PostprocessSettings& settings) {
  return splitWithOrigins(componentsOfAtLeast(mask, 0), settings).labels;
}

CellLabels labelCells(const cv::Mat& mask, const PostprocessSettings& settings) {
  CV_Assert(mask.type() == CV_8U && !settings.referenceStyle);
  // One labelling of the filled mask serves both removing the small objects and splitting the rest.
  Components cells = componentsOfAtLeast(fillSmallHoles(mask, settings.holeAreaPx), settings.minObjectAreaPx);
  if (settings.splitTouchingCells) return splitWithOrigins(cells, settings);
  CellLabels result;
  result.labels = cells.labels;
  result.origins = numberInRasterOrder(result.labels, static_cast<int>(cells.kept.size()) - 1, /*fromMarker=*/false);
  return result;
}

Detection measureLabels(const cv::Mat& labels, const cv::Mat& probability, const cv::Mat& intensity) {
  CV_Assert(labels.type() == CV_32S);
  struct Sums {
    double x = 0, y = 0, probability = 0, intensity = 0;
    int area = 0, left = INT32_MAX, top = INT32_MAX, right = -1, bottom = -1;
  };
  double maxLabel = 0;
  if (!labels.empty()) cv::minMaxLoc(labels, nullptr, &maxLabel);
  std::vector<Sums> sums(static_cast<std::size_t>(std::max(0.0, maxLabel)) + 1);
  for (int y = 0; y < labels.rows; ++y) {
    const auto* l = labels.ptr<int>(y);
    const float* p = probability.empty() ? nullptr : probability.ptr<float>(y);
    const float* v = intensity.empty() ? nullptr : intensity.ptr<float>(y);
    for (int x = 0; x < labels.cols; ++x) {
      if (l[x] <= 0) continue;
      Sums& s = sums[l[x]];
      s.x += x;
      s.y += y;
      ++s.area;
      if (p) s.probability += p[x];
      if (v) s.intensity += v[x];
      s.left = std::min(s.left, x);
      s.right = std::max(s.right, x);
      s.top = std::min(s.top, y);
      s.bottom = std::max(s.bottom, y);
    }
  }
  Detection detection;
  detection.labels = cv::Mat::zeros(labels.size(), CV_32S);
  std::vector<int> renumbered(sums.size(), 0);
  for (std::size_t label = 1; label < sums.size(); ++label) {
    const Sums& s = sums[label];
    if (s.area == 0) continue;
    DetectedObject object;
    object.label = static_cast<int>(detection.objects.size()) + 1;
    object.areaPx = s.area;
    object.centroid = {s.x / s.area, s.y / s.area};
    object.boundingBox = cv::Rect(s.left, s.top, s.right - s.left + 1, s.bottom - s.top + 1);
    object.meanProbability = s.probability / s.area;
    object.meanIntensity = s.intensity / s.area;
    renumbered[label] = object.label;
    detection.objects.push_back(object);
  }
  for (int y = 0; y < labels.rows; ++y) {
    const auto* l = labels.ptr<int>(y);
    auto* o = detection.labels.ptr<int>(y);
    for (int x = 0; x < labels.cols; ++x)
      if (l[x] > 0) o[x] = renumbered[l[x]];
  }
  return detection;
}

std::vector<cv::Rect> boundingBoxesOf(const Detection& detection) {
  std::vector<cv::Rect> boxes;
  boxes.reserve(detection.objects.size());
  for (const DetectedObject& object : detection.objects) boxes.push_back(object.boundingBox);
  return boxes;
}

Detection detectInMask(const cv::Mat& mask, const PostprocessSettings& settings, const cv::Mat& probability,
                       const cv::Mat& intensity) {
  CV_Assert(mask.type() == CV_8U);
  if (settings.referenceStyle) return measureLabels(referencePostprocess(mask, settings), probability, intensity);
  return measureLabels(labelCells(mask, settings).labels, probability, intensity);
}

Detection detectObjects(const cv::Mat& heatmap, double threshold, const PostprocessSettings& settings,
                        const cv::Mat& intensity) {
  CV_Assert(heatmap.type() == CV_32F);
  const cv::Mat mask = heatmap > threshold;
  return detectInMask(mask, settings, heatmap, intensity);
}

}  // namespace fluocount
