// The main window's cell-diameter tools (issue 16): Count > Measure Cell Diameter estimates the diameter from a
// sample of the folder's slides on a worker thread; Count > Calibrate Cell Diameter lets the user drag lines
// across a few cells on the canvas. Either way the user confirms, and the folder is counted again at the new
// diameter. The measuring itself is in ui/cell_diameter and core/diameter_estimate.
#include "ui/main_window.h"
#include "ui/note_bar.h"

#include <QApplication>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPointer>
#include <QProgressDialog>
#include <QPushButton>
#include <QStatusBar>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cmath>
#include <memory>

namespace fluocount::ui {

void MainWindow::buildDiameterTools() {
  calibration_ = new DiameterCalibration(this);
  canvas_->setCalibration(calibration_);
  countMenu_->addSeparator();
  measureDiameterAction_ =
      countMenu_->addAction(tr("&Measure Cell Diameter..."), this, &MainWindow::measureCellDiameter);
  measureDiameterAction_->setToolTip(tr("Estimate the cells' diameter from the slides with the counter itself"));
  calibrateAction_ = countMenu_->addAction(tr("Ca&librate Cell Diameter"), this, [this](bool on) {
    if (on)
      calibration_->start();
    else
      calibration_->stop();
  });
  calibrateAction_->setCheckable(true);
  calibrateAction_->setShortcut(QKeySequence(tr("Ctrl+Shift+D")));
  calibrateAction_->setToolTip(tr("Drag a line across a few cells on the slide to show their diameter"));

  // Shown in the status bar while calibrating: what has been measured, and the buttons to use it or give up.
  calibrationBar_ = new QWidget;
  auto* layout = new QHBoxLayout(calibrationBar_);
  layout->setContentsMargins(0, 0, 0, 0);
  calibrationLabel_ = new QLabel;
  useCalibrationButton_ = new QPushButton;
  auto* cancel = new QPushButton(tr("Cancel"));
  layout->addWidget(calibrationLabel_, 1);
  for (QPushButton* button : {useCalibrationButton_, cancel}) {
    button->setSizePolicy(QSizePolicy::Minimum, QSizePolicy::Fixed);
    layout->addWidget(button);
  }
  // Permanent: a status message (a slide loaded, a count finished) would hide a normal widget.
  statusBar()->insertPermanentWidget(0, calibrationBar_, 3);
  calibrationBar_->hide();
  connect(cancel, &QPushButton::clicked, this, [this] { calibrateAction_->setChecked(false), calibration_->stop(); });
  connect(useCalibrationButton_, &QPushButton::clicked, this, [this] {
    const std::optional<double> diameter = calibration_->diameterPx();
    calibrateAction_->setChecked(false);
    calibration_->stop();
    if (diameter) applyCellDiameter(std::round(*diameter));
  });
  connect(calibration_, &DiameterCalibration::changed, this, &MainWindow::showCalibration);

  // The default-diameter note: what the count assumed, and the two ways to tell it otherwise.
  diameterNoteBar_ = new NoteBar("default-diameter-note");
  statusBar()->insertPermanentWidget(0, diameterNoteBar_, 3);
  connect(diameterNoteBar_->addButton(tr("Measure..."), measureDiameterAction_->toolTip()), &QPushButton::clicked, this,
          &MainWindow::measureCellDiameter);
  connect(diameterNoteBar_->addButton(tr("Calibrate"), calibrateAction_->toolTip()), &QPushButton::clicked, this,
          [this] {
            if (!calibrateAction_->isChecked()) calibrateAction_->trigger();
          });
}

bool MainWindow::countAgainAtTheFolderMedian() {
  if (!project_->isOpen() || !project_->settings().automaticDiameter) return false;
  std::vector<std::optional<CountedDiameter>> counted(std::size_t(project_->slideCount()));
  for (int i = 0; i < project_->slideCount(); ++i) {
    const Slide& slide = project_->slide(i);
    if (slide.status == SlideStatus::Counted && slide.analysis && slide.analysis->diameterSource)
      counted[std::size_t(i)] =
          CountedDiameter{*slide.analysis->diameterSource, slide.analysis->cellDiameterPx, slide.count};
  }
  const std::optional<SecondPass> pass = secondPassOf(counted);
  if (!pass) return false;
  const std::shared_ptr<const CellCounter> counter = counterOrWarning(tr("Cannot count"));
  if (!counter) return false;
  std::vector<CountWorker::Job> jobs;
  for (const std::size_t i : pass->images)
    jobs.push_back({project_->generation(), int(i), project_->slide(int(i)), project_->heatmapPath(int(i)), {}});
  startCounting(std::move(jobs), counter, pass->diameterPx);
  statusBar()->showMessage(tr("%n slide(s) had too few cells to measure their cell diameter: counting them again at "
                              "the median of the other slides' estimates, %1 px",
                              "", int(pass->images.size()))
                               .arg(pass->diameterPx, 0, 'f', 0),
                           15000);
  return true;
}

void MainWindow::showDefaultDiameterNote() {
  const ProjectSettings& settings = project_->settings();
  const std::shared_ptr<const CellCounter> counter = project_->isOpen() ? project_->counter() : nullptr;
  std::vector<int> counts;
  int notEstimated = 0;
  for (int i = 0; i < project_->slideCount(); ++i) {
    const Slide& slide = project_->slide(i);
    if (slide.status != SlideStatus::Counted) continue;
    counts.push_back(slide.count);
    if (slide.analysis && slide.analysis->diameterSource == DiameterSource::NotEstimated) ++notEstimated;
  }
  const std::optional<QString> note =
      counter ? defaultDiameterNote(
                    settings.automaticDiameter || settings.cellDiameterPx > 0 || settings.cellDiameterUm.has_value(),
                    counter->cellDiameterPx(), counts, notEstimated)
              : std::nullopt;
  if (note)
    diameterNoteBar_->showNote(*note);
  else
    diameterNoteBar_->hide();
}

void MainWindow::showCalibration() {
  calibrationBar_->setVisible(calibration_->isActive());
  const std::optional<double> diameter = calibration_->diameterPx();
  const int lines = int(calibration_->lines().size());
  calibrationLabel_->setText(
      lines == 0 ? tr("Drag a line across a cell, from edge to edge; a few cells give a steadier diameter")
                 : tr("%n cell(s) measured: median %1 px (right click removes the last)", "", lines)
                       .arg(*diameter, 0, 'f', 0));
  useCalibrationButton_->setEnabled(diameter.has_value());
  useCalibrationButton_->setText(diameter ? tr("Use %1 px").arg(std::round(*diameter)) : tr("Use"));
}

void MainWindow::measureCellDiameter() {
  if (!project_->isOpen() || project_->slideCount() == 0 || measuringDiameter_) return;
  if (counting_) {
    QMessageBox::information(this, tr("Measure Cell Diameter"), tr("Wait until counting has finished, or cancel it."));
    return;
  }
  const std::shared_ptr<const CellCounter> counter = counterOrWarning(tr("Cannot measure"));
  if (!counter) return;
  std::vector<QString> paths;
  for (int i = 0; i < project_->slideCount(); ++i) paths.push_back(project_->slide(i).imagePath);
  paths = slidesToMeasure(paths);

  measuringDiameter_ = true;
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  auto* dialog = new QProgressDialog(tr("Measuring the cells on %n slide(s)...", "", int(paths.size())), tr("Cancel"),
                                     0, int(paths.size()), this);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  dialog->setMinimumDuration(300);
  dialog->setValue(0);
  connect(dialog, &QProgressDialog::canceled, this, [cancel] { cancel->store(true); });
  auto* watcher = new QFutureWatcher<FolderDiameter>(this);
  connect(watcher, &QFutureWatcher<FolderDiameter>::finished, this,
          [this, watcher, dialog, generation = project_->generation()] {
            const FolderDiameter result = watcher->result();
            watcher->deleteLater();
            dialog->close();
            measuringDiameter_ = false;
            // The folder or the model may have changed while the worker ran: its result belongs to what it measured.
            if (project_->isCurrent(generation)) offerMeasuredDiameter(result);
          });
  QPointer<QProgressDialog> progress(dialog);
  watcher->setFuture(QtConcurrent::run([counter, paths, cancel, progress] {
    return measureFolderDiameter(*counter, paths, *cancel, [progress](int done, int) {
      QMetaObject::invokeMethod(qApp, [progress, done] {
        if (progress) progress->setValue(done);
      });
    });
  }));
}

void MainWindow::offerMeasuredDiameter(const FolderDiameter& result) {
  lastDiameterMeasurement_ = result;
  emit diameterMeasured(result.diameterPx);
  if (result.cancelled) return;
  if (result.diameterPx <= 0) {
    QMessageBox::information(this, tr("Measure Cell Diameter"),
                             tr("No cells were found on the measured slides at any probe diameter. Set the diameter "
                                "by hand (Count > Calibrate Cell Diameter, or Settings)."));
    return;
  }
  QStringList perSlide;
  double smallest = 1e9, largest = 0;
  for (std::size_t i = 0; i < result.slides.size(); ++i) {
    const double d = result.estimates[i].diameterPx;
    perSlide << tr("%1: %2").arg(QFileInfo(result.slides[i]).fileName(),
                                 d > 0 ? tr("%1 px").arg(d) : tr("no cells found"));
    if (d > 0) smallest = std::min(smallest, d), largest = std::max(largest, d);
  }
  auto* box = new QMessageBox(QMessageBox::Question, tr("Measure Cell Diameter"),
                              tr("The cells measure about <b>%1 px</b> across (%2 slide(s), %3 to %4 px).<br>"
                                 "Use %1 px for every slide of this folder? The slides are counted again.")
                                  .arg(result.diameterPx)
                                  .arg(result.slides.size())
                                  .arg(smallest)
                                  .arg(largest),
                              QMessageBox::Yes | QMessageBox::No, this);
  box->setObjectName("measured-diameter");
  box->setDetailedText(perSlide.join('\n'));
  box->setAttribute(Qt::WA_DeleteOnClose);
  const double diameter = result.diameterPx;
  connect(box, &QMessageBox::buttonClicked, this, [this, box, diameter](QAbstractButton* button) {
    if (box->buttonRole(button) == QMessageBox::YesRole) applyCellDiameter(diameter);
  });
  box->open();
}

void MainWindow::applyCellDiameter(double diameterPx) {
  if (!project_->isOpen() || diameterPx <= 0) return;
  if (counting_) {  // a slide in flight would land at the old diameter
    QMessageBox::information(this, tr("Cell diameter"),
                             tr("Wait until counting has finished, or cancel it, then "
                                "set the diameter again."));
    return;
  }
  diameterNoteBar_->hide();
  ProjectSettings settings = project_->settings();
  settings.automaticDiameter = false;
  settings.cellDiameterPx = diameterPx;
  settings.cellDiameterUm.reset();
  project_->setSettings(settings);
  saveProjectState();
  statusBar()->showMessage(tr("Cell diameter set to %1 px; counting again").arg(diameterPx), 8000);
  countAll(false);
}

}  // namespace fluocount::ui
