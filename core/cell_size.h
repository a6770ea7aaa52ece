#pragma once
// Estimating a dataset's typical cell diameter from its annotations, the one knob FluoCount asks users for.
#include <opencv2/core.hpp>

#include <vector>

namespace fluocount {

struct CellSizeEstimate {
  int objects = 0;
  double medianDiameterPx = 0;  // median equivalent-circle diameter, sqrt(4 area / pi)
  double lowerQuartilePx = 0, upperQuartilePx = 0;
};

// Equivalent-circle diameters of the objects of one label image (CV_32S, 0 = background), in label order.
std::vector<double> objectDiameters(const cv::Mat& labels);

// Median and quartiles over all objects. Semantic masks (touching cells merged into one component) bias the
// estimate upwards only through the merged components, which the median largely ignores.
CellSizeEstimate summariseDiameters(std::vector<double> diameters);

}  // namespace fluocount
