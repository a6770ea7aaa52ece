#pragma once
// The classical method: Gaussian blur, then an automatic histogram-shape threshold (Otsu or triangle), then the
// same post-processing as the network. It is the paper's semi-automatic labelling, the GUI's auto-propose and the
// baseline every benchmark compares against.
#include <opencv2/core.hpp>

namespace fluocount {

enum class AutoThreshold { Otsu, Triangle };

struct ClassicalSettings {
  double blurSigmaPerDiameter = 0.04;  // Gaussian sigma as a fraction of the cell diameter (2 px at 50 px)
  AutoThreshold method = AutoThreshold::Otsu;
};

struct ClassicalForeground {
  cv::Mat score;     // CV_32F in [0,1]: the blurred intensity, the classical stand-in for a heatmap
  double threshold;  // on `score`
};

// rgb: normalised CV_32FC3.
ClassicalForeground classicalForeground(const cv::Mat& rgb, double cellDiameterPx, const ClassicalSettings& settings);

}  // namespace fluocount
