#pragma once
// Editing a binary cell mask (CV_8U, 0 or 255) with the tools a biologist corrects a model's result with: brush
// and eraser strokes, flood fill, polygon add/subtract, delete an object, delete the objects in a rectangle, cut an
// object in two, and accept detections into the mask. Each edit changes the mask in place and returns a
// MaskChange holding only the pixels it changed, which undoes and redoes it exactly. No Qt: the GUI's undo
// commands wrap these, and the tests drive them directly.
#include "core/mask_origin.h"

#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace fluocount {

constexpr std::uint8_t kCell = 255, kBackground = 0;

// The changed pixels of one edit, as runs along rows: compact for strokes and fills alike.
class MaskChange {
public:
  bool empty() const { return runs_.empty(); }
  std::size_t changedPixels() const;
  std::size_t memoryBytes() const;
  cv::Rect bounds() const { return bounds_; }

  // Records the difference between `before` and `after` (same size, CV_8U): a region of the mask whose top-left
  // pixel is `origin` in mask coordinates.
  static MaskChange between(const cv::Mat& before, const cv::Mat& after, cv::Point origin = {});
  // Appends a later change of the same mask (a stroke's next segment): undo then restores the state before both.
  void merge(const MaskChange& later);

  void undo(cv::Mat& mask) const;
  void redo(cv::Mat& mask) const;

private:
  struct Run {
    int y, x;
    std::vector<std::uint8_t> before, after;
  };
  std::vector<Run> runs_;
  cv::Rect bounds_;
};

// A round brush of `radius` px swept from `from` to `to` (a click: from == to), painting `value`.
MaskChange paintStroke(cv::Mat& mask, cv::Point from, cv::Point to, int radius, std::uint8_t value);
// Fills the 4-connected region of the seed's value with `value` (e.g. the inside of an outlined cell).
MaskChange floodFill(cv::Mat& mask, cv::Point seed, std::uint8_t value);
// Fills a closed polygon (lasso) with `value`: kCell adds, kBackground subtracts.
MaskChange fillPolygon(cv::Mat& mask, const std::vector<cv::Point>& polygon, std::uint8_t value);
// Removes the 8-connected object under `point` (nothing when the point is background).
MaskChange deleteObjectAt(cv::Mat& mask, cv::Point point);
// Removes every object lying entirely inside `rect`.
MaskChange deleteObjectsInside(cv::Mat& mask, cv::Rect rect);
// Clears a line of `width` px from `from` to `to`, which splits an object it crosses (8-connectivity is broken
// by a width of 2 or more).
MaskChange cutAlong(cv::Mat& mask, cv::Point from, cv::Point to, int width = 2);
// Sets the pixels of the given detected objects (labels of a CV_32S label image) to kCell.
MaskChange acceptObjects(cv::Mat& mask, const cv::Mat& labels, const std::vector<int>& objectLabels);
// The same for every object of the label image (every non-zero label).
MaskChange acceptAllObjects(cv::Mat& mask, const cv::Mat& labels);

}  // namespace fluocount

namespace fluocount {

// Writes a mask as a binary PNG (0/255) in the FNC layout, atomically, declaring its origin in the file
// (core/mask_origin.h). Unless allowOverwrite an existing file is an error. Throws FileWriteError naming the file.
void saveMask(const std::string& path, const cv::Mat& mask, bool allowOverwrite = true,
              MaskOrigin origin = MaskOrigin::Drawn);
// The bytes saveMask writes.
std::string maskPngBytes(const cv::Mat& mask, const std::string& path, MaskOrigin origin = MaskOrigin::Drawn);

}  // namespace fluocount
