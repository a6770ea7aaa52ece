#include "ui/mask_tools.h"

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

MaskToolController::MaskToolController(MaskDocument* document, QObject* parent)
    : QObject(parent), document_(document) {}

void MaskToolController::setTool(MaskTool tool) {
  if (tool == tool_) return;
  active_ = false;
  lasso_.clear();
  tool_ = tool;
  emit toolChanged(tool);
  emit previewChanged();
}

void MaskToolController::setBrushRadius(int radius) {
  radius = std::clamp(radius, 1, 200);
  if (radius == brushRadius_) return;
  brushRadius_ = radius;
  emit brushRadiusChanged(radius);
  emit previewChanged();
}

cv::Point MaskToolController::pixel(QPointF p) const { return cv::Point(int(std::floor(p.x())), int(std::floor(p.y()))); }

bool MaskToolController::press(QPointF point, Qt::MouseButton button, Qt::KeyboardModifiers) {
  if (tool_ == MaskTool::Navigate || !document_->isOpen()) return false;
  if (tool_ == MaskTool::Propose) {
    if (proposals_.empty() || !cv::Rect(0, 0, proposals_.cols, proposals_.rows).contains(pixel(point))) return true;
    const int label = proposals_.at<int>(pixel(point));
    if (label && pending_.count(label)) acceptProposal(label, button == Qt::LeftButton);
    return true;
  }
  if (button != Qt::LeftButton || !editable()) return button == Qt::LeftButton;
  active_ = true;
  start_ = last_ = point;
  const cv::Point at = pixel(point);
  cv::Mat& mask = document_->pixels();
  switch (tool_) {
    case MaskTool::Brush:
    case MaskTool::Eraser:
      ++strokeId_;
      stroke(point);
      break;
    case MaskTool::Fill:
      document_->record(tr("Fill"), floodFill(mask, at, mask.at<std::uint8_t>(at) ? kBackground : kCell));
      active_ = false;
      break;
    case MaskTool::DeleteObject:
      document_->record(tr("Delete object"), deleteObjectAt(mask, at));
      active_ = false;
      break;
    case MaskTool::AcceptDetection:  // a click accepts one detection, a drag those inside the rectangle
      break;
    case MaskTool::Lasso:
    case MaskTool::LassoSubtract:
      lasso_ = QPolygonF({point});
      break;
    default:
      break;
  }
  if (!active_) document_->finishEdit();
  emit previewChanged();
  return true;
}

bool MaskToolController::move(QPointF point) {
  hover_ = point;
  if (tool_ == MaskTool::Navigate) return false;
  if (active_) {
    if (tool_ == MaskTool::Brush || tool_ == MaskTool::Eraser) stroke(point);
    else if (tool_ == MaskTool::Lasso || tool_ == MaskTool::LassoSubtract) lasso_ << point;
    last_ = point;
  }
  emit previewChanged();
  return active_;
}

bool MaskToolController::release(QPointF point) {
  if (!active_) return false;
  active_ = false;
  cv::Mat& mask = document_->pixels();
  switch (tool_) {
    case MaskTool::Lasso:
    case MaskTool::LassoSubtract: {
      std::vector<cv::Point> polygon;
      for (const QPointF& p : lasso_) polygon.push_back(pixel(p));
      const bool add = tool_ == MaskTool::Lasso;
      document_->record(add ? tr("Lasso add") : tr("Lasso subtract"),
                        fillPolygon(mask, polygon, add ? kCell : kBackground));
      lasso_.clear();
      break;
    }
    case MaskTool::DeleteInRectangle: {
      const QRectF r = QRectF(start_, point).normalized();
      document_->record(tr("Delete objects in rectangle"),
                        deleteObjectsInside(mask, cv::Rect(pixel(r.topLeft()), pixel(r.bottomRight()))));
      break;
    }
    case MaskTool::Cut:
      document_->record(tr("Cut"), cutAlong(mask, pixel(start_), pixel(point), 2));
      break;
    case MaskTool::AcceptDetection:
      acceptDetectionsAt(QRectF(start_, point).normalized());
      break;
    default:
      break;
  }
  document_->finishEdit();
  emit previewChanged();
  return true;
}

