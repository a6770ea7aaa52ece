#pragma once
// Marker-based watershed with optional compactness and watershed lines, the semantics of scikit-image's
// watershed(image, markers, mask=..., compactness=..., watershed_line=True) that the reference code uses.
// OpenCV's cv::watershed floods an 8-bit colour gradient instead, so FluoCount has its own priority flood.
#include <opencv2/core.hpp>

namespace fluocount {

// surface: CV_32F, lower floods first. markers: CV_32S, > 0 are seeds. mask: CV_8U, flooding stays inside it.
// Returns CV_32S labels; 0 = background or a watershed line. 4-connected flooding, as scikit-image's default.
cv::Mat floodWatershed(const cv::Mat& surface, const cv::Mat& markers, const cv::Mat& mask, double compactness,
                       bool watershedLines);

}  // namespace fluocount
