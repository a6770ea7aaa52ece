#pragma once
// Marker-based watershed with optional compactness and watershed lines, the semantics of scikit-image's
// watershed(image, markers, mask=..., compactness=..., watershed_line=True) that the reference code uses.
// OpenCV's cv::watershed floods an 8-bit colour gradient instead, so FluoCount has its own priority flood.
#include <opencv2/core.hpp>

namespace fluocount {

// surface: CV_32F, lower floods first. markers: CV_32S, > 0 are seeds. mask: CV_8U, flooding stays inside it.
// Returns CV_32S labels; 0 = background or a watershed line. 4-connected flooding, as scikit-image's default.
//
// A region of the mask (4-connected) that holds seeds of one label only is flooded entirely by that label, lines or
// not, whatever the surface: such regions (most cells) are filled directly, and only regions where floods meet go
// through the priority queue. fillSingleLabelRegions = false floods every region (tests compare the two).
cv::Mat floodWatershed(const cv::Mat& surface, const cv::Mat& markers, const cv::Mat& mask, double compactness,
                       bool watershedLines, bool fillSingleLabelRegions = true);

}  // namespace fluocount
