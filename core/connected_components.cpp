#include "core/connected_components.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>

namespace fluocount {

ConnectedComponents connectedComponentsOf(const cv::Mat& mask, int connectivity) {
  CV_Assert(mask.type() == CV_8U && (connectivity == 4 || connectivity == 8));
  ConnectedComponents result;
  const int n = cv::connectedComponents(mask, result.labels, connectivity, CV_32S);
  result.areas.assign(static_cast<std::size_t>(n), 0);
  // Rows are visited in order, so a label's top row is the row of its first pixel and its bottom row the last. A row
  // is read run by run (a run: consecutive pixels of one label), which costs little more than reading it.
  std::vector<int> left(n), right(n), top(n), bottom(n);
  for (int y = 0; y < mask.rows; ++y) {
    const auto* l = result.labels.ptr<int>(y);
    for (int x = 0; x < mask.cols;) {
      const int label = l[x];
      const int start = x;
      while (x < mask.cols && l[x] == label) ++x;
      if (label == 0) continue;
      if (result.areas[label] == 0) {
        top[label] = y;
        left[label] = start;
        right[label] = x - 1;
      } else {
        left[label] = std::min(left[label], start);
        right[label] = std::max(right[label], x - 1);
      }
      result.areas[label] += x - start;
      bottom[label] = y;
    }
  }
  result.boxes.assign(static_cast<std::size_t>(n), cv::Rect());
  for (int label = 1; label < n; ++label)
    if (result.areas[label] > 0)
      result.boxes[label] =
          cv::Rect(left[label], top[label], right[label] - left[label] + 1, bottom[label] - top[label] + 1);
  return result;
}

}  // namespace fluocount
