#include "ui/model/tools/lasso_tool.h"

#include <QObject>
#include <QPainter>

namespace fluocount::ui {

bool LassoTool::press(MaskToolContext& context, QPointF point, Qt::MouseButton button) {
  if (button != Qt::LeftButton) return false;
  if (context.document->isEditable()) outline_ = QPolygonF({point});
  return true;
}

bool LassoTool::move(MaskToolContext&, QPointF point) {
  if (outline_.isEmpty()) return false;
  outline_ << point;
  return true;
}

bool LassoTool::release(MaskToolContext& context, QPointF) {
  if (outline_.isEmpty()) return false;
  std::vector<cv::Point> polygon;
  for (const QPointF& p : outline_) polygon.push_back(pixel(p));
  outline_.clear();
  const std::uint8_t value = adds_ ? kCell : kBackground;
  context.document->apply(adds_ ? QObject::tr("Lasso add") : QObject::tr("Lasso subtract"),
                          [&](cv::Mat& mask) { return fillPolygon(mask, polygon, value); });
  context.document->finishEdit();
  return true;
}

void LassoTool::paintPreview(QPainter& painter, const QTransform& toWidget, const MaskToolContext&, QPointF) const {
  if (!outline_.isEmpty()) painter.drawPolygon(toWidget.map(outline_));
}

}  // namespace fluocount::ui
