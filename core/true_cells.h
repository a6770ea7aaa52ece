#pragma once
// The true cells of an annotated image, decided in one place for evaluate, sweep, diameter, training and the app,
// so that their F1 agree on the same slide:
//  - the instance labels (<dataset>/labels/<stem>.png, beside masks/) when they exist, have the mask's size and
//    cover exactly the mask's cells (the same foreground pixels): they keep touching cells apart where the binary
//    mask merges them;
//  - otherwise the 8-connected components of the mask. Labels that disagree with the mask (a mask corrected in
//    the app since, labels of another size, an unreadable file) are set aside with a note saying why: the mask is
//    the authority on what is a cell.
#include "core/slide_folder.h"

#include <opencv2/core.hpp>

#include <string>

namespace fluocount {

enum class TruthSource { InstanceLabels, MaskComponents };

struct TrueCells {
  cv::Mat labels;  // CV_32S, 0 = background, one number per cell
  TruthSource source = TruthSource::MaskComponents;
  std::string note;  // why labels that exist were not used (empty otherwise)
};

// mask: CV_8U, non-zero = cell. labelsPath may be empty. useLabels false: components even where labels exist
// (fluocount-cli evaluate --mask-components).
TrueCells trueCellsOf(const cv::Mat& mask, const std::string& labelsPath, bool useLabels = true);

// Loads the mask (an ImageError when it is unreadable or, with imageSize given, of another size than the image)
// and decides as above.
TrueCells trueCells(const std::string& maskPath, const std::string& labelsPath, cv::Size imageSize = {},
                    const std::string& imagePath = {}, bool useLabels = true);

}  // namespace fluocount
