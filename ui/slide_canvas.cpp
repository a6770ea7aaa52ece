#include "ui/slide_canvas.h"

#include "core/export.h"

#include <QKeyEvent>
#include <QPainter>
#include <QWheelEvent>

#include <cmath>

namespace fluocount::ui {

namespace {
constexpr double kMinZoom = 0.02, kMaxZoom = 32;
}

SlideCanvas::SlideCanvas(QWidget* parent) : QWidget(parent) {
  setFocusPolicy(Qt::StrongFocus);
  setMouseTracking(true);
  setMinimumSize(320, 240);
  setAttribute(Qt::WA_OpaquePaintEvent);
}

void SlideCanvas::clear() {
  image_ = heatmap_ = mask_ = QImage();
  handMarks_.clear();
  overlay_ = {};
  update();
}

void SlideCanvas::setImage(const QImage& image) {
  const bool sameSize = image.size() == image_.size();
  image_ = image;
  heatmap_ = mask_ = proposals_ = QImage();
  handMarks_.clear();
  overlay_ = {};
  if (!sameSize || fitted_) fitToWindow();
  update();
}

void SlideCanvas::replaceImage(const QImage& image) {
  image_ = image;
  update();
}

void SlideCanvas::setHeatmap(const QImage& heatmap) {
  heatmap_ = heatmap;
  update();
}

void SlideCanvas::setMask(const QImage& mask) {
  mask_ = mask;
  update();
}

void SlideCanvas::updateMaskRegion(const cv::Mat& mask, QRect region, QColor colour) {
  if (mask.empty()) return;
  if (mask_.size() != QSize(mask.cols, mask.rows)) {
    mask_ = maskLayer(mask, colour);
  } else {
    region &= mask_.rect();
    const QRgb ink = colour.rgba();
    for (int y = region.top(); y <= region.bottom(); ++y) {
      const std::uint8_t* in = mask.ptr<std::uint8_t>(y);
      auto* out = reinterpret_cast<QRgb*>(mask_.scanLine(y));
      for (int x = region.left(); x <= region.right(); ++x) out[x] = in[x] ? ink : 0;
    }
  }
  update();
}

void SlideCanvas::setHandMarks(const QVector<QPointF>& marks) {
  handMarks_ = marks;
  update();
}

void SlideCanvas::setProposals(const QImage& outlines) {
  proposals_ = outlines;
  update();
}

void SlideCanvas::setToolController(MaskToolController* tools) {
  tools_ = tools;
  connect(tools, &MaskToolController::previewChanged, this, qOverload<>(&QWidget::update));
  connect(tools, &MaskToolController::toolChanged, this,
          [this](MaskTool tool) { setCursor(tool == MaskTool::Navigate ? Qt::ArrowCursor : Qt::CrossCursor); });
}

void SlideCanvas::setOverlay(const DetectionOverlay& overlay) {
  overlay_ = overlay;
  update();
}

void SlideCanvas::setLayers(const CanvasLayers& layers) {
  layers_ = layers;
  update();
}

QPointF SlideCanvas::toImage(QPointF p) const { return (p - origin_) / zoom_; }
QPointF SlideCanvas::toWidget(QPointF p) const { return p * zoom_ + origin_; }

void SlideCanvas::zoomBy(double factor, QPointF anchor) {
  const double zoom = std::clamp(zoom_ * factor, kMinZoom, kMaxZoom);
  const QPointF fixed = toImage(anchor);
  zoom_ = zoom;
  origin_ = anchor - fixed * zoom_;
  fitted_ = false;
  emit zoomChanged(zoom_);
  update();
}

void SlideCanvas::fitToWindow() {
  fitted_ = true;
  if (image_.isNull()) return;
  zoom_ =
      std::clamp(std::min(double(width()) / image_.width(), double(height()) / image_.height()), kMinZoom, kMaxZoom);
  origin_ = QPointF((width() - image_.width() * zoom_) / 2, (height() - image_.height() * zoom_) / 2);
  emit zoomChanged(zoom_);
  update();
}

void SlideCanvas::showActualSize() { zoomBy(1.0 / zoom_, rect().center()); }

void SlideCanvas::resizeEvent(QResizeEvent*) {
  if (fitted_) fitToWindow();
}

void SlideCanvas::drawLayer(QPainter& painter, const QImage& layer, const QRectF& visible, double opacity) {
  if (layer.isNull() || opacity <= 0) return;
  // Draw only the visible pixels: the raster engine would otherwise transform the whole slide on every paint.
  const QRect source = visible.toAlignedRect().intersected(layer.rect());
  if (source.isEmpty()) return;
  painter.setOpacity(opacity);
  painter.drawImage(QRectF(toWidget(source.topLeft()), toWidget(source.bottomRight() + QPoint(1, 1))), layer, source);
}

void SlideCanvas::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.fillRect(rect(), QColor(32, 32, 36));
  if (image_.isNull()) {
    painter.setPen(QColor(170, 170, 170));
    painter.drawText(rect(), Qt::AlignCenter, tr("Open a folder of slides (File > Open Folder, or drop it here)"));
    return;
  }
  painter.setRenderHint(QPainter::SmoothPixmapTransform, zoom_ < 1);
  const QRectF visible(toImage(QPointF(0, 0)), toImage(QPointF(width(), height())));
  if (layers_.image) drawLayer(painter, image_, visible, 1.0);
  if (layers_.heatmap) drawLayer(painter, heatmap_, visible, layers_.heatmapOpacity);
  if (layers_.mask) drawLayer(painter, mask_, visible, layers_.maskOpacity);
  if (layers_.outlines) drawLayer(painter, overlay_.outlines, visible, 1.0);
  drawLayer(painter, proposals_, visible, 1.0);
  painter.setOpacity(1.0);
  drawMarkers(painter);
  drawScaleBar(painter);
  if (regionTools_) {
    regionTools_->setPixelsPerScreenPixel(1 / zoom_);
    regionTools_->paint(painter, QTransform(zoom_, 0, 0, zoom_, origin_.x(), origin_.y()));
  }
  if (tools_) tools_->paintPreview(painter, QTransform(zoom_, 0, 0, zoom_, origin_.x(), origin_.y()));
  if (calibration_) calibration_->paint(painter, QTransform(zoom_, 0, 0, zoom_, origin_.x(), origin_.y()));
}

