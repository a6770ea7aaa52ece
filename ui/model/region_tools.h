#pragma once
// Drawing and editing regions on the canvas, in image coordinates (pixel corners, as the regions file stores
// them): a polygon (click the vertices; click the first again, double-click or press Enter to close; Escape
// cancels), a rectangle or a freehand outline (drag), and vertex editing (drag a vertex). A finished outline is
// checked as a regions file is (inside the slide, not crossing itself); a refused one is reported, not added. It
// also draws every region with its name and count. Widget-free logic: the tests drive it with image points.
#include "ui/model/region_document.h"

#include <QObject>
#include <QPointF>
#include <QPolygonF>
#include <QStringList>
#include <QTransform>

class QPainter;

namespace fluocount::ui {

enum class RegionTool { None, Polygon, Rectangle, Freehand, EditVertices };

class RegionToolController : public QObject {
  Q_OBJECT
public:
  explicit RegionToolController(RegionDocument* document, QObject* parent = nullptr);

  RegionTool tool() const { return tool_; }
  void setTool(RegionTool tool);
  // Image pixels per screen pixel, so that "near a vertex" means the same on screen at any zoom.
  void setPixelsPerScreenPixel(double scale) { grab_ = 8 * scale; }
  // The text under each region's name (its count and density), in the document's order.
  void setLabels(const QStringList& labels);
  int selected() const { return selected_; }
  void select(int index);

  // Canvas events in image coordinates; false when the tool does not use them (the canvas then pans).
  bool press(QPointF point, Qt::MouseButton button, bool doubleClick = false);
  bool move(QPointF point);
  bool release(QPointF point);
  bool key(int key);  // Enter closes a polygon, Escape cancels the outline in progress, Delete removes the selection
  void paint(QPainter& painter, const QTransform& imageToWidget) const;

signals:
  void toolChanged(fluocount::ui::RegionTool tool);
  void selectionChanged(int index);
  void refused(const QString& why);  // an outline that cannot be a region
  void previewChanged();

private:
  void finishOutline(QPolygonF outline);
  QPointF clamped(QPointF point) const;

  RegionDocument* document_;
  RegionTool tool_ = RegionTool::None;
  double grab_ = 8;
  QPolygonF outline_;  // the outline being drawn
  bool dragging_ = false;
  QPointF start_, hover_;
  int selected_ = -1;
  int editRegion_ = -1, editPolygon_ = -1, editRing_ = -1, editVertex_ = -1, dragId_ = 0;
  QStringList labels_;
};

}  // namespace fluocount::ui
