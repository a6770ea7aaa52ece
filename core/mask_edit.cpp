#include "core/mask_edit.h"

#include "core/atomic_file.h"
#include "core/postprocess.h"

#include <opencv2/imgcodecs.hpp>

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <climits>
#include <set>

namespace fluocount {

namespace {

// Applies `edit` to a copy of the region it can touch, then records and commits the difference.
template <typename Edit>
MaskChange editRegion(cv::Mat& mask, cv::Rect region, Edit edit) {
  CV_Assert(mask.type() == CV_8U);
  region &= cv::Rect(0, 0, mask.cols, mask.rows);
  if (region.empty()) return {};
  cv::Mat after = mask(region).clone();
  edit(after, region.tl());
  MaskChange change = MaskChange::between(mask(region), after, region.tl());
  after.copyTo(mask(region));
  return change;
}

cv::Rect around(cv::Point a, cv::Point b, int margin) {
  return cv::Rect(std::min(a.x, b.x) - margin, std::min(a.y, b.y) - margin, std::abs(a.x - b.x) + 2 * margin + 1,
                  std::abs(a.y - b.y) + 2 * margin + 1);
}

}  // namespace

std::size_t MaskChange::changedPixels() const {
  std::size_t n = 0;
  for (const Run& run : runs_) n += run.after.size();
  return n;
}

std::size_t MaskChange::memoryBytes() const {
  std::size_t bytes = sizeof(*this);
  for (const Run& run : runs_) bytes += sizeof(Run) + run.before.capacity() + run.after.capacity();
  return bytes;
}

MaskChange MaskChange::between(const cv::Mat& before, const cv::Mat& after, cv::Point origin) {
  CV_Assert(before.type() == CV_8U && after.type() == CV_8U && before.size() == after.size());
  MaskChange change;
  int minX = INT_MAX, minY = INT_MAX, maxX = -1, maxY = -1;
  for (int row = 0; row < before.rows; ++row) {
    const std::uint8_t* b = before.ptr<std::uint8_t>(row);
    const std::uint8_t* a = after.ptr<std::uint8_t>(row);
    const int y = row + origin.y;
    for (int x = 0; x < before.cols;) {
      if (a[x] == b[x]) {
        ++x;
        continue;
      }
      Run run{y, x + origin.x, {}, {}};
      while (x < before.cols && a[x] != b[x]) {
        run.before.push_back(b[x]);
        run.after.push_back(a[x]);
        ++x;
      }
      minX = std::min(minX, run.x);
      maxX = std::max(maxX, x - 1 + origin.x);
      minY = std::min(minY, y);
      maxY = y;
      change.runs_.push_back(std::move(run));
    }
  }
  if (!change.runs_.empty()) change.bounds_ = cv::Rect(minX, minY, maxX - minX + 1, maxY - minY + 1);
  return change;
}

void MaskChange::merge(const MaskChange& later) {
  runs_.insert(runs_.end(), later.runs_.begin(), later.runs_.end());
  bounds_ = bounds_.empty() ? later.bounds_ : (later.bounds_.empty() ? bounds_ : (bounds_ | later.bounds_));
}

void MaskChange::undo(cv::Mat& mask) const {
  // Later runs may overwrite pixels of earlier ones (a merged stroke), so undo goes backwards.
  for (auto run = runs_.rbegin(); run != runs_.rend(); ++run)
    std::copy(run->before.begin(), run->before.end(), mask.ptr<std::uint8_t>(run->y) + run->x);
}

void MaskChange::redo(cv::Mat& mask) const {
  for (const Run& run : runs_) std::copy(run.after.begin(), run.after.end(), mask.ptr<std::uint8_t>(run.y) + run.x);
}

MaskChange paintStroke(cv::Mat& mask, cv::Point from, cv::Point to, int radius, std::uint8_t value) {
  radius = std::max(radius, 0);
  return editRegion(mask, around(from, to, radius + 1), [&](cv::Mat& region, cv::Point offset) {
    // A thick line has square ends (and a click would paint a square): the round caps are circles.
    if (from != to) cv::line(region, from - offset, to - offset, cv::Scalar(value), 2 * radius + 1, cv::LINE_8);
    cv::circle(region, from - offset, radius, cv::Scalar(value), cv::FILLED, cv::LINE_8);
    cv::circle(region, to - offset, radius, cv::Scalar(value), cv::FILLED, cv::LINE_8);
  });
}

MaskChange floodFill(cv::Mat& mask, cv::Point seed, std::uint8_t value) {
  if (!cv::Rect(0, 0, mask.cols, mask.rows).contains(seed) || mask.at<std::uint8_t>(seed) == value) return {};
  cv::Mat filled = mask.clone();
  cv::Rect touched;
  cv::floodFill(filled, seed, cv::Scalar(value), &touched, cv::Scalar(0), cv::Scalar(0), 4);
  return editRegion(mask, touched,
                    [&](cv::Mat& region, cv::Point offset) { filled(cv::Rect(offset, region.size())).copyTo(region); });
}

MaskChange fillPolygon(cv::Mat& mask, const std::vector<cv::Point>& polygon, std::uint8_t value) {
  if (polygon.size() < 3) return {};
  return editRegion(mask, cv::boundingRect(polygon), [&](cv::Mat& region, cv::Point offset) {
    std::vector<cv::Point> shifted;
    for (const cv::Point& p : polygon) shifted.push_back(p - offset);
    cv::fillPoly(region, std::vector<std::vector<cv::Point>>{shifted}, cv::Scalar(value), cv::LINE_8);
  });
}

MaskChange deleteObjectAt(cv::Mat& mask, cv::Point point) {
  if (!cv::Rect(0, 0, mask.cols, mask.rows).contains(point) || !mask.at<std::uint8_t>(point)) return {};
  cv::Mat cleared = mask.clone();
  cv::Rect touched;
  cv::floodFill(cleared, point, cv::Scalar(kBackground), &touched, cv::Scalar(0), cv::Scalar(0), 8);
  return editRegion(mask, touched, [&](cv::Mat& region, cv::Point offset) {
    cleared(cv::Rect(offset, region.size())).copyTo(region);
  });
}

MaskChange deleteObjectsInside(cv::Mat& mask, cv::Rect rect) {
  rect &= cv::Rect(0, 0, mask.cols, mask.rows);
  if (rect.empty()) return {};
  cv::Mat labels;
  labelComponents(mask, labels);
  // Labels that reach outside the rectangle are kept.
  std::set<int> inside, outside;
  for (int y = 0; y < mask.rows; ++y) {
    const int* row = labels.ptr<int>(y);
    for (int x = 0; x < mask.cols; ++x)
      if (row[x]) (rect.contains({x, y}) ? inside : outside).insert(row[x]);
  }
  for (int label : outside) inside.erase(label);
  return editRegion(mask, rect, [&](cv::Mat& region, cv::Point offset) {
    for (int y = 0; y < region.rows; ++y)
      for (int x = 0; x < region.cols; ++x)
        if (inside.count(labels.at<int>(y + offset.y, x + offset.x))) region.at<std::uint8_t>(y, x) = kBackground;
  });
}

MaskChange cutAlong(cv::Mat& mask, cv::Point from, cv::Point to, int width) {
  width = std::max(width, 1);
  return editRegion(mask, around(from, to, width + 1), [&](cv::Mat& region, cv::Point offset) {
    cv::line(region, from - offset, to - offset, cv::Scalar(kBackground), width, cv::LINE_8);
  });
}

MaskChange acceptObjects(cv::Mat& mask, const cv::Mat& labels, const std::vector<int>& objectLabels) {
  CV_Assert(labels.type() == CV_32S && labels.size() == mask.size());
  const std::set<int> wanted(objectLabels.begin(), objectLabels.end());
  cv::Rect region;
  for (int y = 0; y < labels.rows; ++y) {
    const int* row = labels.ptr<int>(y);
    for (int x = 0; x < labels.cols; ++x)
      if (row[x] && wanted.count(row[x]))
        region = region.empty() ? cv::Rect(x, y, 1, 1) : (region | cv::Rect(x, y, 1, 1));
  }
  return editRegion(mask, region, [&](cv::Mat& r, cv::Point offset) {
    for (int y = 0; y < r.rows; ++y)
      for (int x = 0; x < r.cols; ++x)
        if (wanted.count(labels.at<int>(y + offset.y, x + offset.x))) r.at<std::uint8_t>(y, x) = kCell;
  });
}

MaskChange acceptAllObjects(cv::Mat& mask, const cv::Mat& labels) {
  double highest = 0;
  if (!labels.empty()) cv::minMaxLoc(labels, nullptr, &highest);
  std::vector<int> all;
  for (int label = 1; label <= int(highest); ++label) all.push_back(label);
  return acceptObjects(mask, labels, all);
}

}  // namespace fluocount

namespace fluocount {

std::string maskPngBytes(const cv::Mat& mask, const std::string& path, MaskOrigin origin) {
  CV_Assert(mask.type() == CV_8U);
  const cv::Mat binary = mask > 0;  // 0 or 255
  std::vector<std::uint8_t> png;
  if (!cv::imencode(".png", binary, png)) throw FileWriteError(path + ": cannot encode the mask as PNG");
  return withMaskOrigin(std::string(png.begin(), png.end()), origin);
}

void saveMask(const std::string& path, const cv::Mat& mask, bool allowOverwrite, MaskOrigin origin) {
  writeFileAtomically(path, maskPngBytes(mask, path, origin), allowOverwrite ? Overwrite::Allow : Overwrite::Refuse);
}

}  // namespace fluocount
