#include "ui/model/tools/cut_tool.h"

#include <QObject>
#include <QPainter>

namespace fluocount::ui {

void CutTool::finish(MaskToolContext& context, QPointF start, QPointF end) {
  const cv::Point from = pixel(start), to = pixel(end);
  context.document->apply(QObject::tr("Cut"), [=](cv::Mat& mask) { return cutAlong(mask, from, to, 2); });
}

void CutTool::paintPreview(QPainter& painter, const QTransform& toWidget, const MaskToolContext&, QPointF) const {
  if (!dragging_) return;
  painter.setPen(QPen(QColor(255, 80, 80), 2));
  painter.drawLine(toWidget.map(start_), toWidget.map(last_));
}

}  // namespace fluocount::ui
