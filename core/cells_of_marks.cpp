#include "core/cells_of_marks.h"

#include "core/watershed.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace fluocount {
namespace {

cv::Point pixelOf(cv::Point2d mark, cv::Size size) {
  return {std::clamp(int(std::lround(mark.x)), 0, size.width - 1),
          std::clamp(int(std::lround(mark.y)), 0, size.height - 1)};
}

// Splits detected object `label` between the marks it holds (indices into marks), writing each part into `cells`
// as its mark's label: each pixel goes to the mark it is nearest to along paths inside the object (a flood from the
// marks over a flat surface). A watershed on the distance transform would cut where the object narrows, but it
// needs its seeds at the cells' centres: a mark a person put near the edge of a merged blob got one pixel.
void splitObject(const cv::Mat& detected, int label, const cv::Rect& box, const std::vector<int>& markIndices,
                 const std::vector<cv::Point2d>& marks, cv::Mat& cells) {
  const cv::Mat object = detected(box) == label;
  cv::Mat seeds = cv::Mat::zeros(box.size(), CV_32S);
  for (int index : markIndices) seeds.at<int>(pixelOf(marks[index], detected.size()) - box.tl()) = index + 1;
  const cv::Mat parts = floodWatershed(cv::Mat::zeros(box.size(), CV_32F), seeds, object, 0, false);
  cv::Mat into = cells(box);
  parts.copyTo(into, parts > 0);
}

// A disc of the cell diameter for each mark in `markIndices`, on the pixels no cell from a detection holds; where two
// discs overlap, each pixel goes to the nearer mark.
void drawDiscs(const std::vector<int>& markIndices, const std::vector<cv::Point2d>& marks, double radius,
               cv::Mat& cells) {
  cv::Mat nearest(cells.size(), CV_32F, cv::Scalar(std::numeric_limits<float>::infinity()));
  const cv::Rect image(0, 0, cells.cols, cells.rows);
  for (int index : markIndices) {
    const cv::Point2d centre = pixelOf(marks[index], cells.size());
    const int reach = int(std::ceil(radius));
    const cv::Rect box = cv::Rect(int(centre.x) - reach, int(centre.y) - reach, 2 * reach + 1, 2 * reach + 1) & image;
    for (int y = box.y; y < box.br().y; ++y)
      for (int x = box.x; x < box.br().x; ++x) {
        const float squared = float((x - centre.x) * (x - centre.x) + (y - centre.y) * (y - centre.y));
        int& owner = cells.at<int>(y, x);
        float& ownerDistance = nearest.at<float>(y, x);
        const bool free = owner == 0 || std::isfinite(ownerDistance);  // background, or another mark's disc
        if (squared <= radius * radius && free && squared < ownerDistance) owner = index + 1, ownerDistance = squared;
      }
  }
}

// Clears each cell's pixels that lie farther than `reach` from its mark: a low-probability region can join a cell to a
// stretch of glowing background, and no cell a person marked reaches that far from the mark.
void keepCellsNearTheirMarks(const std::vector<cv::Point2d>& marks, double reach, cv::Mat& cells) {
  for (int y = 0; y < cells.rows; ++y)
    for (int x = 0; x < cells.cols; ++x) {
      int& label = cells.at<int>(y, x);
      if (label && cv::norm(cv::Point2d(x, y) - marks[std::size_t(label - 1)]) > reach) label = 0;
    }
}

// Clears each pixel that touches (8-connected) a pixel of a cell with a lower label. Of two touching pixels the one
// of the higher label goes, so afterwards no two cells touch, and a binary mask of them has one component per cell.
void keepCellsApart(cv::Mat& cells) {
  const cv::Mat before = cells.clone();
  for (int y = 0; y < cells.rows; ++y)
    for (int x = 0; x < cells.cols; ++x) {
      const int label = before.at<int>(y, x);
      if (!label) continue;
      bool touchesLower = false;
      for (int dy = -1; dy <= 1 && !touchesLower; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const int ny = y + dy, nx = x + dx;
          if (ny < 0 || nx < 0 || ny >= cells.rows || nx >= cells.cols) continue;
          const int other = before.at<int>(ny, nx);
          if (other && other < label) {
            touchesLower = true;
            break;
          }
        }
      if (touchesLower) cells.at<int>(y, x) = 0;
    }
}

// Keeps of each cell only its piece nearest to its mark. Cutting a cell to its mark's reach, or parting it from a
// neighbour, can leave crumbs of it elsewhere, each of which a mask would count as a cell of its own. Cells no
// longer touch here, so each 8-connected piece belongs to one cell.
void keepOnePiecePerCell(const std::vector<cv::Point2d>& marks, cv::Mat& cells) {
  cv::Mat pieces;
  const int count = labelComponents(cells > 0, pieces);
  std::vector<double> pieceDistance(std::size_t(count) + 1, std::numeric_limits<double>::infinity());
  std::vector<int> cellOfPiece(std::size_t(count) + 1, 0);
  for (int y = 0; y < cells.rows; ++y)
    for (int x = 0; x < cells.cols; ++x)
      if (const int label = cells.at<int>(y, x)) {
        const int piece = pieces.at<int>(y, x);
        cellOfPiece[std::size_t(piece)] = label;
        pieceDistance[std::size_t(piece)] =
            std::min(pieceDistance[std::size_t(piece)], cv::norm(cv::Point2d(x, y) - marks[std::size_t(label - 1)]));
      }
  std::vector<int> nearestPiece(marks.size() + 1, 0);
  for (int piece = 1; piece <= count; ++piece) {
    int& best = nearestPiece[std::size_t(cellOfPiece[std::size_t(piece)])];
    if (!best || pieceDistance[std::size_t(piece)] < pieceDistance[std::size_t(best)]) best = piece;
  }
  for (int y = 0; y < cells.rows; ++y)
    for (int x = 0; x < cells.cols; ++x) {
      int& label = cells.at<int>(y, x);
      if (label && nearestPiece[std::size_t(label)] != pieces.at<int>(y, x)) label = 0;
    }
}

}  // namespace

