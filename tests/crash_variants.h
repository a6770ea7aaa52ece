#pragma once
// What crash_writer writes in its k-th round, so that test_crash_safety can tell a complete file of some round
// from a damaged one: a real mask with a disc whose place depends on k, and a count table whose every row
// carries k.
#include "core/export.h"

#include <opencv2/imgproc.hpp>

#include <string>
#include <vector>

namespace fluocount::test {

constexpr int kCrashVariants = 4;

inline cv::Mat crashMask(const cv::Mat& realMask, int k) {
  cv::Mat mask = realMask.clone();
  cv::circle(mask, {100 + 200 * (k % kCrashVariants), 100}, 40, cv::Scalar(255), cv::FILLED);
  return mask;
}

inline std::string crashTable(int k) {
  std::vector<CountRow> rows(3000);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i].file = "slide" + std::to_string(i) + ".png";
    rows[i].count = k % kCrashVariants;
  }
  return countsCsv(rows);
}

}  // namespace fluocount::test
