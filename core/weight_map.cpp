#include "core/weight_map.h"

#include "core/connected_components.h"
#include "core/postprocess.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace fluocount {

WeightMapSettings WeightMapSettings::scaledTo(double cellDiameterPx) const {
  const double s = cellDiameterPx / referenceDiameterPx;
  WeightMapSettings scaled = *this;
  scaled.referenceDiameterPx = cellDiameterPx;
  scaled.minObjectAreaPx = minObjectAreaPx * s * s;
  scaled.maxHoleAreaPx = maxHoleAreaPx * s * s;
  scaled.minComponentAreaPx = minComponentAreaPx * s * s;
  scaled.sigmaPx = sigmaPx * s;
  scaled.regionOfInterestPx = std::max(1, int(std::lround(regionOfInterestPx * s)));
  return scaled;
}
namespace {

struct PreparedMask {
  cv::Mat cleaned;  // CV_8U 0/255
  ConnectedComponents components;
};

PreparedMask prepare(const cv::Mat& mask, const WeightMapSettings& s) {
  PreparedMask p;
  p.cleaned = fillSmallHoles(removeSmallObjects(mask != 0, s.minObjectAreaPx), s.maxHoleAreaPx);
  p.components = connectedComponentsOf(p.cleaned, 8);
  return p;
}

void addContribution(const cv::Mat& component, cv::Mat& sum, double sigma) {
  cv::Mat distance;
  cv::distanceTransform(component == 0, distance, cv::DIST_L2, cv::DIST_MASK_PRECISE);
  cv::Mat contribution;
  cv::multiply(distance, distance, contribution, -1.0 / (2 * sigma * sigma));
  cv::exp(contribution, contribution);
  sum += contribution;
}

cv::Mat finish(const PreparedMask& p, cv::Mat sum, const WeightMapSettings& s) {
  cv::Mat region;
  cv::dilate(p.cleaned, region,
             cv::getStructuringElement(cv::MORPH_RECT, cv::Size(s.regionOfInterestPx, s.regionOfInterestPx)));
  sum.setTo(0, region == 0);
  cv::max(sum, 1.0, sum);
  cv::Mat cells = sum.mul(s.cellFactor);
  cells.copyTo(sum, p.cleaned);
  return sum;
}

bool largeEnough(const PreparedMask& p, int k, const WeightMapSettings& s) {
  return p.components.areas[k] >= s.minComponentAreaPx;
}

}  // namespace

cv::Mat computeWeightMap(const cv::Mat& mask, const WeightMapSettings& s) {
  const PreparedMask p = prepare(mask, s);
  if (p.components.count() == 0) return cv::Mat(mask.size(), CV_32F, cv::Scalar(1));
  cv::Mat sum = cv::Mat::zeros(mask.size(), CV_32F);
  const int reach = static_cast<int>(std::ceil(s.windowSigmas * s.sigmaPx));
  const cv::Rect whole(0, 0, mask.cols, mask.rows);
  for (int k = 1; k <= p.components.count(); ++k) {
    if (!largeEnough(p, k, s)) continue;
    // Beyond a few sigmas a cell's contribution is below float resolution of the sum: only a window is computed.
    const cv::Rect& box = p.components.boxes[k];
    const cv::Rect window = (box - cv::Point(reach, reach) + cv::Size(2 * reach, 2 * reach)) & whole;
    cv::Mat windowSum = sum(window);
    addContribution(p.components.labels(window) == k, windowSum, s.sigmaPx);
  }
  return finish(p, sum, s);
}

cv::Mat computeWeightMapDirect(const cv::Mat& mask, const WeightMapSettings& s) {
  const PreparedMask p = prepare(mask, s);
  if (p.components.count() == 0) return cv::Mat(mask.size(), CV_32F, cv::Scalar(1));
  cv::Mat sum = cv::Mat::zeros(mask.size(), CV_32F);
  for (int k = 1; k <= p.components.count(); ++k)
    if (largeEnough(p, k, s)) addContribution(p.components.labels == k, sum, s.sigmaPx);
  return finish(p, sum, s);
}

}  // namespace fluocount
