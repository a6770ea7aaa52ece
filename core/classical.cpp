#include "core/classical.h"

#include "core/image_io.h"

#include <opencv2/imgproc.hpp>

namespace fluocount {

ClassicalForeground classicalForeground(const cv::Mat& rgb, double cellDiameterPx, const ClassicalSettings& settings) {
  const cv::Mat intensity = intensityOf(rgb);
  cv::Mat blurred;
  const double sigma = std::max(0.5, settings.blurSigmaPerDiameter * cellDiameterPx);
  cv::GaussianBlur(intensity, blurred, cv::Size(), sigma, sigma, cv::BORDER_REFLECT);
  // Stretch to the full range so that the histogram-shape thresholds see the whole dynamic range.
  double lo = 0, hi = 0;
  cv::minMaxLoc(blurred, &lo, &hi);
  ClassicalForeground result;
  if (hi - lo < 1e-6) {
    result.score = cv::Mat::zeros(rgb.size(), CV_32F);
    result.threshold = 1.0;  // a flat image has no foreground
    return result;
  }
  blurred.convertTo(result.score, CV_32F, 1.0 / (hi - lo), -lo / (hi - lo));
  cv::Mat bytes;
  result.score.convertTo(bytes, CV_8U, 255.0);
  cv::Mat ignored;
  const int flag = settings.method == AutoThreshold::Otsu ? cv::THRESH_OTSU : cv::THRESH_TRIANGLE;
  const double level = cv::threshold(bytes, ignored, 0, 255, cv::THRESH_BINARY | flag);
  // Pixels strictly above `level` (in 8-bit steps) are foreground; expressed on the float score.
  result.threshold = (level + 0.5) / 255.0;
  return result;
}

}  // namespace fluocount
