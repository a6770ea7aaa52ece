#pragma once
// A mask drawn from a count by hand, for a lab whose slides are counted by hand (Fiji's multi-point tool, Cell
// Counter, QuPath's points) and who want to train on them: training learns from masks, and a mark says where a cell
// is but not its outline. Each mark's outline is taken from what the counter detected there, and the user reviews
// the result as proposals before anything is written (the app's Edit > Propose Cells from the Count by Hand).
#include "core/postprocess.h"

#include <opencv2/core.hpp>

#include <vector>

namespace fluocount {

struct MarkedCells {
  // CV_32S, the image's size: mark i's cell is label i + 1 (0: background). No two cells touch, not even at a
  // corner, so the mask they make has one 8-connected component per cell.
  cv::Mat labels;
  int fromDetections = 0;   // marks whose cell is a detected object, alone in it
  int splitDetections = 0;  // marks that share a detected object with other marks: the object is split between them
  int drawnAsDiscs = 0;     // marks no detection holds or lies beside: a disc of the cell diameter
  int withoutPixels = 0;    // marks whose cell came out empty (a second mark on the same pixel as another)
};

// Outlines the cell at each mark (pixel coordinates, (0, 0) the centre of the top-left pixel, as HandCount's):
//  - a mark inside a detected object takes the object; an object that holds several marks is split between them by
//    each pixel going to the mark nearest to it along paths inside the object;
//  - a mark outside every object takes the nearest object that holds no mark and whose box centre lies within half
//    a cell diameter of it (the person clicked beside the cell);
//  - any other mark gets a disc of the cell diameter, on the pixels no other cell takes;
//  - no cell reaches farther than one cell diameter from its mark;
//  - detected objects no mark claims are left out: the person did not count them.
// `detected` holds the counter's objects (Detection::labels, the image's size; empty: none were detected).
MarkedCells cellsOfMarks(const Detection& detected, const std::vector<cv::Point2d>& marks, cv::Size imageSize,
                         double cellDiameterPx);

// The network's own outlines: where its heatmap reaches one half, the decision boundary of a pixel classifier trained
// with binary cross-entropy. The count's threshold (0.85 for the bundled model) is chosen to separate cells, and its
// objects are smaller than the cells a person outlines: on the six FNC slides, two DeepFLaSH slides and a BBBC039
// field of ../shared/data, marks on the annotated cells outlined at one half give masks whose pixels overlap the
// drawn masks by 0.67 (intersection over union, the mean of the nine), at the count's threshold by 0.55, and as
// discs of the cell diameter by 0.55.
constexpr double kOutlineProbability = 0.5;
MarkedCells cellsOfMarksOnHeatmap(const cv::Mat& heatmap, const std::vector<cv::Point2d>& marks, double cellDiameterPx);

}  // namespace fluocount
