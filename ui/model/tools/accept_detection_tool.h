#pragma once
// Accept detection: a click copies the model's detected object under it into the mask; a dragged rectangle copies
// every detection lying entirely inside it.
#include "ui/model/tools/mask_tool.h"

namespace fluocount::ui {

class AcceptDetectionTool : public DragTool {
protected:
  void finish(MaskToolContext& context, QPointF start, QPointF end) override;
};

// The labels of the detections lying entirely inside `box` (CV_32S labels).
std::vector<int> detectionsInside(const cv::Mat& detections, cv::Rect box);

}  // namespace fluocount::ui
