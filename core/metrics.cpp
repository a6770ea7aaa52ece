#include "core/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace fluocount {

MatchCounts& MatchCounts::operator+=(const MatchCounts& other) {
  truePositives += other.truePositives;
  falsePositives += other.falsePositives;
  falseNegatives += other.falseNegatives;
  return *this;
}

double precisionOf(const MatchCounts& c) {
  const int predicted = c.truePositives + c.falsePositives;
  return predicted == 0 ? 1.0 : double(c.truePositives) / predicted;
}

double recallOf(const MatchCounts& c) {
  const int targets = c.truePositives + c.falseNegatives;
  return targets == 0 ? 1.0 : double(c.truePositives) / targets;
}

double f1Of(const MatchCounts& c) {
  const int denominator = 2 * c.truePositives + c.falsePositives + c.falseNegatives;
  return denominator == 0 ? 1.0 : 2.0 * c.truePositives / denominator;
}

double accuracyOf(const MatchCounts& c) {
  const int denominator = c.truePositives + c.falsePositives + c.falseNegatives;
  return denominator == 0 ? 1.0 : double(c.truePositives) / denominator;
}

int errorsOf(const MatchCounts& c) { return c.falsePositives + c.falseNegatives; }

bool fewerErrorsBeyondChance(int before, int after) {
  return before > after && before - after >= 2.0 * std::sqrt(double(before + after));
}

Matching matchCentres(const std::vector<cv::Point2d>& predicted, const std::vector<cv::Point2d>& targets,
                      double maxDistance) {
  Matching matching;
  std::vector<bool> taken(targets.size(), false);
  for (std::size_t p = 0; p < predicted.size(); ++p) {
    int best = -1;
    double bestDistance = std::numeric_limits<double>::infinity();
    for (std::size_t t = 0; t < targets.size(); ++t) {
      if (taken[t]) continue;
      const double d = cv::norm(predicted[p] - targets[t]);
      if (d < maxDistance && d < bestDistance) {
        best = static_cast<int>(t);
        bestDistance = d;
      }
    }
    if (best >= 0) {
      taken[best] = true;
      matching.pairs.emplace_back(static_cast<int>(p), best);
    }
  }
  matching.counts.truePositives = static_cast<int>(matching.pairs.size());
  matching.counts.falsePositives = static_cast<int>(predicted.size()) - matching.counts.truePositives;
  matching.counts.falseNegatives = static_cast<int>(targets.size()) - matching.counts.truePositives;
  return matching;
}

std::vector<cv::Point2d> boxCentres(const Detection& detection) {
  std::vector<cv::Point2d> centres;
  centres.reserve(detection.objects.size());
  for (const auto& object : detection.objects) centres.push_back(object.boxCentre());
  return centres;
}

ImageEvaluation evaluateImage(const std::string& name, const Detection& predicted, const Detection& truth,
                              const MatchingSettings& matching) {
  ImageEvaluation evaluation;
  evaluation.name = name;
  evaluation.trueCount = truth.count();
  evaluation.predictedCount = predicted.count();
  evaluation.counts = matchCentres(boxCentres(predicted), boxCentres(truth), matching.maxCentreDistancePx).counts;
  return evaluation;
}

EvaluationSummary summarise(const std::vector<ImageEvaluation>& images) {
  EvaluationSummary summary;
  summary.images = static_cast<int>(images.size());
  std::vector<double> absoluteErrors;
  double percentageSum = 0;
  int percentageImages = 0;
  for (const auto& image : images) {
    summary.counts += image.counts;
    absoluteErrors.push_back(std::abs(image.predictedCount - image.trueCount));
    if (image.trueCount > 0) {
      percentageSum += double(image.predictedCount - image.trueCount) / image.trueCount;
      ++percentageImages;
    } else {
      ++summary.imagesWithoutTrueCells;
    }
  }
  summary.precision = precisionOf(summary.counts);
  summary.recall = recallOf(summary.counts);
  summary.f1 = f1Of(summary.counts);
  summary.accuracy = accuracyOf(summary.counts);
  if (!absoluteErrors.empty()) {
    double sum = 0;
    for (double e : absoluteErrors) sum += e;
    summary.meanAbsoluteError = sum / absoluteErrors.size();
    std::sort(absoluteErrors.begin(), absoluteErrors.end());
    const std::size_t n = absoluteErrors.size();
    summary.medianAbsoluteError =
        n % 2 ? absoluteErrors[n / 2] : (absoluteErrors[n / 2 - 1] + absoluteErrors[n / 2]) / 2.0;
  }
  summary.meanPercentageError = percentageImages ? percentageSum / percentageImages : 0.0;
  return summary;
}

}  // namespace fluocount
