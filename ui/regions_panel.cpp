#include "ui/regions_panel.h"

#include "core/atomic_file.h"
#include "core/imagej_roi.h"

#include <QActionGroup>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

namespace fluocount::ui {

std::vector<int> cellsPerRegion(const std::vector<Region>& regions, const QVector<QPointF>& centres) {
  std::vector<int> counts;
  for (const Region& region : regions) {
    int inside = 0;
    for (const QPointF& c : centres) inside += region.contains({c.x(), c.y()});
    counts.push_back(inside);
  }
  return counts;
}

RegionTableModel::RegionTableModel(RegionDocument* document, QObject* parent)
    : QAbstractTableModel(parent), document_(document) {
  connect(document_, &RegionDocument::changed, this, [this] {
    beginResetModel();
    recount();
    endResetModel();
  });
}

void RegionTableModel::setCells(const QVector<QPointF>& centres) {
  centres_ = centres;
  haveCells_ = true;
  recount();
  if (rowCount() > 0) emit dataChanged(index(0, Cells), index(rowCount() - 1, Density));
}

void RegionTableModel::setPixelSize(std::optional<PixelSize> pixelSize) {
  pixelSize_ = pixelSize;
  emit headerDataChanged(Qt::Horizontal, Area, Density);
  if (rowCount() > 0) emit dataChanged(index(0, Area), index(rowCount() - 1, Density));
}

void RegionTableModel::recount() {
  counts_ =
      haveCells_ ? cellsPerRegion(document_->regions(), centres_) : std::vector<int>(document_->regions().size(), -1);
}

QString RegionTableModel::area(double areaPx) const {
  const QLocale locale;
  if (pixelSize_) return locale.toString(areaPx * pixelSize_->micrometres * pixelSize_->micrometres, 'f', 0);
  return locale.toString(areaPx, 'f', 0);
}

QString RegionTableModel::density(int count, double areaPx) const {
  if (count < 0 || areaPx <= 0) return {};
  const QLocale locale;
  if (pixelSize_)
    return locale.toString(count / (areaPx * pixelSize_->micrometres * pixelSize_->micrometres) * 1e6, 'f', 1);
  return locale.toString(count / areaPx * 1e6, 'f', 1);
}

QString RegionTableModel::labelFor(int row) const {
  if (row < 0 || row >= int(counts_.size()) || counts_[row] < 0) return {};
  const double areaPx = document_->regions()[row].areaPx();
  return tr("%n cell(s)", nullptr, counts_[row]) + ", " + density(counts_[row], areaPx) +
         (pixelSize_ ? tr(" /mm²") : tr(" /10⁶ px²"));
}

int RegionTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : int(document_->regions().size());
}
int RegionTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant RegionTableModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const Region& region = document_->regions()[index.row()];
  const int count = index.row() < int(counts_.size()) ? counts_[index.row()] : -1;
  if (role == Qt::DisplayRole || role == Qt::EditRole) {
    switch (index.column()) {
      case Name: return QString::fromStdString(region.name);
      case Class: return QString::fromStdString(region.classification);
      case Cells: return count < 0 ? QVariant(QStringLiteral("–")) : QVariant(count);
      case Area: return area(region.areaPx());
      case Density: return density(count, region.areaPx());
    }
  }
  if (role == Qt::TextAlignmentRole && index.column() != Name && index.column() != Class)
    return int(Qt::AlignRight | Qt::AlignVCenter);
  if (role == Qt::ToolTipRole && index.column() == Name) return tr("Double-click to rename");
  if (role == Qt::ToolTipRole && index.column() == Class)
    return tr(
        "QuPath's class of the region (e.g. the brain area): regions.csv's class column, kept in the "
        "regions file. Double-click to change");
  return {};
}

QVariant RegionTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
    return QAbstractTableModel::headerData(section, orientation, role);
  switch (section) {
    case Name: return tr("Region");
    case Class: return tr("Class");
    case Cells: return tr("Cells");
    case Area: return pixelSize_ ? tr("Area (µm²)") : tr("Area (px²)");
    case Density: return pixelSize_ ? tr("Cells/mm²") : tr("Cells/10⁶ px²");
  }
  return {};
}

Qt::ItemFlags RegionTableModel::flags(const QModelIndex& index) const {
  Qt::ItemFlags flags = QAbstractTableModel::flags(index);
  if ((index.column() == Name || index.column() == Class) && document_->isEditable()) flags |= Qt::ItemIsEditable;
  return flags;
}

bool RegionTableModel::setData(const QModelIndex& index, const QVariant& value, int role) {
  if (role != Qt::EditRole) return false;
  if (index.column() == Name)
    document_->rename(index.row(), value.toString());
  else if (index.column() == Class)
    document_->classify(index.row(), value.toString());
  else
    return false;
  return true;
}

