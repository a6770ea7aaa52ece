#include "ui/model/tools/brush_tool.h"

#include <QObject>
#include <QPainter>

namespace fluocount::ui {

bool BrushTool::press(MaskToolContext& context, QPointF point, Qt::MouseButton button) {
  if (button != Qt::LeftButton) return false;
  if (!context.document->isEditable()) return true;
  stroking_ = true;
  strokeId_ = ++context.lastStrokeId;
  last_ = point;
  strokeTo(context, point);
  return true;
}

bool BrushTool::move(MaskToolContext& context, QPointF point) {
  if (stroking_) strokeTo(context, point);
  return stroking_;
}

bool BrushTool::release(MaskToolContext& context, QPointF) {
  if (!stroking_) return false;
  stroking_ = false;
  context.document->finishEdit();
  return true;
}

void BrushTool::strokeTo(MaskToolContext& context, QPointF point) {
  const cv::Point from = pixel(last_), to = pixel(point);
  const int radius = context.brushRadius;
  const std::uint8_t value = paints_;
  context.document->apply(
      value == kCell ? QObject::tr("Brush stroke") : QObject::tr("Eraser stroke"),
      [=](cv::Mat& mask) { return paintStroke(mask, from, to, radius, value); }, strokeId_);
  last_ = point;
}

void BrushTool::paintPreview(QPainter& painter, const QTransform& toWidget, const MaskToolContext& context,
                             QPointF hover) const {
  const double r = (context.brushRadius + 0.5) * toWidget.m11();
  painter.drawEllipse(toWidget.map(hover), r, r);
}

}  // namespace fluocount::ui