void SlideCanvas::drawMarkers(QPainter& painter) {
  painter.setRenderHint(QPainter::Antialiasing);
  const double radius = 4;
  if (layers_.mask && !handMarks_.isEmpty()) {  // a dark rim keeps the cross visible on a bright cell
    const QRectF onScreen = QRectF(rect()).adjusted(-radius, -radius, radius, radius);
    for (const QPen& pen : {QPen(QColor(0, 0, 0, 160), 4), QPen(userMaskColour(), 2)}) {
      painter.setPen(pen);
      for (const QPointF& mark : handMarks_) {  // a count by hand may hold thousands: those off screen are skipped
        const QPointF w = toWidget(mark);
        if (!onScreen.contains(w)) continue;
        painter.drawLine(w + QPointF(-radius, 0), w + QPointF(radius, 0));
        painter.drawLine(w + QPointF(0, -radius), w + QPointF(0, radius));
      }
    }
  }
  if (layers_.outlines) {
    painter.setPen(Qt::NoPen);
    painter.setBrush(QColor(80, 220, 255));
    for (const QPointF& c : overlay_.centres) painter.drawEllipse(toWidget(c), 2.0, 2.0);
  }
  if (layers_.ids && zoom_ >= 0.5) {
    painter.setPen(QColor(255, 255, 255));
    QFont font = painter.font();
    font.setPointSizeF(8);
    painter.setFont(font);
    for (int i = 0; i < overlay_.centres.size(); ++i)
      painter.drawText(toWidget(overlay_.centres[i]) + QPointF(4, -4), QString::number(i + 1));
  }
  if (layers_.matches && overlay_.hasTruth) {
    painter.setBrush(Qt::NoBrush);
    painter.setPen(QPen(QColor(60, 220, 90), 2));
    for (const QPointF& c : overlay_.markers.truePositives) painter.drawEllipse(toWidget(c), radius + 4, radius + 4);
    painter.setPen(QPen(QColor(255, 70, 70), 2));
    for (const QPointF& c : overlay_.markers.falsePositives) {
      const QPointF w = toWidget(c);
      painter.drawLine(w + QPointF(-radius - 2, -radius - 2), w + QPointF(radius + 2, radius + 2));
      painter.drawLine(w + QPointF(-radius - 2, radius + 2), w + QPointF(radius + 2, -radius - 2));
    }
    painter.setPen(QPen(QColor(255, 210, 40), 2));
    for (const QPointF& c : overlay_.markers.falseNegatives)
      painter.drawRect(QRectF(toWidget(c) - QPointF(radius + 3, radius + 3), QSizeF(2 * radius + 6, 2 * radius + 6)));
  }
}

void SlideCanvas::setPixelSize(double micrometres) {
  pixelSizeUm_ = micrometres;
  update();
}

// A bar of a round length (1, 2 or 5 x 10^n µm) near a fifth of the visible width, at any zoom.
void SlideCanvas::drawScaleBar(QPainter& painter) {
  if (pixelSizeUm_ <= 0) return;
  const double micrometres = scaleBarMicrometres(int(width() / zoom_), pixelSizeUm_);
  const double length = micrometres / pixelSizeUm_ * zoom_;
  const QString label = micrometres >= 1 ? tr("%1 µm").arg(micrometres) : tr("%1 nm").arg(micrometres * 1000);
  const QFontMetrics metrics(painter.font());
  const QRectF bar(width() - 20 - length, height() - 24, length, 5);
  const QRectF box =
      bar.united(QRectF(bar.center().x() - metrics.horizontalAdvance(label) / 2.0, bar.top() - metrics.height() - 2,
                        metrics.horizontalAdvance(label), metrics.height()))
          .adjusted(-6, -4, 6, 4);
  painter.save();
  painter.setPen(Qt::NoPen);
  painter.setBrush(QColor(0, 0, 0, 150));
  painter.drawRoundedRect(box, 3, 3);
  painter.setBrush(Qt::white);
  painter.drawRect(bar);
  painter.setPen(Qt::white);
  painter.drawText(QRectF(box.left(), bar.top() - metrics.height() - 2, box.width(), metrics.height()), Qt::AlignCenter,
                   label);
  painter.restore();
}

