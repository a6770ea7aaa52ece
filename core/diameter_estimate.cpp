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

bool centredIn(const cv::Point2d& centre, const cv::Rect& window) {
  return centre.x >= window.x && centre.x < window.x + window.width && centre.y >= window.y &&
         centre.y < window.y + window.height;
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

cv::Rect centralQuarter(const cv::Size& image) {
  const cv::Size half(std::max(1, image.width / 2), std::max(1, image.height / 2));
  return cv::Rect((image.width - half.width) / 2, (image.height - half.height) / 2, half.width, half.height);
}

namespace {

void keepObjectsCentredIn(Detection& detection, const cv::Rect& window) {
  auto& objects = detection.objects;
  objects.erase(std::remove_if(objects.begin(), objects.end(),
                               [&](const DetectedObject& object) { return !centredIn(object.centroid, window); }),
                objects.end());
}

// One search: the probes, largest first, each run at most once on the whole image.
class ProbeSearch {
public:
  ProbeSearch(const DetectAtDiameter& detectAt, const DiameterSearchSettings& settings, DiameterEstimate& result)
      : detectAt_(detectAt), settings_(settings), result_(result), probes_(settings.probesPx) {
    std::sort(probes_.rbegin(), probes_.rend());  // largest first: the network's cheapest pass
    measured_.resize(probes_.size());
  }

  std::size_t size() const { return probes_.size(); }
  double diameterAt(std::size_t i) const { return probes_[i]; }

  const DiameterProbe& probeAt(std::size_t i) {
    if (!measured_[i]) {
      const Detection detection = detectAt_(probes_[i], cv::Rect());
      measured_[i] = Measured{measureProbe(detection, probes_[i], settings_), detection.labels.size(), {}};
      for (const DetectedObject& object : detection.objects) measured_[i]->centres.push_back(object.centroid);
      result_.probes.push_back(measured_[i]->probe);
    }
    return measured_[i]->probe;
  }

  // Whether probe i + 1 finds many times the objects probe i found. Counted on the central quarter of the image
  // where that holds enough of probe i's objects: the ratio is a density, which a quarter shows as well as the whole.
  // The central one, not the one with most objects: a few clumps gather where the cells are densest, so the quarter
  // that holds them all holds only a part of the cells the smaller probe finds (on a real DSB2018 slide of 289 nuclei:
  // all 5 clumps and 18 of the 54 objects at 30 px, 3.6 a clump against 11 over the whole slide). Probe i + 1 then
  // runs on the quarter and a margin of probe i's diameter around it, so that the objects centred in the quarter
  // are whole; both probes count the objects centred in the quarter.
  bool nextProbeMultipliesObjects(std::size_t i) {
    if (i + 1 >= probes_.size()) return false;
    const Measured& larger = *measured_[i];
    const cv::Rect quarter = larger.imageSize.empty() ? cv::Rect() : centralQuarter(larger.imageSize);
    const int inside = static_cast<int>(std::count_if(larger.centres.begin(), larger.centres.end(),
                                                      [&](const cv::Point2d& c) { return centredIn(c, quarter); }));
    const bool windowed = settings_.windowedGrowthCheckObjects > 0 && !quarter.empty() &&
                          inside >= settings_.windowedGrowthCheckObjects && !measured_[i + 1];
    if (!windowed) return probeAt(i + 1).objects > settings_.maximumObjectGrowth * larger.probe.objects;
    const int margin = static_cast<int>(std::ceil(probes_[i]));
    const cv::Rect run =
        cv::Rect(quarter.x - margin, quarter.y - margin, quarter.width + 2 * margin, quarter.height + 2 * margin) &
        cv::Rect(cv::Point(), larger.imageSize);
    Detection detection = detectAt_(probes_[i + 1], run);
    keepObjectsCentredIn(detection, quarter - run.tl());
    DiameterProbe check = measureProbe(detection, probes_[i + 1], settings_);
    check.window = quarter;
    result_.probes.push_back(check);
    return check.objects > settings_.maximumObjectGrowth * inside;
  }

private:
  struct Measured {
    DiameterProbe probe;
    cv::Size imageSize;  // empty where the detection carried no labels
    std::vector<cv::Point2d> centres;
  };
  const DetectAtDiameter& detectAt_;
  const DiameterSearchSettings& settings_;
  DiameterEstimate& result_;
  std::vector<double> probes_;
  std::vector<std::optional<Measured>> measured_;
};

}  // namespace

DiameterEstimate estimateCellDiameter(const DetectAtDiameter& detectAt, const DiameterSearchSettings& settings) {
  DiameterEstimate result;
  ProbeSearch search(detectAt, settings, result);
  // From the largest probe down, the first whose cells measure no less than 1/sqrt(2) of it: a smaller probe
  // would assume cells smaller than they are. A probe that finds nothing hands on to the next smaller one (cells
  // far smaller than assumed vanish below the minimum object area), and so does one whose few objects the next
  // probe multiplies (maximumObjectGrowth).
  std::optional<DiameterProbe> chosen;
  std::size_t chosenAt = 0;
  for (std::size_t i = 0; i < search.size(); ++i) {
    const DiameterProbe& probe = search.probeAt(i);
    if (probe.estimatePx <= 0) continue;
    chosen = probe;
    chosenAt = i;
    if (probe.estimatePx < search.diameterAt(i) / std::sqrt(2.0)) continue;
    if (!search.nextProbeMultipliesObjects(i)) break;
  }
  // No second pass at the estimate: measured on the annotated slides of every dataset, it only pulls the estimate
  // further down where the network's objects are smaller than the annotated cells (header).
  if (!chosen) return result;
  const bool fewSeenOnlyEnlarged = chosenAt > 0 && chosenAt + 1 == search.size() &&
                                   chosen->objects < settings.corroborateBelowObjects &&
                                   search.probeAt(chosenAt - 1).objects < settings.minimumObjects;
  if (fewSeenOnlyEnlarged) return result;
  result.diameterPx = rounded(chosen->estimatePx, settings);
  result.weight = chosen->weight;
  return result;
}

bool mostImagesWithoutCells(const std::vector<int>& counts) {
  return 2 * std::count(counts.begin(), counts.end(), 0) > std::ptrdiff_t(counts.size());
}

double folderDiameter(const std::vector<DiameterEstimate>& images) {
  std::vector<std::pair<double, double>> votes;
  for (const DiameterEstimate& image : images)
    if (image.found()) votes.emplace_back(image.diameterPx, image.weight);
  return weightedMedian(std::move(votes));
}

}  // namespace fluocount
