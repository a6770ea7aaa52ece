// The main window's study wiring (issue 18): the Regions dock, the region document of the slide on screen (its
// edits share the slide's undo history with the mask's), the canvas tools, each region's count following the
// detections on screen, and the positivity rules set on the cells on screen. The logic is in region_document,
// region_tools, regions_panel and positivity_dialog.
#include "ui/main_window.h"

#include "ui/positivity_dialog.h"
#include "ui/regions_panel.h"

#include <QDockWidget>
#include <QFileInfo>
#include <QStatusBar>

namespace fluocount::ui {

void MainWindow::buildRegions() {
  regions_ = new RegionDocument(mask_->history(), this);
  regionTools_ = new RegionToolController(regions_, this);
  canvas_->setRegionTools(regionTools_);
  regionsPanel_ = new RegionsPanel(regions_, regionTools_);
  auto* dock = new QDockWidget(tr("Regions"));
  dock->setObjectName("regions");
  dock->setWidget(regionsPanel_);
  // Below the slide list, where the left column has room for a table of several regions.
  addDockWidget(Qt::LeftDockWidgetArea, dock);
  // One tool at a time: drawing a region leaves mask editing, and a mask tool leaves region drawing.
  connect(regionTools_, &RegionToolController::toolChanged, this, [this](RegionTool tool) {
    if (tool != RegionTool::None) tools_->setTool(MaskTool::Navigate);
  });
  connect(tools_, &MaskToolController::toolChanged, this, [this](MaskTool tool) {
    if (tool != MaskTool::Navigate) regionTools_->setTool(RegionTool::None);
  });
  connect(regions_, &RegionDocument::changed, this, &MainWindow::refreshRegionCounts);
  connect(regions_, &RegionDocument::reloaded, this, [this](const QString& path) {
    statusBar()->showMessage(regions_->isEditable()
                                 ? tr("%1 was changed by another program: loaded again").arg(QFileInfo(path).fileName())
                                 : tr("%1 was changed by another program and is refused now: shown read-only")
                                       .arg(QFileInfo(path).fileName()),
                             10000);
  });
  connect(regions_, &RegionDocument::conflict, this, [this](const QString& path) {
    askAboutConflict(path, {[this] { return regions_->hasConflict(); }, [this] { return regions_->keepMine(); },
                            [this] { return regions_->keepTheirs(); }});
  });
  connect(regions_, &RegionDocument::setAsideOnClose, this, &MainWindow::reportSetAsideOnClose);
  connect(regionTools_, &RegionToolController::refused, this,
          [this](const QString& why) { statusBar()->showMessage(why, 10000); });
}

void MainWindow::loadRegionDocument(int index, cv::Size size) {
  if (project_->regionsPathFor(index).isEmpty()) {  // a slide whose stem another shares (loadMaskDocument says so)
    regions_->close();
    return;
  }
  QString error;
  if (!regions_->load(project_->regionsPathFor(index), size, &error))
    statusBar()->showMessage(tr("Regions: %1").arg(error), 15000);
}

void MainWindow::refreshRegionCounts() {
  canvas_->setPixelSize(currentPixelSize_ ? currentPixelSize_->micrometres : 0);
  RegionTableModel* model = regionsPanel_->model();
  model->setPixelSize(currentPixelSize_);
  model->setCells(currentCentres_);
  QStringList labels;
  for (int row = 0; row < model->rowCount(); ++row) labels << model->labelFor(row);
  regionTools_->setLabels(labels);
}

void MainWindow::openPositivity() {
  if (current_ < 0 || currentRawChannels_.empty()) {
    statusBar()->showMessage(tr("Open and count a slide first: its cells are what the thresholds are set on."), 8000);
    return;
  }
  std::vector<std::vector<double>> means;
  if (!currentLabels_.empty() && currentLabels_.size() == currentRawChannels_.front().size()) {
    Detection cells = measureLabels(currentLabels_);
    measureChannelMeans(cells, currentRawChannels_);
    for (const DetectedObject& cell : cells.objects) means.push_back(cell.channelMeans);
  }
  PositivityDialog dialog(means, currentChannelNames_, currentBitDepth_, project_->settings().positivity, this);
  if (dialog.exec() != QDialog::Accepted) return;
  ProjectSettings settings = project_->settings();
  settings.positivity = dialog.rules();
  applySettings(settings);
  statusBar()->showMessage(
      tr("The export's tables count %n marker(s) and their combinations", nullptr, int(settings.positivity.size())),
      8000);
}

}  // namespace fluocount::ui
