#pragma once
// The slide viewer: zoom (wheel, +/-, fit, 100 %) and pan (drag, arrow keys) over layered images: the slide, the
// network's heatmap, the detection outlines with ids and centres, the user's mask and the TP/FP/FN markers. Only
// the visible part of each layer is drawn, so large slides stay smooth.
#include "ui/model/cell_diameter.h"
#include "ui/model/mask_tool_controller.h"
#include "ui/model/region_tools.h"
#include "ui/model/slide_layers.h"

#include <QWidget>

namespace fluocount::ui {

struct CanvasLayers {
  bool image = true, heatmap = false, outlines = true, ids = false, mask = true, matches = true;
  double heatmapOpacity = 0.55, maskOpacity = 0.35;
};

class SlideCanvas : public QWidget {
  Q_OBJECT
public:
  explicit SlideCanvas(QWidget* parent = nullptr);

  void clear();
  void setImage(const QImage& image);      // a new slide: the other layers are cleared; a new size is fitted
  void replaceImage(const QImage& image);  // the same slide shown differently (display range)
  void setHeatmap(const QImage& heatmap);
  void setMask(const QImage& mask);
  // Repaints only `region` of the mask layer from the edited mask (CV_8U), so strokes stay fast on big slides.
  void updateMaskRegion(const cv::Mat& mask, QRect region, QColor colour);
  void setProposals(const QImage& outlines);
  // The marks of the slide's count by hand (hand-counts/), in image coordinates: drawn with the mask layer as small
  // crosses of a fixed size on screen, so that the user sees their own count under the detections at any zoom.
  void setHandMarks(const QVector<QPointF>& marks);
  const QVector<QPointF>& handMarks() const { return handMarks_; }
  // Mouse events go to the controller's tool when it has one; the middle button always pans.
  void setToolController(MaskToolController* tools);
  // While a region tool is chosen, it takes the mouse before any mask tool; the regions are always drawn.
  void setRegionTools(RegionToolController* regions);
  // While the calibration is active, it takes the mouse before any mask tool.
  void setCalibration(DiameterCalibration* calibration);
  void setOverlay(const DetectionOverlay& overlay);
  void setLayers(const CanvasLayers& layers);
  // µm per pixel of the slide on screen (0: unknown): a scale bar then sits in the bottom-right corner.
  void setPixelSize(double micrometres);
  double pixelSize() const { return pixelSizeUm_; }
  const CanvasLayers& layers() const { return layers_; }
  const DetectionOverlay& overlay() const { return overlay_; }
  const QImage& image() const { return image_; }  // the slide as shown, before the layers above it

  double zoom() const { return zoom_; }
  void zoomBy(double factor, QPointF anchor);
  void fitToWindow();
  void showActualSize();
  QPointF toImage(QPointF widgetPoint) const;
  QPointF toWidget(QPointF imagePoint) const;

signals:
  void hovered(QPoint imagePixel);  // (-1, -1) outside the image
  void zoomChanged(double zoom);

protected:
  void paintEvent(QPaintEvent*) override;
  void wheelEvent(QWheelEvent*) override;
  void mousePressEvent(QMouseEvent*) override;
  void mouseMoveEvent(QMouseEvent*) override;
  void mouseReleaseEvent(QMouseEvent*) override;
  void mouseDoubleClickEvent(QMouseEvent*) override;
  void keyPressEvent(QKeyEvent*) override;
  void resizeEvent(QResizeEvent*) override;

private:
  void drawLayer(QPainter& painter, const QImage& layer, const QRectF& visible, double opacity);
  void drawMarkers(QPainter& painter);
  void drawScaleBar(QPainter& painter);

  QImage image_, heatmap_, mask_, proposals_;
  QVector<QPointF> handMarks_;
  MaskToolController* tools_ = nullptr;
  RegionToolController* regionTools_ = nullptr;
  bool regionDrag_ = false;
  DiameterCalibration* calibration_ = nullptr;
  bool toolDrag_ = false, calibrationDrag_ = false;
  DetectionOverlay overlay_;
  CanvasLayers layers_;
  double pixelSizeUm_ = 0;
  double zoom_ = 1;
  QPointF origin_;  // widget position of image pixel (0, 0)
  bool fitted_ = true;
  bool panning_ = false;
  QPointF lastMouse_;
};

}  // namespace fluocount::ui