void MaskToolController::stroke(QPointF to) {
  const bool brush = tool_ == MaskTool::Brush;
  document_->record(brush ? tr("Brush stroke") : tr("Eraser stroke"),
                    paintStroke(document_->pixels(), pixel(last_), pixel(to), brushRadius_, brush ? kCell : kBackground),
                    strokeId_);
}

void MaskToolController::acceptDetectionsAt(const QRectF& area) {
  const cv::Mat& mask = document_->mask();
  if (detections_.empty() || detections_.size() != mask.size()) return;
  const cv::Point at = pixel(area.topLeft());
  if (area.width() < 3 && area.height() < 3) {
    if (cv::Rect(0, 0, mask.cols, mask.rows).contains(at) && detections_.at<int>(at))
      document_->record(tr("Accept detection"), acceptObjects(document_->pixels(), detections_, {detections_.at<int>(at)}));
    return;
  }
  // The detections lying entirely inside the rectangle.
  const cv::Rect box = cv::Rect(at, pixel(area.bottomRight()) + cv::Point(1, 1)) & cv::Rect(0, 0, mask.cols, mask.rows);
  std::set<int> inside, crossing;
  for (int y = 0; y < detections_.rows; ++y) {
    const int* row = detections_.ptr<int>(y);
    for (int x = 0; x < detections_.cols; ++x)
      if (row[x]) (box.contains({x, y}) ? inside : crossing).insert(row[x]);
  }
  std::vector<int> accepted;
  for (int label : inside)
    if (!crossing.count(label)) accepted.push_back(label);
  document_->record(tr("Accept %n detection(s)", nullptr, int(accepted.size())),
                    acceptObjects(document_->pixels(), detections_, accepted));
}

void MaskToolController::acceptAllDetections() {
  if (!editable() || detections_.empty() || detections_.size() != document_->mask().size()) return;
  double maximum = 0;
  cv::minMaxLoc(detections_, nullptr, &maximum);
  std::vector<int> all;
  for (int label = 1; label <= int(maximum); ++label) all.push_back(label);
  document_->record(tr("Accept all detections"), acceptObjects(document_->pixels(), detections_, all));
  document_->finishEdit();
}

void MaskToolController::setProposals(const cv::Mat& labels) {
  proposals_ = labels;
  pending_.clear();
  double maximum = 0;
  if (!labels.empty()) cv::minMaxLoc(labels, nullptr, &maximum);
  for (int label = 1; label <= int(maximum); ++label) pending_.insert(label);
  emit proposalsChanged();
}

void MaskToolController::acceptProposal(int label, bool accept) {
  pending_.erase(label);
  if (accept && editable()) {
    document_->record(tr("Accept proposal"), acceptObjects(document_->pixels(), proposals_, {label}));
    document_->finishEdit();
  }
  emit proposalsChanged();
}

void MaskToolController::acceptAllProposals() {
  if (pending_.empty() || !editable()) return;
  document_->record(tr("Accept all proposals"),
                    acceptObjects(document_->pixels(), proposals_, std::vector<int>(pending_.begin(), pending_.end())));
  document_->finishEdit();
  pending_.clear();
  emit proposalsChanged();
}

void MaskToolController::rejectAllProposals() {
  pending_.clear();
  emit proposalsChanged();
}

void MaskToolController::paintPreview(QPainter& painter, const QTransform& toWidget) const {
  painter.setRenderHint(QPainter::Antialiasing);
  painter.setBrush(Qt::NoBrush);
  painter.setPen(QPen(QColor(255, 255, 255), 1, Qt::DashLine));
  switch (tool_) {
    case MaskTool::Brush:
    case MaskTool::Eraser: {
      const double r = (brushRadius_ + 0.5) * toWidget.m11();
      painter.drawEllipse(toWidget.map(hover_), r, r);
      break;
    }
    case MaskTool::Lasso:
    case MaskTool::LassoSubtract:
      if (!lasso_.isEmpty()) painter.drawPolygon(toWidget.map(lasso_));
      break;
    case MaskTool::DeleteInRectangle:
    case MaskTool::AcceptDetection:
      if (active_) painter.drawRect(QRectF(toWidget.map(start_), toWidget.map(last_)).normalized());
      break;
    case MaskTool::Cut:
      if (active_) {
        painter.setPen(QPen(QColor(255, 80, 80), 2));
        painter.drawLine(toWidget.map(start_), toWidget.map(last_));
      }
      break;
    default:
      break;
  }
}

}  // namespace fluocount::ui
