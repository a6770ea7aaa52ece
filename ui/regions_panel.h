#pragma once
// The Regions panel: a table of the slide's regions (name, cells, area, density: µm² and cells/mm² when the slide
// has a pixel size, else px² and cells per million px²), names editable in place, the drawing tools, delete, and
// import from QuPath (GeoJSON) or Fiji (RoiSet.zip, .roi) and export to both.
#include "core/image_metadata.h"
#include "ui/model/region_tools.h"

#include <QAbstractTableModel>
#include <QWidget>

#include <optional>

class QLabel;
class QTableView;
class QToolButton;

namespace fluocount::ui {

// Each region's count from the cell centres on screen (a cell belongs to the region that holds its centroid).
std::vector<int> cellsPerRegion(const std::vector<Region>& regions, const QVector<QPointF>& centres);

class RegionTableModel : public QAbstractTableModel {
  Q_OBJECT
public:
  enum Column { Name, Class, Cells, Area, Density, ColumnCount };
  explicit RegionTableModel(RegionDocument* document, QObject* parent = nullptr);

  void setCells(const QVector<QPointF>& centres);  // the detections on screen, -1 counts without them
  void setPixelSize(std::optional<PixelSize> pixelSize);
  const std::vector<int>& counts() const { return counts_; }
  QString labelFor(int row) const;  // "12 cells, 340 /mm²" for the canvas

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
  Qt::ItemFlags flags(const QModelIndex& index) const override;
  bool setData(const QModelIndex& index, const QVariant& value, int role) override;

private:
  void recount();
  QString area(double areaPx) const;
  QString density(int count, double areaPx) const;

  RegionDocument* document_;
  QVector<QPointF> centres_;
  bool haveCells_ = false;
  std::vector<int> counts_;
  std::optional<PixelSize> pixelSize_;
};

class RegionsPanel : public QWidget {
  Q_OBJECT
public:
  RegionsPanel(RegionDocument* document, RegionToolController* tools, QWidget* parent = nullptr);
  RegionTableModel* model() const { return model_; }
  QTableView* table() const { return table_; }
  void importRegions(const QString& file);                  // reports failures in the panel
  bool exportRegions(const QString& file, QString* error);  // .geojson or .zip, by the suffix

private:
  RegionDocument* document_;
  RegionToolController* tools_;
  RegionTableModel* model_;
  QTableView* table_;
  QLabel* status_;
};

}  // namespace fluocount::ui
