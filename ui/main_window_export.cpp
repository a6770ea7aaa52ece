// The main window's export: File > Export Results asks where and what (ui/export_dialog), and the tables, label
// images, overlays and ROI sets are written by ui/model/exporter on a worker thread, behind a progress dialog that
// can cancel between slides. Split from main_window.cpp to keep each file about one thing.
#include "ui/export_dialog.h"
#include "ui/main_window.h"

#include <QEventLoop>
#include <QFutureWatcher>
#include <QMessageBox>
#include <QProgressDialog>
#include <QStatusBar>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <atomic>
#include <memory>

namespace fluocount::ui {
namespace {

// What the worker hands back: the summary, or why there is none.
struct ExportOutcome {
  ExportSummary summary;
  QString error;
};

}  // namespace

bool MainWindow::exportTo(const ExportPlan& plan, QString* error, bool* cancelled) {
  std::vector<ExportSlide> slides;  // the folder as it is now: a copy, whatever the window does meanwhile
  for (int i = 0; i < project_->slideCount(); ++i)
    slides.push_back({project_->slide(i), project_->thresholdFor(i), project_->regionsPathFor(i)});
  std::shared_ptr<const CellCounter> counter;
  try {
    counter = project_->counter();
  } catch (const std::exception& e) {
    if (error) *error = QString::fromUtf8(e.what());
    return false;
  }
  const Generation generation = project_->generation();
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  auto done = std::make_shared<std::atomic<int>>(0);
  QFutureWatcher<ExportOutcome> watcher;
  QEventLoop loop;
  connect(&watcher, &QFutureWatcher<ExportOutcome>::finished, &loop, &QEventLoop::quit);
  QProgressDialog progress(tr("Exporting the results of %n slide(s)...", nullptr, int(slides.size())), tr("Cancel"), 0,
                           int(slides.size()), this);
  progress.setWindowModality(Qt::WindowModal);
  progress.setMinimumDuration(500);
  connect(&progress, &QProgressDialog::canceled, this, [cancel] { *cancel = true; });
  QTimer ticker;
  connect(&ticker, &QTimer::timeout, &progress, [&progress, done] { progress.setValue(*done); });
  ticker.start(100);
  watcher.setFuture(QtConcurrent::run([slides, counter, plan, cancel, done]() {
    ExportOutcome outcome;
    try {
      outcome.summary = exportResults(
          slides, *counter, plan, [done](int finished, int) { *done = finished; }, *cancel);
    } catch (const std::exception& e) {
      outcome.error = QString::fromUtf8(e.what());
    }
    return outcome;
  }));
  if (!watcher.isFinished()) loop.exec();
  ticker.stop();
  progress.reset();
  const ExportOutcome outcome = watcher.result();
  if (cancelled) *cancelled = cancel->load();
  if (!outcome.error.isEmpty()) {
    if (error) *error = outcome.error;
    return false;
  }
  const ExportSummary& summary = outcome.summary;
  statusBar()->showMessage(
      tr("Exported %1 cells in %2 slides to %3").arg(summary.cells).arg(summary.slides).arg(plan.folder), 8000);
  std::vector<UnreadableResult> unreadable;  // their rows say so; the slides are counted again
  for (const auto& [index, why] : summary.unreadableHeatmaps)
    unreadable.push_back({int(index), slides[index].slide.analysis, why});
  dropUnreadableResults(generation, unreadable);
  return true;
}

void MainWindow::openExportDialog() {
  if (!project_->isOpen()) return;
  ExportDialog dialog(project_->folder() + "/fluocount-results", this);
  if (dialog.exec() != QDialog::Accepted) return;
  QString error;
  bool cancelled = false;
  if (exportTo(dialog.plan(), &error, &cancelled)) return;
  if (cancelled)
    statusBar()->showMessage(tr("Export cancelled: %1").arg(error), 10000);
  else
    QMessageBox::warning(this, tr("Export failed"), error);
}

}  // namespace fluocount::ui
