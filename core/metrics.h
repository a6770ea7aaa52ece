#pragma once
// Matching predicted cells to annotated ones and the detection / counting metrics of docs/method.md section 7.
#include "core/postprocess.h"

#include <opencv2/core.hpp>

#include <string>
#include <utility>
#include <vector>

namespace fluocount {

struct MatchCounts {
  int truePositives = 0;
  int falsePositives = 0;
  int falseNegatives = 0;
  MatchCounts& operator+=(const MatchCounts& other);
};

// Conventions for empty cases: precision is 1 when nothing was predicted, recall is 1 when there was nothing to
// find, and F1 and accuracy are 1 when both are empty (nothing to find and nothing found is a perfect answer).
double precisionOf(const MatchCounts& c);
double recallOf(const MatchCounts& c);
double f1Of(const MatchCounts& c);
double accuracyOf(const MatchCounts& c);
int errorsOf(const MatchCounts& c);  // false positives + false negatives

// Whether a model that makes `after` detection errors on some images makes fewer than one that made `before` by
// more than chance would: by at least two standard deviations of the difference of two Poisson counts,
// before - after >= 2 sqrt(before + after). On a validating BBBC039 field of about 90 nuclei, 19 errors down to
// 13 is not (6 < 11.3), though F1 rose 0.905 -> 0.933; 80 down to 24 is (56 >= 20).
bool fewerErrorsBeyondChance(int before, int after);

struct Matching {
  MatchCounts counts;
  std::vector<std::pair<int, int>> pairs;  // (predicted index, target index)
};

// Greedy, in the order of `predicted`: each prediction takes the closest still-unmatched target whose centre lies
// strictly closer than maxDistance.
Matching matchCentres(const std::vector<cv::Point2d>& predicted, const std::vector<cv::Point2d>& targets,
                      double maxDistance);

std::vector<cv::Point2d> boxCentres(const Detection& detection);

struct ImageEvaluation {
  std::string name;
  int trueCount = 0;
  int predictedCount = 0;
  MatchCounts counts;
};

ImageEvaluation evaluateImage(const std::string& name, const Detection& predicted, const Detection& truth,
                              const MatchingSettings& matching);

struct EvaluationSummary {
  int images = 0;
  MatchCounts counts;  // pooled over images
  double precision = 0, recall = 0, f1 = 0, accuracy = 0;
  double meanAbsoluteError = 0, medianAbsoluteError = 0;
  // Mean of (n_pred - n_true) / n_true over the images that have true cells; images without any are left out
  // (their percentage error is undefined) and counted here.
  double meanPercentageError = 0;
  int imagesWithoutTrueCells = 0;
};

EvaluationSummary summarise(const std::vector<ImageEvaluation>& images);

}  // namespace fluocount