void SlideCanvas::setRegionTools(RegionToolController* regions) {
  regionTools_ = regions;
  connect(regions, &RegionToolController::previewChanged, this, qOverload<>(&QWidget::update));
  connect(regions, &RegionToolController::toolChanged, this, [this](RegionTool tool) {
    setCursor(tool != RegionTool::None ? Qt::CrossCursor : Qt::ArrowCursor);
    setFocus();
  });
}

void SlideCanvas::mouseDoubleClickEvent(QMouseEvent* event) {
  if (regionTools_ && regionTools_->tool() == RegionTool::Polygon &&
      regionTools_->press(toImage(event->position()), event->button(), true))
    return;
  QWidget::mouseDoubleClickEvent(event);
}

void SlideCanvas::setCalibration(DiameterCalibration* calibration) {
  calibration_ = calibration;
  connect(calibration, &DiameterCalibration::changed, this, [this] {
    setCursor(calibration_->isActive() ? Qt::CrossCursor : Qt::ArrowCursor);
    update();
  });
}

void SlideCanvas::wheelEvent(QWheelEvent* event) {
  const double steps = event->angleDelta().y() / 120.0;
  zoomBy(std::pow(1.25, steps), event->position());
  event->accept();
}

void SlideCanvas::mousePressEvent(QMouseEvent* event) {
  if (calibration_ && event->button() != Qt::MiddleButton &&
      calibration_->press(toImage(event->position()), event->button())) {
    calibrationDrag_ = true;
    return;
  }
  if (regionTools_ && regionTools_->tool() != RegionTool::None && event->button() != Qt::MiddleButton &&
      regionTools_->press(toImage(event->position()), event->button())) {
    regionDrag_ = true;
    return;
  }
  if (tools_ && event->button() != Qt::MiddleButton &&
      tools_->press(toImage(event->position()), event->button(), event->modifiers())) {
    toolDrag_ = true;
    return;
  }
  if (event->button() == Qt::LeftButton || event->button() == Qt::MiddleButton) {
    panning_ = true;
    lastMouse_ = event->position();
    setCursor(Qt::ClosedHandCursor);
  }
}

void SlideCanvas::mouseMoveEvent(QMouseEvent* event) {
  if (calibrationDrag_)
    calibration_->move(toImage(event->position()));
  else if (regionTools_ && regionTools_->tool() != RegionTool::None)
    regionTools_->move(toImage(event->position()));
  else if (tools_)
    tools_->move(toImage(event->position()));
  if (panning_) {
    origin_ += event->position() - lastMouse_;
    lastMouse_ = event->position();
    fitted_ = false;
    update();
  }
  const QPointF p = toImage(event->position());
  const QPoint pixel(int(std::floor(p.x())), int(std::floor(p.y())));
  emit hovered(image_.rect().contains(pixel) ? pixel : QPoint(-1, -1));
}

void SlideCanvas::mouseReleaseEvent(QMouseEvent* event) {
  if (calibrationDrag_) {
    calibrationDrag_ = false;
    calibration_->release(toImage(event->position()));
    return;
  }
  if (regionDrag_) {
    regionDrag_ = false;
    regionTools_->release(toImage(event->position()));
    return;
  }
  if (toolDrag_) {
    toolDrag_ = false;
    if (tools_) tools_->release(toImage(event->position()));
    return;
  }
  panning_ = false;
  setCursor(tools_ && tools_->tool() != MaskTool::Navigate ? Qt::CrossCursor : Qt::ArrowCursor);
}

void SlideCanvas::keyPressEvent(QKeyEvent* event) {
  if (regionTools_ && regionTools_->tool() != RegionTool::None && regionTools_->key(event->key())) return;
  const double pan = 80;
  switch (event->key()) {
    case Qt::Key_Plus:
    case Qt::Key_Equal: zoomBy(1.25, rect().center()); break;
    case Qt::Key_Minus: zoomBy(0.8, rect().center()); break;
    case Qt::Key_0: fitToWindow(); break;
    case Qt::Key_1: showActualSize(); break;
    case Qt::Key_Left:
      origin_.rx() += pan;
      fitted_ = false;
      update();
      break;
    case Qt::Key_Right:
      origin_.rx() -= pan;
      fitted_ = false;
      update();
      break;
    case Qt::Key_Up:
      origin_.ry() += pan;
      fitted_ = false;
      update();
      break;
    case Qt::Key_Down:
      origin_.ry() -= pan;
      fitted_ = false;
      update();
      break;
    case Qt::Key_BracketLeft:
      if (tools_) tools_->setBrushRadius(tools_->brushRadius() * 4 / 5);
      break;
    case Qt::Key_BracketRight:
      if (tools_) tools_->setBrushRadius(tools_->brushRadius() * 5 / 4 + 1);
      break;
    default: QWidget::keyPressEvent(event);
  }
}

}  // namespace fluocount::ui