MarkedCells cellsOfMarks(const Detection& detected, const std::vector<cv::Point2d>& marks, cv::Size imageSize,
                         double cellDiameterPx) {
  CV_Assert(detected.labels.empty() || (detected.labels.type() == CV_32S && detected.labels.size() == imageSize));
  MarkedCells result;
  result.labels = cv::Mat::zeros(imageSize, CV_32S);
  const double radius = std::max(cellDiameterPx, 1.0) / 2;

  // The marks each detected object holds, by the pixel each mark lies on.
  std::map<int, std::vector<int>> marksOfObject;
  std::vector<int> outside;
  for (int i = 0; i < int(marks.size()); ++i) {
    const int label = detected.labels.empty() ? 0 : detected.labels.at<int>(pixelOf(marks[i], imageSize));
    if (label)
      marksOfObject[label].push_back(i);
    else
      outside.push_back(i);
  }
  // A mark beside a cell: the nearest object no mark holds, within half a diameter of its box centre.
  std::vector<int> discs;
  for (int i : outside) {
    const DetectedObject* nearest = nullptr;
    double nearestDistance = radius;
    for (const DetectedObject& object : detected.objects) {
      const double distance = cv::norm(object.boxCentre() - marks[i]);
      if (distance < nearestDistance && !marksOfObject.count(object.label))
        nearest = &object, nearestDistance = distance;
    }
    if (nearest)
      marksOfObject[nearest->label] = {i};
    else
      discs.push_back(i);
  }

  std::map<int, cv::Rect> boxes;
  for (const DetectedObject& object : detected.objects) boxes[object.label] = object.boundingBox;
  for (const auto& [label, held] : marksOfObject) {
    const cv::Rect box = boxes.count(label) ? boxes[label] : cv::Rect(0, 0, imageSize.width, imageSize.height);
    if (held.size() == 1) {
      result.labels(box).setTo(held.front() + 1, detected.labels(box) == label);
      ++result.fromDetections;
    } else {
      splitObject(detected.labels, label, box, held, marks, result.labels);
      result.splitDetections += int(held.size());
    }
  }
  drawDiscs(discs, marks, radius, result.labels);
  result.drawnAsDiscs = int(discs.size());
  keepCellsNearTheirMarks(marks, 2 * radius, result.labels);
  keepCellsApart(result.labels);
  keepOnePiecePerCell(marks, result.labels);

  std::vector<char> hasPixels(marks.size() + 1, 0);
  for (int y = 0; y < result.labels.rows; ++y)
    for (int x = 0; x < result.labels.cols; ++x) hasPixels[std::size_t(result.labels.at<int>(y, x))] = 1;
  for (std::size_t i = 1; i < hasPixels.size(); ++i) result.withoutPixels += hasPixels[i] ? 0 : 1;
  return result;
}

MarkedCells cellsOfMarksOnHeatmap(const cv::Mat& heatmap, const std::vector<cv::Point2d>& marks,
                                  double cellDiameterPx) {
  CV_Assert(heatmap.type() == CV_32F);
  cv::Mat outlines;
  labelComponents(heatmap >= kOutlineProbability, outlines);
  return cellsOfMarks(measureLabels(outlines), marks, heatmap.size(), cellDiameterPx);
}

}  // namespace fluocount
