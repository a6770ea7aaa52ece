#pragma once
// Another tool's detections of an image, to score them as FluoCount's own are scored (fluocount-cli evaluate
// --predictions): a label image (CellProfiler, Cellpose, StarDist, Fiji's Analyze Particles "Count Masks": each
// non-zero value one object), a binary mask (its 8-connected components), or cells marked as points (a Fiji
// multi-point ROI or ROI set, a Cell Counter XML, QuPath points: core/hand_counts).
#include "core/postprocess.h"

#include <string>
#include <vector>

namespace fluocount {

// The prediction files of `image` in `folder`: <file name or stem> with .png, .tif or .tiff (labels or a mask), or
// any extension handCountFilesFor finds. More than one is an ambiguity to refuse, not to choose from.
std::vector<std::string> predictionFilesFor(const std::string& folder, const std::string& image);

// The objects of a prediction file, each with its box (matching uses the box's centre, docs/method.md section 7).
// A label image or mask must have the image's size; marks must lie on it. Errors (ImageError, RegionError) name the
// file.
Detection predictedCells(const std::string& path, cv::Size imageSize, const std::string& imagePath);

}  // namespace fluocount
