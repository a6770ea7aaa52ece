#include "core/threshold_sweep.h"

#include <stdexcept>

#include "core/detections_at_thresholds.h"
#include "core/kneedle.h"
#include "core/postprocess.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace fluocount {

std::vector<double> defaultSweepThresholds() {
  std::vector<double> thresholds;
  for (int i = 0; i < 20; ++i) thresholds.push_back(0.5 + 0.025 * i);
  return thresholds;
}

std::shared_ptr<const ObjectBoxes> detectAtThresholds(const SweepImage& image, const std::vector<double>& thresholds) {
  return std::make_shared<const ObjectBoxes>(objectBoxesAtThresholds(image.heatmap, thresholds, image.postprocess));
}

SweepResult sweepThresholds(const std::vector<SweepImage>& images, const std::vector<double>& thresholds,
                            const MatchingSettings& matching) {
  SweepResult result;
  result.points.resize(thresholds.size());
  std::vector<std::vector<cv::Point2d>> truthCentres(images.size());
  for (std::size_t i = 0; i < images.size(); ++i) {
    if (!images[i].truth) continue;
    truthCentres[i] = boxCentres(*images[i].truth);
    result.hasTruth = true;
  }
  for (int t = 0; t < static_cast<int>(thresholds.size()); ++t) result.points[t].threshold = thresholds[t];
  for (std::size_t i = 0; i < images.size(); ++i) {
    if (images[i].objects && images[i].objects->size() != thresholds.size())
      throw std::invalid_argument("sweepThresholds: the objects kept for " + images[i].name +
                                  " were detected at other thresholds");
    const std::shared_ptr<const ObjectBoxes> detected =
        images[i].objects ? images[i].objects : detectAtThresholds(images[i], thresholds);
    const ObjectBoxes& boxes = *detected;
    for (std::size_t t = 0; t < thresholds.size(); ++t) {
      SweepPoint& point = result.points[t];
      point.totalCount += static_cast<int>(boxes[t].size());
      if (!images[i].truth) continue;
      std::vector<cv::Point2d> centres;
      for (const cv::Rect& box : boxes[t]) centres.push_back(boxCentreOf(box));
      point.counts += matchCentres(centres, truthCentres[i], matching.maxCentreDistancePx).counts;
    }
  }
  for (SweepPoint& point : result.points) {
    point.precision = precisionOf(point.counts);
    point.recall = recallOf(point.counts);
    point.f1 = f1Of(point.counts);
  }
  chooseThresholds(result);
  return result;
}

SweepResult combineSweeps(const std::vector<const SweepResult*>& parts) {
  SweepResult combined;
  for (const SweepResult* part : parts) {
    if (!part || part->points.empty()) continue;
    if (combined.points.empty()) {
      combined.points.resize(part->points.size());
      for (std::size_t t = 0; t < part->points.size(); ++t) combined.points[t].threshold = part->points[t].threshold;
    }
    if (part->points.size() != combined.points.size())
      throw std::invalid_argument("combineSweeps: the sweeps use different thresholds");
    combined.hasTruth = combined.hasTruth || part->hasTruth;
    for (std::size_t t = 0; t < part->points.size(); ++t) {
      combined.points[t].totalCount += part->points[t].totalCount;
      combined.points[t].counts += part->points[t].counts;
    }
  }
  for (SweepPoint& point : combined.points) {
    point.precision = precisionOf(point.counts);
    point.recall = recallOf(point.counts);
    point.f1 = f1Of(point.counts);
  }
  chooseThresholds(combined);
  return combined;
}

void chooseThresholds(SweepResult& result) {
  result.knee.reset();
  result.argmaxF1.reset();
  if (!result.hasTruth || result.points.empty()) return;
  std::vector<double> x, y;
  std::size_t best = 0;
  for (std::size_t i = 0; i < result.points.size(); ++i) {
    x.push_back(result.points[i].threshold);
    y.push_back(result.points[i].f1);
    if (result.points[i].f1 > result.points[best].f1) best = i;
  }
  result.argmaxF1 = best;
  result.knee = findKnee(x, y, CurveShape::Concave, CurveDirection::Decreasing, 1.0);
}

bool sameCutOfFloatHeatmap(double a, double b) {
  const double low = std::min(a, b), high = std::max(a, b);
  if (static_cast<float>(low) != static_cast<float>(high)) return false;  // compared in float: cut apart
  // Compared in double: the first float above `low` must lie above `high` as well.
  float above = static_cast<float>(low);
  if (!(double(above) > low)) above = std::nextafter(above, std::numeric_limits<float>::infinity());
  return double(above) > high;
}

std::optional<int> sweptCountAt(const SweepResult& sweep, double threshold) {
  for (const SweepPoint& point : sweep.points)
    if (sameCutOfFloatHeatmap(point.threshold, threshold)) return point.totalCount;
  return std::nullopt;
}

}  // namespace fluocount
