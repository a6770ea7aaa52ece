#include "ui/model/tools/delete_object_tool.h"

#include <QObject>

namespace fluocount::ui {

bool DeleteObjectTool::press(MaskToolContext& context, QPointF point, Qt::MouseButton button) {
  if (button != Qt::LeftButton) return false;
  const cv::Point at = pixel(point);
  context.document->apply(QObject::tr("Delete object"), [at](cv::Mat& mask) { return deleteObjectAt(mask, at); });
  context.document->finishEdit();
  return true;
}

}  // namespace fluocount::ui
