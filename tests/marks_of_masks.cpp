// A count by hand simulated from an annotation, for models/few-shot-benchmark.sh --from-marks: the true cells of a
// mask (its instance labels where given, as evaluate takes them: core/true_cells.h) as one Fiji multi-point ROI, a
// mark at the centre of each cell's box, where a person counting the slide would click.
//   marks_of_masks <mask.png> <labels.png or -> <out.roi>
#include "core/imagej_roi.h"
#include "core/metrics.h"
#include "core/true_cells.h"

#include <cstdio>
#include <fstream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: marks_of_masks <mask.png> <labels.png or -> <out.roi>\n");
    return 2;
  }
  try {
    const std::string labels = std::string(argv[2]) == "-" ? std::string() : argv[2];
    const fluocount::TrueCells truth = fluocount::trueCells(argv[1], labels);
    std::vector<cv::Point2d> marks = fluocount::boxCentres(fluocount::measureLabels(truth.labels));
    for (cv::Point2d& mark : marks) mark += cv::Point2d(0.5, 0.5);  // ImageJ puts a pixel's centre at +0.5
    std::ofstream(argv[3], std::ios::binary) << fluocount::encodePointRoi("count", marks);
    std::printf("%zu marks\n", marks.size());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "marks_of_masks: %s\n", e.what());
    return 1;
  }
}
