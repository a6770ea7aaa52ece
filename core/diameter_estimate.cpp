#include "core/diameter_estimate.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

namespace fluocount {
namespace {

double equivalentDiameter(double areaPx) { return std::sqrt(4.0 * areaPx / M_PI); }

double objectWeight(const DetectedObject& object) {
  const double confidence = object.meanProbability > 0 ? object.meanProbability : 1.0;
  return object.areaPx * confidence;
}

// The value below and above which half of the total weight lies.
double weightedMedian(std::vector<std::pair<double, double>> valueAndWeight) {
  if (valueAndWeight.empty()) return 0;
  std::sort(valueAndWeight.begin(), valueAndWeight.end());
  double total = 0;
  for (const auto& [value, weight] : valueAndWeight) total += weight;
  double below = 0;
  for (const auto& [value, weight] : valueAndWeight) {
    below += weight;
    if (below >= total / 2) return value;
  }
  return valueAndWeight.back().first;
}

double rounded(double diameterPx, const DiameterSearchSettings& settings) {
  const double clamped = std::clamp(diameterPx, settings.minimumPx, settings.maximumPx);
  return settings.roundToPx > 0
             ? std::max(settings.roundToPx, std::round(clamped / settings.roundToPx) * settings.roundToPx)
             : clamped;
}

// Which labels lie within one pixel of another label (indexed by label): two objects touch when one pixel's 3x3
// neighbourhood holds both, as across a watershed line or where two components meet diagonally.
std::vector<bool> touchingLabels(const cv::Mat& labels) {
  double largest = 0;
  cv::minMaxLoc(labels, nullptr, &largest);
  std::vector<bool> touching(static_cast<std::size_t>(std::max(0.0, largest)) + 1, false);
  for (int y = 0; y < labels.rows; ++y) {
    const int* rows[3] = {labels.ptr<int>(std::max(0, y - 1)), labels.ptr<int>(y),
                          labels.ptr<int>(std::min(labels.rows - 1, y + 1))};
    for (int x = 0; x < labels.cols; ++x) {
      int first = 0;
      for (const int* row : rows)
        for (int nx = std::max(0, x - 1); nx <= std::min(labels.cols - 1, x + 1); ++nx) {
          const int label = row[nx];
          if (label <= 0 || label == first) continue;
          if (first == 0)
            first = label;
          else
            touching[first] = touching[label] = true;
        }
    }
  }
  return touching;
}

}  // namespace

double typicalObjectDiameter(const Detection& detection, int minimumIsolated) {
  std::vector<std::pair<double, double>> all, isolated;
  const std::vector<bool> touching = detection.labels.empty() ? std::vector<bool>() : touchingLabels(detection.labels);
  for (const DetectedObject& object : detection.objects) {
    all.emplace_back(equivalentDiameter(object.areaPx), objectWeight(object));
    const bool known = object.label > 0 && static_cast<std::size_t>(object.label) < touching.size();
    if (known && !touching[object.label]) isolated.push_back(all.back());
  }
  return weightedMedian(static_cast<int>(isolated.size()) >= minimumIsolated ? std::move(isolated) : std::move(all));
}

DiameterProbe measureProbe(const Detection& detection, double diameterPx, const DiameterSearchSettings& settings) {
  DiameterProbe probe;
  probe.diameterPx = diameterPx;
  probe.objects = detection.count();
  for (const DetectedObject& object : detection.objects) probe.weight += objectWeight(object);
  if (probe.objects >= settings.minimumObjects)
    probe.estimatePx = typicalObjectDiameter(detection, settings.minimumObjects);
  return probe;
}

DiameterEstimate estimateCellDiameter(const std::function<Detection(double)>& detectAt,
                                      const DiameterSearchSettings& settings) {
  DiameterEstimate result;
  std::vector<double> probes = settings.probesPx;
  std::sort(probes.rbegin(), probes.rend());  // largest first: the network's cheapest pass
  std::vector<std::optional<DiameterProbe>> measured(probes.size());
  const auto probeAt = [&](std::size_t i) -> const DiameterProbe& {
    if (!measured[i]) {
      measured[i] = measureProbe(detectAt(probes[i]), probes[i], settings);
      result.probes.push_back(*measured[i]);
    }
    return *measured[i];
  };
  // From the largest probe down, the first whose cells measure no less than 1/sqrt(2) of it: a smaller probe
  // would assume cells smaller than they are. A probe that finds nothing hands on to the next smaller one (cells
  // far smaller than assumed vanish below the minimum object area), and so does one whose few objects the next
  // probe multiplies (maximumObjectGrowth).
  double chosen = 0;
  for (std::size_t i = 0; i < probes.size(); ++i) {
    const DiameterProbe& probe = probeAt(i);
    if (probe.estimatePx <= 0) continue;
    chosen = probe.estimatePx;
    if (probe.estimatePx < probes[i] / std::sqrt(2.0)) continue;
    const bool smallerProbeMultipliesObjects =
        i + 1 < probes.size() && probeAt(i + 1).objects > settings.maximumObjectGrowth * probe.objects;
    if (!smallerProbeMultipliesObjects) break;
  }
  if (chosen <= 0) return result;
  // One refinement at the estimate, where the network sees the cells at its own canonical size.
  // A refinement at a probe's own diameter would repeat that probe's pass.
  const double refineAt = rounded(chosen, settings);
  const auto sameProbe = std::find(probes.begin(), probes.end(), refineAt);
  const std::size_t probeIndex = static_cast<std::size_t>(sameProbe - probes.begin());
  const DiameterProbe refinement = sameProbe != probes.end() && measured[probeIndex]
                                       ? *measured[probeIndex]
                                       : measureProbe(detectAt(refineAt), refineAt, settings);
  result.probes.push_back(refinement);
  result.diameterPx = rounded(refinement.estimatePx > 0 ? refinement.estimatePx : chosen, settings);
  return result;
}

bool mostImagesWithoutCells(const std::vector<int>& counts) {
  return 2 * std::count(counts.begin(), counts.end(), 0) > std::ptrdiff_t(counts.size());
}

double folderDiameter(const std::vector<DiameterEstimate>& images) {
  std::vector<std::pair<double, double>> votes;
  for (const DiameterEstimate& image : images)
    if (image.found() && !image.probes.empty()) votes.emplace_back(image.diameterPx, image.probes.back().weight);
  return weightedMedian(std::move(votes));
}

}  // namespace fluocount
