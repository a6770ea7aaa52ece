#include "ui/model/region_tools.h"

#include <QPainter>
#include <QPainterPath>

#include <opencv2/imgproc.hpp>

#include <cmath>

namespace fluocount::ui {

namespace {
double distance(QPointF a, QPointF b) { return std::hypot(a.x() - b.x(), a.y() - b.y()); }

QPolygonF polygonOf(const Ring& ring) {
  QPolygonF polygon;
  for (const cv::Point2d& p : ring) polygon << QPointF(p.x, p.y);
  return polygon;
}

const QColor kRegionColour(255, 170, 40), kSelectedColour(255, 240, 120);
}  // namespace

RegionToolController::RegionToolController(RegionDocument* document, QObject* parent)
    : QObject(parent), document_(document) {
  connect(document_, &RegionDocument::changed, this, [this] {
    if (selected_ >= int(document_->regions().size())) select(-1);
    emit previewChanged();
  });
}

void RegionToolController::setTool(RegionTool tool) {
  if (tool == tool_) return;
  if (dragging_ && tool_ == RegionTool::EditVertices) document_->holdSaving(false);
  tool_ = tool;
  outline_.clear();
  dragging_ = false;
  emit toolChanged(tool);
  emit previewChanged();
}

void RegionToolController::setLabels(const QStringList& labels) {
  labels_ = labels;
  emit previewChanged();
}

void RegionToolController::select(int index) {
  if (index == selected_) return;
  selected_ = index;
  emit selectionChanged(index);
  emit previewChanged();
}

QPointF RegionToolController::clamped(QPointF point) const {
  const cv::Size size = document_->imageSize();
  return {std::clamp(point.x(), 0.0, double(size.width)), std::clamp(point.y(), 0.0, double(size.height))};
}

bool RegionToolController::press(QPointF point, Qt::MouseButton button, bool doubleClick) {
  if (tool_ == RegionTool::None || !document_->isOpen()) return false;
  if (!document_->isEditable()) {
    emit refused(tr("The regions file of this slide could not be read; it is not changed until it is fixed."));
    return true;
  }
  point = clamped(point);
  switch (tool_) {
    case RegionTool::Polygon:
      if (button == Qt::RightButton || doubleClick ||
          (outline_.size() >= 3 && distance(point, outline_.first()) <= grab_)) {
        if (doubleClick && (outline_.isEmpty() || outline_.last() != point)) outline_ << point;
        finishOutline(outline_);
      } else if (button == Qt::LeftButton) {
        outline_ << point;
      }
      emit previewChanged();
      return true;
    case RegionTool::Rectangle:
    case RegionTool::Freehand:
      if (button != Qt::LeftButton) return false;
      dragging_ = true;
      start_ = point;
      outline_ = QPolygonF{point};
      return true;
    case RegionTool::EditVertices: {
      if (button != Qt::LeftButton) return false;
      const auto& regions = document_->regions();
      double best = grab_;
      editRegion_ = -1;
      for (std::size_t r = 0; r < regions.size(); ++r)
        for (std::size_t p = 0; p < regions[r].polygons.size(); ++p)
          for (std::size_t g = 0; g < regions[r].polygons[p].size(); ++g)
            for (std::size_t v = 0; v < regions[r].polygons[p][g].size(); ++v) {
              const cv::Point2d& vertex = regions[r].polygons[p][g][v];
              const double d = distance(point, QPointF(vertex.x, vertex.y));
              if (d <= best)
                best = d, editRegion_ = int(r), editPolygon_ = int(p), editRing_ = int(g), editVertex_ = int(v);
            }
      if (editRegion_ < 0) {  // a click inside a region selects it
        for (std::size_t r = 0; r < regions.size(); ++r)
          if (regions[r].contains({point.x(), point.y()})) {
            select(int(r));
            return true;
          }
        select(-1);
        return false;
      }
      select(editRegion_);
      ++dragId_;
      dragging_ = true;
      document_->holdSaving(true);  // one write when the vertex is let go, not one per mouse move
      return true;
    }
    case RegionTool::None: break;
  }
  return false;
}

bool RegionToolController::move(QPointF point) {
  hover_ = clamped(point);
  if (tool_ == RegionTool::Polygon && !outline_.isEmpty()) emit previewChanged();
  if (!dragging_) return false;
  point = clamped(point);
  if (tool_ == RegionTool::Rectangle) {
    outline_ = QPolygonF{start_, {point.x(), start_.y()}, point, {start_.x(), point.y()}};
  } else if (tool_ == RegionTool::Freehand) {
    if (distance(point, outline_.last()) >= 1.0) outline_ << point;
  } else if (tool_ == RegionTool::EditVertices && editRegion_ >= 0) {
    Region region = document_->regions()[editRegion_];
    region.polygons[editPolygon_][editRing_][editVertex_] = {point.x(), point.y()};
    try {  // a vertex may only go where the outline stays valid
      Ring checked = checkedRing(region.polygons[editPolygon_][editRing_], document_->imageSize(), "region");
      if (checked.size() != region.polygons[editPolygon_][editRing_].size()) return true;
      document_->reshape(editRegion_, region, dragId_);
    } catch (const RegionError&) {}
  }
  emit previewChanged();
  return true;
}

bool RegionToolController::release(QPointF point) {
  if (!dragging_) return tool_ == RegionTool::Polygon && !outline_.isEmpty();
  move(point);
  dragging_ = false;
  if (tool_ == RegionTool::Rectangle || tool_ == RegionTool::Freehand) finishOutline(outline_);
  if (tool_ == RegionTool::EditVertices) document_->holdSaving(false);
  editRegion_ = -1;
  emit previewChanged();
  return true;
}

bool RegionToolController::key(int key) {
  if (key == Qt::Key_Escape && !outline_.isEmpty()) {
    outline_.clear();
    emit previewChanged();
    return true;
  }
  if ((key == Qt::Key_Return || key == Qt::Key_Enter) && tool_ == RegionTool::Polygon && !outline_.isEmpty()) {
    finishOutline(outline_);
    return true;
  }
  if ((key == Qt::Key_Delete || key == Qt::Key_Backspace) && selected_ >= 0 && tool_ != RegionTool::None) {
    document_->remove(selected_);
    select(-1);
    return true;
  }
  return false;
}

void RegionToolController::finishOutline(QPolygonF outline) {
  outline_.clear();
  dragging_ = false;
  // A freehand trace has a vertex per pixel moved: simplified to within half a pixel, it keeps its shape with far
  // fewer vertices (and stays below the regions file's limit).
  std::vector<cv::Point2f> points;
  for (const QPointF& p : outline) points.emplace_back(float(p.x()), float(p.y()));
  if (tool_ == RegionTool::Freehand && points.size() > 3) {
    std::vector<cv::Point2f> simplified;
    cv::approxPolyDP(points, simplified, 0.5, true);
    points = simplified;
  }
  std::vector<cv::Point2d> vertices(points.begin(), points.end());
  try {
    Region region;
    region.polygons = {{checkedRing(vertices, document_->imageSize(), tr("The outline").toStdString())}};
    document_->add(std::move(region));
    select(int(document_->regions().size()) - 1);
  } catch (const RegionError& e) {
    emit refused(QString::fromUtf8(e.what()));
  }
  emit previewChanged();
}

void RegionToolController::paint(QPainter& painter, const QTransform& imageToWidget) const {
  painter.save();
  painter.setRenderHint(QPainter::Antialiasing);
  const auto& regions = document_->regions();
  QFont font = painter.font();
  font.setBold(true);
  painter.setFont(font);
  for (std::size_t r = 0; r < regions.size(); ++r) {
    const bool selected = int(r) == selected_;
    QPainterPath path;
    path.setFillRule(Qt::OddEvenFill);
    QRectF bounds;
    for (const auto& polygon : regions[r].polygons)
      for (const Ring& ring : polygon) {
        const QPolygonF onScreen = imageToWidget.map(polygonOf(ring));
        path.addPolygon(onScreen);
        path.closeSubpath();
        bounds = bounds.isNull() ? onScreen.boundingRect() : bounds.united(onScreen.boundingRect());
      }
    painter.setBrush(selected ? QBrush(QColor(255, 240, 120, 40)) : QBrush(Qt::NoBrush));
    painter.setPen(QPen(selected ? kSelectedColour : kRegionColour, selected ? 2.5 : 1.5, Qt::DashLine));
    painter.drawPath(path);
    if (tool_ == RegionTool::EditVertices && selected) {
      painter.setBrush(kSelectedColour);
      painter.setPen(Qt::NoPen);
      for (const auto& polygon : regions[r].polygons)
        for (const Ring& ring : polygon)
          for (const cv::Point2d& v : ring) painter.drawEllipse(imageToWidget.map(QPointF(v.x, v.y)), 3.5, 3.5);
    }
    // The name and count at the top-left of the region, on a dark box so that they read on any slide.
    const QString text =
        QString::fromStdString(regions[r].name) + (r < std::size_t(labels_.size()) ? "\n" + labels_[int(r)] : "");
    const QRectF box =
        painter.fontMetrics().boundingRect(QRect(0, 0, 400, 100), Qt::AlignLeft, text).adjusted(-4, -2, 4, 2);
    const QRectF placed = box.translated(bounds.topLeft() + QPointF(6, 6) - box.topLeft());
    painter.setPen(Qt::NoPen);
    painter.setBrush(QColor(0, 0, 0, 160));
    painter.drawRoundedRect(placed, 3, 3);
    painter.setPen(selected ? kSelectedColour : kRegionColour);
    painter.drawText(placed.adjusted(4, 2, -4, -2), Qt::AlignLeft, text);
  }
  if (!outline_.isEmpty()) {
    QPolygonF preview = outline_;
    if (tool_ == RegionTool::Polygon) preview << hover_;
    painter.setBrush(Qt::NoBrush);
    painter.setPen(QPen(kSelectedColour, 1.5));
    painter.drawPolyline(imageToWidget.map(preview));
    if (tool_ == RegionTool::Polygon)
      painter.drawEllipse(imageToWidget.map(outline_.first()), 4, 4);  // click here to close
  }
  painter.restore();
}

}  // namespace fluocount::ui
