#include "ui/model/tools/delete_in_rectangle_tool.h"

#include <QObject>

namespace fluocount::ui {

void DeleteInRectangleTool::finish(MaskToolContext& context, QPointF start, QPointF end) {
  const QRectF r = QRectF(start, end).normalized();
  const cv::Rect box(pixel(r.topLeft()), pixel(r.bottomRight()));
  context.document->apply(QObject::tr("Delete objects in rectangle"),
                          [box](cv::Mat& mask) { return deleteObjectsInside(mask, box); });
}

}  // namespace fluocount::ui
