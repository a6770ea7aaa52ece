#include "ui/model/tools/fill_tool.h"

#include <QObject>

namespace fluocount::ui {

bool FillTool::press(MaskToolContext& context, QPointF point, Qt::MouseButton button) {
  if (button != Qt::LeftButton) return false;
  const cv::Point at = pixel(point);
  context.document->apply(QObject::tr("Fill"), [at](cv::Mat& mask) {
    if (!cv::Rect(0, 0, mask.cols, mask.rows).contains(at)) return MaskChange();
    return floodFill(mask, at, mask.at<std::uint8_t>(at) ? kBackground : kCell);
  });
  context.document->finishEdit();
  return true;
}

}  // namespace fluocount::ui
