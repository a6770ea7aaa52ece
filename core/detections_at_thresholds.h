#pragma once
// The objects of one heatmap at many thresholds (the threshold sweep, docs/method.md section 8), found cluster by
// cluster instead of over the whole image at every threshold.
#include "core/settings.h"

#include <opencv2/core.hpp>

#include <vector>

namespace fluocount {

// For each threshold, the bounding boxes of detectObjects(heatmap, threshold, settings): the same objects in the
// same order (matching is greedy, so the order counts), computed only where the heatmap exceeds the lowest
// threshold. settings must already be scaled to the cell diameter.
//
// Why a crop gives what the whole image gives: every step of FluoCount's post-processing reads a pixel's own
// connected component only, except the maximum filter of the distance transform, which reaches half its kernel
// side into the neighbourhood. Objects at a higher threshold lie inside the components at the lowest one. So the
// components at the lowest threshold are grouped into clusters (components whose boxes are within that reach of
// each other, which also keeps a cell together with a component that encloses it and could fill the hole it sits
// in), each cluster's crop (its boxes plus a ring of background, other clusters cleared) is post-processed at every
// threshold, and the objects are put back in detectInMask's order by where their labels came from (labelCells).
// The authors' reference-style post-processing sees across components differently; with it this falls back to
// the whole image at each threshold.
std::vector<std::vector<cv::Rect>> objectBoxesAtThresholds(const cv::Mat& heatmap,
                                                           const std::vector<double>& thresholds,
                                                           const PostprocessSettings& settings);

// How many objects detectObjects(heatmap, threshold, settings) finds, found as above: only around the components
// above the threshold, without measuring them (several times faster than detectObjects on a slide of sparse cells).
std::size_t countObjectsAt(const cv::Mat& heatmap, double threshold, const PostprocessSettings& settings);

}  // namespace fluocount
