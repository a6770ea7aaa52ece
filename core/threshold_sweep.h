#pragma once
// Count and F1 as functions of the threshold (docs/method.md section 8), with the Kneedle knee and the argmax of F1.
#include "core/metrics.h"
#include "core/settings.h"

#include <opencv2/core.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fluocount {

// 0.500, 0.525, ..., 0.975
std::vector<double> defaultSweepThresholds();

// The objects of one image at each threshold of a sweep, as bounding boxes in detectObjects' order
// (objectBoxesAtThresholds). The sweep's costly part: kept, they let a changed mask be matched again at once.
using ObjectBoxes = std::vector<std::vector<cv::Rect>>;

struct SweepImage {
  std::string name;
  cv::Mat heatmap;                  // CV_32F in [0,1]
  PostprocessSettings postprocess;  // scaled to this image's cell diameter
  std::optional<Detection> truth;   // annotated cells, when the image has a mask
  // The image's objects at the sweep's thresholds when already detected (from this heatmap and these settings);
  // null: the sweep detects them.
  std::shared_ptr<const ObjectBoxes> objects = nullptr;
};

// objectBoxesAtThresholds for a SweepImage, to keep beside it (SweepImage::objects).
std::shared_ptr<const ObjectBoxes> detectAtThresholds(const SweepImage& image, const std::vector<double>& thresholds);

struct SweepPoint {
  double threshold = 0;
  int totalCount = 0;  // cells counted over all images
  MatchCounts counts;  // pooled over the images that have a mask
  double precision = 0, recall = 0, f1 = 0;
};

struct SweepResult {
  std::vector<SweepPoint> points;
  bool hasTruth = false;
  std::optional<std::size_t> knee;      // Kneedle on F1 (concave, decreasing, S = 1)
  std::optional<std::size_t> argmaxF1;  // the first threshold with the highest F1
};

SweepResult sweepThresholds(const std::vector<SweepImage>& images, const std::vector<double>& thresholds,
                            const MatchingSettings& matching);

// The sweep of a set of images from the sweeps of its parts (all over the same thresholds): counts and matches
// add up, precision, recall and F1 are recomputed from the pooled matches, and the knee and argmax chosen anew.
// The GUI sweeps each slide once and combines, so a changed mask re-sweeps one slide, not the folder.
SweepResult combineSweeps(const std::vector<const SweepResult*>& parts);

// Kneedle and argmax over already computed points (used by the GUI when one image's points change).
void chooseThresholds(SweepResult& result);

// Whether two thresholds cut a float32 heatmap the same way: no float value v has v > one and not v > the other,
// compared in float or in double. 0.575 typed and 0.5 + 0.025 * 3 computed do; 0.575 and 0.576 do not.
bool sameCutOfFloatHeatmap(double a, double b);
// The count at `threshold` read off a sweep (one image's, or a folder's total) where it was swept at a threshold
// that cuts the heatmaps the same way: exactly what detecting at `threshold` counts (objectBoxesAtThresholds finds
// detectObjects' objects). Nothing where the sweep has no such threshold.
std::optional<int> sweptCountAt(const SweepResult& sweep, double threshold);

}  // namespace fluocount
