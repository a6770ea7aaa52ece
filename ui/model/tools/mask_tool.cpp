#include "ui/model/tools/mask_tool.h"

#include <QObject>
#include <QPainter>

#include <cmath>

namespace fluocount::ui {

QString toolName(MaskTool tool) {
  switch (tool) {
    case MaskTool::Navigate: return QObject::tr("Navigate");
    case MaskTool::Brush: return QObject::tr("Brush");
    case MaskTool::Eraser: return QObject::tr("Eraser");
    case MaskTool::Fill: return QObject::tr("Fill");
    case MaskTool::Lasso: return QObject::tr("Lasso add");
    case MaskTool::LassoSubtract: return QObject::tr("Lasso subtract");
    case MaskTool::DeleteObject: return QObject::tr("Delete object");
    case MaskTool::DeleteInRectangle: return QObject::tr("Delete in rectangle");
    case MaskTool::Cut: return QObject::tr("Cut");
    case MaskTool::AcceptDetection: return QObject::tr("Accept detection");
    case MaskTool::Propose: return QObject::tr("Review proposals");
  }
  return {};
}

bool MaskToolBase::move(MaskToolContext&, QPointF) { return false; }
bool MaskToolBase::release(MaskToolContext&, QPointF) { return false; }
void MaskToolBase::paintPreview(QPainter&, const QTransform&, const MaskToolContext&, QPointF) const {}

cv::Point MaskToolBase::pixel(QPointF p) { return cv::Point(int(std::floor(p.x())), int(std::floor(p.y()))); }

bool DragTool::press(MaskToolContext& context, QPointF point, Qt::MouseButton button) {
  if (button != Qt::LeftButton) return false;
  if (!context.document->isEditable()) return true;
  dragging_ = true;
  start_ = last_ = point;
  return true;
}

bool DragTool::move(MaskToolContext&, QPointF point) {
  if (dragging_) last_ = point;
  return dragging_;
}

bool DragTool::release(MaskToolContext& context, QPointF point) {
  if (!dragging_) return false;
  dragging_ = false;
  finish(context, start_, point);
  context.document->finishEdit();
  return true;
}

void DragTool::paintPreview(QPainter& painter, const QTransform& toWidget, const MaskToolContext&, QPointF) const {
  if (dragging_) painter.drawRect(QRectF(toWidget.map(start_), toWidget.map(last_)).normalized());
}

}  // namespace fluocount::ui
