#include "core/true_cells.h"

#include "core/image_io.h"
#include "core/postprocess.h"

#include <filesystem>

namespace fluocount {

namespace {

// Why these labels cannot stand for the mask's cells, or empty when they can.
std::string disagreement(const cv::Mat& labels, const cv::Mat& mask) {
  if (labels.size() != mask.size())
    return "they are " + std::to_string(labels.cols) + "x" + std::to_string(labels.rows) + " and the mask " +
           std::to_string(mask.cols) + "x" + std::to_string(mask.rows);
  cv::Mat differing;
  cv::bitwise_xor(labels != 0, mask != 0, differing);
  const int pixels = cv::countNonZero(differing);
  if (pixels)
    return "their cells differ from the mask's in " + std::to_string(pixels) + " pixel(s) (mask edited since?)";
  return {};
}

}  // namespace

TrueCells trueCellsOf(const cv::Mat& mask, const std::string& labelsPath, bool useLabels) {
  CV_Assert(mask.type() == CV_8U);
  TrueCells truth;
  if (useLabels && !labelsPath.empty()) {
    try {
      cv::Mat labels = loadLabels(labelsPath);
      const std::string why = disagreement(labels, mask);
      if (why.empty()) {
        truth.labels = std::move(labels);
        truth.source = TruthSource::InstanceLabels;
        return truth;
      }
      truth.note = labelsPath + " not used: " + why + "; the mask's components are the true cells";
    } catch (const ImageError& e) {
      truth.note = std::string(e.what()) + "; the mask's components are the true cells";
    }
  }
  labelComponents(mask, truth.labels);
  return truth;
}

TrueCells trueCells(const std::string& maskPath, const std::string& labelsPath, cv::Size imageSize,
                    const std::string& imagePath, bool useLabels) {
  return trueCellsOf(loadMask(maskPath, imageSize, imagePath), labelsPath, useLabels);
}

}  // namespace fluocount