RegionsPanel::RegionsPanel(RegionDocument* document, RegionToolController* tools, QWidget* parent)
    : QWidget(parent), document_(document), tools_(tools), model_(new RegionTableModel(document, this)),
      table_(new QTableView), status_(new QLabel) {
  auto* layout = new QVBoxLayout(this);
  auto* buttons = new QHBoxLayout;
  auto* group = new QActionGroup(this);
  group->setExclusionPolicy(QActionGroup::ExclusionPolicy::ExclusiveOptional);
  const std::pair<RegionTool, QString> toolList[] = {{RegionTool::Polygon, tr("Polygon")},
                                                     {RegionTool::Rectangle, tr("Rectangle")},
                                                     {RegionTool::Freehand, tr("Freehand")},
                                                     {RegionTool::EditVertices, tr("Edit")}};
  for (const auto& [tool, name] : toolList) {
    auto* action = group->addAction(name);
    action->setCheckable(true);
    action->setData(int(tool));
    auto* button = new QToolButton;
    button->setDefaultAction(action);
    buttons->addWidget(button);
  }
  connect(group, &QActionGroup::triggered, this, [this, group](QAction* action) {
    tools_->setTool(group->checkedAction() ? RegionTool(action->data().toInt()) : RegionTool::None);
  });
  connect(tools_, &RegionToolController::toolChanged, this, [group](RegionTool tool) {
    for (QAction* action : group->actions()) action->setChecked(RegionTool(action->data().toInt()) == tool);
  });
  buttons->addStretch();
  layout->addLayout(buttons);

  table_->setModel(model_);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  // The names and classes share what the figures leave of the panel's width.
  QHeaderView* header = table_->horizontalHeader();
  header->setSectionResizeMode(QHeaderView::ResizeToContents);
  header->setSectionResizeMode(RegionTableModel::Name, QHeaderView::Stretch);
  header->setSectionResizeMode(RegionTableModel::Class, QHeaderView::Stretch);
  table_->verticalHeader()->hide();
  layout->addWidget(table_);
  connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
          [this](const QModelIndex& current) { tools_->select(current.isValid() ? current.row() : -1); });
  connect(tools_, &RegionToolController::selectionChanged, this, [this](int row) {
    if (row >= 0 && row < model_->rowCount())
      table_->selectRow(row);
    else
      table_->clearSelection();
  });
  connect(model_, &QAbstractItemModel::modelReset, this, [this] {
    if (tools_->selected() >= 0 && tools_->selected() < model_->rowCount()) table_->selectRow(tools_->selected());
  });

  auto* actions = new QHBoxLayout;
  auto* remove = new QToolButton;
  remove->setText(tr("Delete"));
  connect(remove, &QToolButton::clicked, this, [this] {
    if (tools_->selected() >= 0) document_->remove(tools_->selected());
  });
  auto* importButton = new QToolButton;
  importButton->setText(tr("Import…"));
  connect(importButton, &QToolButton::clicked, this, [this] {
    const QString file =
        QFileDialog::getOpenFileName(this, tr("Import regions"), {}, tr("Regions (*.geojson *.json *.zip *.roi)"));
    if (!file.isEmpty()) importRegions(file);
  });
  auto* exportButton = new QToolButton;
  exportButton->setText(tr("Export…"));
  connect(exportButton, &QToolButton::clicked, this, [this] {
    QString selectedFilter;
    const QString file = QFileDialog::getSaveFileName(
        this, tr("Export regions"), {}, tr("QuPath GeoJSON (*.geojson);;ImageJ ROI set (*.zip)"), &selectedFilter);
    if (file.isEmpty()) return;
    QString error;
    if (!exportRegions(file, &error)) status_->setText(error);
  });
  actions->addWidget(remove);
  actions->addStretch();
  actions->addWidget(importButton);
  actions->addWidget(exportButton);
  layout->addLayout(actions);
  status_->setObjectName("regions-status");
  status_->setWordWrap(true);
  layout->addWidget(status_);
  connect(tools_, &RegionToolController::refused, status_, &QLabel::setText);
  connect(document_, &RegionDocument::saveFailed, status_, &QLabel::setText);
  connect(document_, &RegionDocument::changed, status_, [this] {
    status_->setText(document_->isOpen() && document_->regions().empty()
                         ? tr("No regions drawn: the whole slide is one.")
                         : QString());
  });
}

void RegionsPanel::importRegions(const QString& file) {
  QString error, leftOut;
  const int added = document_->importFile(file, &error, &leftOut);
  if (!error.isEmpty()) {
    status_->setText(error);
    return;
  }
  const QString imported = tr("Imported %n region(s) from %1", nullptr, added).arg(QFileInfo(file).fileName());
  status_->setText(leftOut.isEmpty() ? imported : imported + " (" + leftOut + ")");
}

bool RegionsPanel::exportRegions(const QString& file, QString* error) {
  try {
    const bool roiSet = file.endsWith(".zip", Qt::CaseInsensitive);
    writeFileAtomically(file.toStdString(),
                        roiSet ? regionsRoiSet(document_->regions()) : regionsGeoJson(document_->regions()),
                        Overwrite::Allow);
    status_->setText(
        tr("Exported %n region(s) to %1", nullptr, int(document_->regions().size())).arg(QFileInfo(file).fileName()));
    return true;
  } catch (const std::exception& e) {
    if (error) *error = QString::fromUtf8(e.what());
    return false;
  }
}

}  // namespace fluocount::ui
