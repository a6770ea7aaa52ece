// The main window's mask-editing wiring (issue 6): the Edit menu and tool bar, the edit history, the mask
// document of the slide on screen, and what follows a saved edit. Split from main_window.cpp to keep each file
// about one thing; the editing logic itself is in mask_document, mask_tools and core/mask_edit.
#include "ui/main_window.h"

#include "core/heatmap_file.h"
#include "ui/model/slide_analysis.h"
#include "ui/model/slide_layers.h"
#include "ui/threshold_panel.h"

#include <QAbstractButton>
#include <QActionGroup>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>
#include <QToolBar>
#include <QUndoGroup>
#include <QUndoView>

namespace fluocount::ui {

void MainWindow::buildEditing() {
  QMenu* edit = menuBar()->addMenu(tr("&Edit"));
  menuBar()->insertMenu(menuBar()->actions().at(1), edit);
  QAction* undo = mask_->history()->group()->createUndoAction(this, tr("&Undo"));
  undo->setShortcut(QKeySequence::Undo);
  QAction* redo = mask_->history()->group()->createRedoAction(this, tr("&Redo"));
  redo->setShortcut(QKeySequence::Redo);
  edit->addAction(undo);
  edit->addAction(redo);
  edit->addSeparator();

  auto* toolbar = new QToolBar(tr("Mask tools"));
  addToolBar(Qt::LeftToolBarArea, toolbar);
  toolbar->setObjectName("mask-tools");
  toolbar->setToolButtonStyle(Qt::ToolButtonTextOnly);
  toolActions_ = new QActionGroup(this);
  const std::pair<MaskTool, const char*> tools[] = {
      {MaskTool::Navigate, "V"},     {MaskTool::Brush, "B"},
      {MaskTool::Eraser, "E"},       {MaskTool::Fill, "F"},
      {MaskTool::Lasso, "L"},        {MaskTool::LassoSubtract, "Shift+L"},
      {MaskTool::DeleteObject, "X"}, {MaskTool::DeleteInRectangle, "Shift+X"},
      {MaskTool::Cut, "C"},          {MaskTool::AcceptDetection, "A"},
      {MaskTool::Propose, "P"}};
  for (const auto& [tool, key] : tools) {
    QAction* action = edit->addAction(toolName(tool));
    action->setCheckable(true);
    action->setShortcut(QKeySequence(key));
    action->setToolTip(tr("%1 (%2)").arg(toolName(tool), key));
    action->setData(int(tool));
    action->setChecked(tool == MaskTool::Navigate);
    toolActions_->addAction(action);
    toolbar->addAction(action);
    connect(action, &QAction::triggered, this, [this, tool = tool] { tools_->setTool(tool); });
  }
  connect(tools_, &MaskToolController::toolChanged, this, [this](MaskTool tool) {
    for (QAction* action : toolActions_->actions()) action->setChecked(action->data().toInt() == int(tool));
  });
  connect(tools_, &MaskToolController::brushRadiusChanged, this, [this](int radius) {
    statusBar()->showMessage(tr("Brush radius %1 px ([ and ] change it)").arg(radius), 3000);
  });
  edit->addSeparator();
  edit->addAction(tr("Accept &All Detections"), tools_, &MaskToolController::acceptAllDetections);
  edit->addAction(tr("&Propose Cells (classical method)"), this, &MainWindow::proposeCells)
      ->setShortcut(QKeySequence(tr("Ctrl+P")));
  edit->addAction(tr("Propose Cells from the &Count by Hand"), this, &MainWindow::proposeCellsFromHandCount);
  edit->addAction(tr("Outline Every Count by &Hand as a Mask..."), this, &MainWindow::askToOutlineCountsByHand);
  edit->addAction(tr("Accept All Proposals"), tools_, &MaskToolController::acceptAllProposals);
  edit->addAction(tr("Reject All Proposals"), tools_, &MaskToolController::rejectAllProposals);
  connect(tools_, &MaskToolController::proposalsChanged, this, &MainWindow::showProposals);

  auto* history = new QDockWidget(tr("Edit history"));
  history->setObjectName("history");
  history->setWidget(new QUndoView(mask_->history()->group()));
  addDockWidget(Qt::LeftDockWidgetArea, history);

  connect(mask_, &MaskDocument::changed, this,
          [this](QRect region) { canvas_->updateMaskRegion(mask_->mask(), region, userMaskColour()); });
  connect(mask_, &MaskDocument::saved, this, &MainWindow::onMaskSaved);
  connect(mask_, &MaskDocument::reloaded, this, &MainWindow::onMaskReloaded);
  connect(mask_, &MaskDocument::conflict, this, [this](const QString& maskPath) {
    askAboutConflict(maskPath, {[this] { return mask_->hasConflict(); }, [this] { return mask_->keepMine(); },
                                [this] { return mask_->keepTheirs(); }});
  });
  connect(mask_, &MaskDocument::setAsideOnClose, this, &MainWindow::reportSetAsideOnClose);
  connect(mask_, &MaskDocument::saveFailed, this, [this](const QString& error) {
    QMessageBox::warning(this, tr("Mask not saved"),
                         tr("%1\nThe edit is kept in memory; fix the problem (e.g. free "
                            "disk space) and edit again to save.")
                             .arg(error));
  });
}

void MainWindow::loadMaskDocument(int index, cv::Size size) {
  const QString nameClash = project_->slide(index).nameClash;
  if (!nameClash.isEmpty()) {  // its mask file would be another slide's too: neither is shown nor edited
    mask_->close();
    canvas_->setMask(QImage());
    statusBar()->showMessage(tr("No mask or regions: %1").arg(nameClash), 30000);
    return;
  }
  QString error;
  if (!mask_->load(project_->slide(index).imagePath, size, project_->maskPathFor(index), &error)) {
    canvas_->setMask(QImage());
    statusBar()->showMessage(tr("Mask not editable: %1").arg(error), 15000);
    return;
  }
  canvas_->setMask(maskLayer(mask_->mask(), userMaskColour()));
}

// After every saved edit: the slide has a mask now, its matching and F1 follow the mask (the sweep of this one
// slide is recomputed off the GUI thread; the folder curves combine it with the others). The slide is the one
// whose mask file was written, which need not be the one on screen by the time the signal arrives.
void MainWindow::onMaskSaved(const QString& maskPath) {
  const int index = slideOfMaskFile(maskPath);
  if (index < 0) return;
  const Detection truth = truthFromEditedMask(mask_->mask(), maskPath);
  project_->maskEdited(index);
  if (cv::countNonZero(mask_->mask()) == 0) project_->setMaskOutlinedFromMarks(index, false);  // nothing to review
  writeReviewIntoMaskFile();
  rematchSlide(index, truth);
}

void MainWindow::writeReviewIntoMaskFile() {
  // The document holds the slide on screen's mask (loadMaskDocument opens it by that path) unless it could not.
  if (current_ < 0 || !mask_->isEditable() || mask_->path() != project_->maskPathFor(current_)) return;
  const bool toReview = project_->slide(current_).outlinesToReview();
  QString error;
  if (!mask_->setOrigin(toReview ? MaskOrigin::OutlinedFromMarks : MaskOrigin::Drawn, &error))
    statusBar()->showMessage(
        (toReview ? tr("Its mask file could not be marked as outlines to review: %1")
                  : tr("Marked reviewed here, but its mask file still says \"outlined, not reviewed\" to "
                       "fluocount-cli and on reopening (it could not be written: %1)"))
            .arg(error),
        30000);
}

// Another program changed the mask file of the slide on screen, and the document loaded it again: the same as a
// saved edit, except that the file may be gone (no mask then) or unreadable (shown as the slide load shows it).
void MainWindow::onMaskReloaded(const QString& maskPath) {
  const int index = slideOfMaskFile(maskPath);
  if (index < 0) return;
  const QString name = QFileInfo(maskPath).fileName();
  if (!mask_->isEditable()) {
    canvas_->setMask(QImage());
    statusBar()->showMessage(tr("%1 was changed by another program and cannot be read now: not editable until it "
                                "can")
                                 .arg(name),
                             15000);
    return;
  }
  canvas_->setMask(maskLayer(mask_->mask(), userMaskColour()));
  project_->maskChangedElsewhere(index);
  const Slide& slide = project_->slide(index);
  std::optional<Detection> truth;
  if (slide.hasMask()) {
    truth = truthFromEditedMask(mask_->mask(), maskPath);
  } else if (slide.analysis) {
    try {  // the mask is gone: the slide's count by hand, where it has one, is what it is matched against now
      truth = annotatedCellsOf({}, slide.handCountPath, slide.analysis->size, slide.imagePath);
    } catch (const std::exception&) {  // unreadable: no F1, as for a slide without annotations
    }
  }
  statusBar()->showMessage(tr("%1 was changed by another program: loaded again").arg(name), 10000);
  rematchSlide(index, truth);
}

int MainWindow::slideOfMaskFile(const QString& maskPath) const {
  for (int i = 0; i < project_->slideCount(); ++i)
    if (QFileInfo(project_->maskPathFor(i)) == QFileInfo(maskPath)) return i;
  return -1;
}

void MainWindow::rematchSlide(int index, const std::optional<Detection>& truth) {
  if (index != current_) return;
  currentTruth_ = truth;
  refreshOverlay(thresholdPanel_->threshold());
  const auto analysis = project_->slide(index).analysis;
  if (!analysis) return;
  const std::string name = project_->slide(index).name.toStdString();
  const Generation generation = project_->generation();
  const QString stamp = truthStamp(project_->slide(index).maskPath, project_->slide(index).handCountPath);
  resweeper_.submit([=]() -> std::function<void()> {
    std::shared_ptr<const SlideAnalysis> updated;
    try {
      updated = rematchedAnalysis(*analysis, name, truth, stamp);
    } catch (const HeatmapFileError& e) {
      return dropUnreadableResultLater(generation, index, analysis, e);
    }
    return [this, index, generation, updated] {
      if (!project_->setMaskSweep(generation, index, updated)) return;
      refreshCurves();
      saveProjectState();
    };
  });
}

// Masks drawn, changed or deleted by another program since their slides were matched (in Fiji while the folder was
// closed, or for a slide not on screen, whose file no document follows): each such slide's sweep is matched again
// in the background, so that the F1 curves, the best-F1 threshold and the held-out scores never describe a mask the
// folder no longer holds. The counts stand: only the matching depends on the mask.
void MainWindow::rematchAnnotationsChangedElsewhere() {
  struct Rematch {
    int index;
    QString name, maskPath, handCountPath, imagePath, stamp;
    std::shared_ptr<const SlideAnalysis> analysis;
  };
  std::vector<Rematch> rematches;
  for (int index : project_->slidesMatchedAgainstOtherAnnotations()) {
    const Slide& slide = project_->slide(index);
    rematches.push_back({index, slide.name, slide.maskPath, slide.handCountPath, slide.imagePath,
                         truthStamp(slide.maskPath, slide.handCountPath), slide.analysis});
  }
  if (rematches.empty()) return;
  const Generation generation = project_->generation();
  annotationRematcher_.submit([=]() -> std::function<void()> {
    std::vector<std::shared_ptr<const SlideAnalysis>> updated;  // null where the heatmap cannot be read back
    std::vector<std::optional<Detection>> truths;               // for the slide on screen's matching
    std::vector<QVector<QPointF>> handMarks;                    // and its marks
    QStringList unreadable;                                     // masks and counts by hand
    std::vector<UnreadableResult> heatmapsUnreadable;
    for (const Rematch& rematch : rematches) {
      std::optional<Detection>& truth = truths.emplace_back();
      handMarks.push_back(handMarksOf(rematch.handCountPath, rematch.analysis->size, rematch.imagePath));
      try {
        truth = annotatedCellsOf(rematch.maskPath, rematch.handCountPath, rematch.analysis->size, rematch.imagePath);
      } catch (const std::exception& e) {
        const QString file = rematch.maskPath.isEmpty() ? rematch.handCountPath : rematch.maskPath;
        unreadable << QStringLiteral("%1 (%2)").arg(QFileInfo(file).fileName(), QString::fromUtf8(e.what()));
      }
      try {
        updated.push_back(rematchedAnalysis(*rematch.analysis, rematch.name.toStdString(), truth, rematch.stamp));
      } catch (const HeatmapFileError& e) {
        updated.push_back(nullptr);
        heatmapsUnreadable.push_back({rematch.index, rematch.analysis, QString::fromUtf8(e.what())});
      }
    }
    return [this, rematches, updated, truths, handMarks, unreadable, heatmapsUnreadable, generation] {
      dropUnreadableResults(generation, heatmapsUnreadable);
      int matched = 0;
      for (std::size_t i = 0; i < rematches.size(); ++i) {
        const int index = rematches[i].index;
        if (!updated[i]) continue;
        // A mask that changed again meanwhile (an edit saved, Fiji saving once more) is left to the next check.
        const Slide& slide = project_->slide(index);
        if (!project_->isCurrent(generation) || truthStamp(slide.maskPath, slide.handCountPath) != rematches[i].stamp)
          continue;
        matched += project_->setMaskSweep(generation, index, updated[i]);
        if (index == current_) {  // the slide on screen: its marks and TP/FP/FN follow the file too
          currentTruth_ = truths[i];
          canvas_->setHandMarks(handMarks[i]);
          refreshOverlay(thresholdPanel_->threshold());
        }
      }
      if (matched == 0) return;
      refreshCurves();
      saveProjectState();
      QString message = tr("%n slide(s) matched again: their masks or counts by hand changed since they were counted",
                           nullptr, matched);
      if (!unreadable.isEmpty())
        message += tr("; without F1 (the file cannot be used): %1").arg(unreadable.join(tr(", ")));
      statusBar()->showMessage(message, 15000);
    };
  });
}

// An edit met a file another program changed (the mask, or the regions): the user chooses which version stays;
// the other is set aside in the project's .fluocount/set-aside, so nothing is lost either way. One question per
// file at a time.
void MainWindow::askAboutConflict(const QString& path, const FileConflict& conflict) {
  const QString name = QFileInfo(path).fileName();
  for (QMessageBox* open : findChildren<QMessageBox*>("fileConflict"))
    if (open->property("path").toString() == path) return;
  auto* box = new QMessageBox(
      QMessageBox::Warning, tr("%1 changed by another program").arg(name),
      tr("%1 was changed outside FluoCount (by Fiji, QuPath, another FluoCount window or a copy) after FluoCount "
         "last saved it, so your last edit was not written over it.\n\nKeep your edits (the file's new version is "
         "set aside) or load the file (your edits are set aside)? Either way the version not kept is saved in %2.")
          .arg(name, QDir::toNativeSeparators(project_->stateFolder() + "/set-aside")),
      QMessageBox::NoButton, this);
  box->setObjectName("fileConflict");
  box->setProperty("path", path);
  box->addButton(tr("Keep My Edits"), QMessageBox::AcceptRole);
  box->addButton(tr("Load the File"), QMessageBox::RejectRole);
  box->setAttribute(Qt::WA_DeleteOnClose);
  connect(box, &QMessageBox::buttonClicked, this, [this, box, name, conflict](QAbstractButton* button) {
    if (!conflict.pending()) return;  // settled meanwhile (the slide was left: the edit was set aside)
    try {
      const bool mine = box->buttonRole(button) == QMessageBox::AcceptRole;
      const QString kept = mine ? conflict.keepMine() : conflict.keepTheirs();
      const QString what =
          mine ? tr("Kept your edits in %1").arg(name) : tr("Loaded %1 as the other program left it").arg(name);
      statusBar()->showMessage(
          kept.isEmpty() ? what : tr("%1; the other version is in %2").arg(what, QDir::toNativeSeparators(kept)),
          20000);
    } catch (const std::exception& e) {
      QMessageBox::warning(this, tr("Not saved"), QString::fromUtf8(e.what()));
    }
  });
  box->open();
}

void MainWindow::reportSetAsideOnClose(const QString& path, const QString& keptAt) {
  statusBar()->showMessage(tr("%1 had been changed by another program: it was left as it is, and your last edit is "
                              "kept in %2")
                               .arg(QFileInfo(path).fileName(), QDir::toNativeSeparators(keptAt)),
                           30000);
}

void MainWindow::proposeCells() {
  if (current_ < 0) return;
  const int index = current_;
  CountSettings settings;
  settings.cellDiameterPx = project_->settings().cellDiameterPx;
  if (settings.cellDiameterPx <= 0 && project_->slide(index).analysis)
    settings.cellDiameterPx = project_->slide(index).analysis->cellDiameterPx;
  const QString path = project_->slide(index).imagePath;
  const Generation generation = project_->generation();
  statusBar()->showMessage(tr("Proposing cells with the classical method..."));
  proposer_.submit([=]() -> std::function<void()> {
    auto labels = std::make_shared<cv::Mat>();
    try {
      *labels = CellCounter::classical(settings).count(path.toStdString()).detection.labels;
    } catch (const std::exception&) {}
    return [this, index, generation, labels] {
      if (index != current_ || !project_->isCurrent(generation) || labels->empty()) return;
      tools_->setProposals(*labels);
      tools_->setTool(MaskTool::Propose);
      statusBar()->showMessage(
          tr("%1 proposals: left-click accepts one, right-click rejects it (Edit menu: all at once)")
              .arg(tools_->pendingProposals().size()),
          10000);
      emit proposalsReady();
    };
  });
}

void MainWindow::showProposals() {
  const cv::Mat& labels = tools_->proposals();
  if (labels.empty() || tools_->pendingProposals().empty()) {
    canvas_->setProposals(QImage());
    return;
  }
  cv::Mat pending = labels.clone();
  const auto& keep = tools_->pendingProposals();
  pending.forEach<int>([&](int& label, const int*) {
    if (label && !keep.count(label)) label = 0;
  });
  canvas_->setProposals(outlineLayer(pending, QColor(255, 170, 0)));
}

}  // namespace fluocount::ui
