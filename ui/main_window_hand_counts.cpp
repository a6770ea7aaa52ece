// The main window's counts by hand made into masks to retrain on: Edit > Propose Cells from the Count by Hand (the
// slide on screen, as proposals to review) and Edit > Outline Every Count by Hand as a Mask (every counted slide
// that has a count by hand and no mask, as 'fluocount-cli masks' does a folder). The outlining itself is
// core/cells_of_marks; which slides, and writing their masks, ui/model/hand_count_masks.
#include "ui/main_window.h"

#include "core/cells_of_marks.h"
#include "ui/model/hand_count_masks.h"
#include "ui/model/mask_document.h"
#include "ui/model/mask_tool_controller.h"
#include "ui/slide_canvas.h"

#include <QFileInfo>
#include <QMessageBox>
#include <QPushButton>
#include <QStatusBar>

namespace fluocount::ui {

void MainWindow::proposeCellsFromHandCount() {
  if (current_ < 0) return;
  const int index = current_;
  const Slide& slide = project_->slide(index);
  if (slide.handCountPath.isEmpty() || canvas_->handMarks().isEmpty()) {
    statusBar()->showMessage(tr("%1 has no count by hand: save one from Fiji (multi-point ROI or Cell Counter "
                                "markers) or QuPath (points) in the folder's hand-counts/")
                                 .arg(QFileInfo(slide.imagePath).fileName()),
                             15000);
    return;
  }
  if (!slide.analysis) {
    statusBar()->showMessage(tr("Count the slide first: each mark's cell is outlined from the network's heatmap"),
                             15000);
    return;
  }
  std::vector<cv::Point2d> marks;
  for (const QPointF& mark : canvas_->handMarks())  // the canvas puts a pixel's centre at +0.5, the engine at 0
    marks.emplace_back(mark.x() - 0.5, mark.y() - 0.5);
  const std::shared_ptr<const SlideAnalysis> analysis = slide.analysis;
  const Generation generation = project_->generation();
  statusBar()->showMessage(tr("Outlining the %1 cells counted by hand...").arg(marks.size()));
  proposer_.submit([=]() -> std::function<void()> {
    auto cells = std::make_shared<MarkedCells>();
    QString error;
    try {
      *cells = cellsOfMarksOnHeatmap(analysis->heatmap->pixels(), marks, analysis->cellDiameterPx);
    } catch (const std::exception& e) {
      error = QString::fromStdString(e.what());
    }
    return [this, index, generation, cells, error, marks] {
      if (index != current_ || !project_->isCurrent(generation)) return;
      if (!error.isEmpty()) {
        statusBar()->showMessage(tr("Cannot outline the count by hand: %1").arg(error), 15000);
        return;
      }
      tools_->setProposals(cells->labels);
      tools_->setTool(MaskTool::Propose);
      statusBar()->showMessage(
          tr("%1 cells from the count by hand (%2 outlined by the network, %3 parted from a neighbour, %4 drawn as "
             "discs where it saw nothing): left-click accepts one, right-click rejects it (Edit menu: all at once)")
              .arg(tools_->pendingProposals().size())
              .arg(cells->fromDetections)
              .arg(cells->splitDetections)
              .arg(cells->drawnAsDiscs),
          30000);
      emit proposalsReady();
    };
  });
}

void MainWindow::askToOutlineCountsByHand() {
  if (!project_->isOpen()) return;
  const HandCountOutlinePlan plan = handCountsToOutline(*project_);
  if (plan.slides.empty()) {
    QString text = tr("No slide has a count by hand to outline: ");
    if (!plan.notCounted.isEmpty())
      text +=
          tr("%n slide(s) counted by hand are not counted by FluoCount yet (Count Folder first): each mark's "
             "cell is outlined on the network's heatmap.",
             nullptr, int(plan.notCounted.size()));
    else if (plan.keepTheirMask > 0)
      text += tr("every slide counted by hand has a mask already (%1), which is kept.").arg(plan.keepTheirMask);
    else
      text +=
          tr("save the counts from Fiji (multi-point ROI or Cell Counter markers) or QuPath (points) in the "
             "folder's hand-counts/, named after their slides.");
    QMessageBox::information(this, tr("Outline Every Count by Hand"), text);
    return;
  }
  QString text =
      tr("Outline the cells of %n slide(s) counted by hand and save them as the slides' masks "
         "(masks/<slide>.png)?\n\nEach mark becomes one cell, outlined where the network's heatmap "
         "reaches one half; a mark where it saw nothing becomes a disc of the cell diameter. Look the masks "
         "over before retraining on them: the mask tools correct them.",
         nullptr, int(plan.slides.size()));
  if (plan.keepTheirMask > 0) text += tr("\n\n%n slide(s) with a mask already keep it.", nullptr, plan.keepTheirMask);
  if (!plan.notCounted.isEmpty())
    text += tr("\n\n%n slide(s) counted by hand are left out until they are counted: %1", nullptr,
               int(plan.notCounted.size()))
                .arg(plan.notCounted.join(tr(", ")));
  if (QMessageBox::question(this, tr("Outline Every Count by Hand"), text) == QMessageBox::Yes) outlineCountsByHand();
}

void MainWindow::outlineCountsByHand() {
  const HandCountOutlinePlan plan = handCountsToOutline(*project_);
  if (plan.slides.empty()) return;
  const Generation generation = project_->generation();
  // The slide on screen takes its cells as an edit of its document (one undo step) rather than as a file written
  // behind the document's back; the others' files are written off the GUI thread.
  const int onScreen = current_;
  statusBar()->showMessage(tr("Outlining the counts by hand of %n slide(s)...", nullptr, int(plan.slides.size())));
  handCountOutliner_.submit([=]() -> std::function<void()> {
    auto outlined = std::make_shared<std::vector<OutlinedHandCount>>();
    for (const HandCountToOutline& slide : plan.slides)
      outlined->push_back(outlineHandCount(slide, /*writeMask=*/slide.index != onScreen));
    return [this, generation, outlined, notCounted = plan.notCounted] {
      if (!project_->isCurrent(generation)) return;
      takeOutlinedCountsByHand(*outlined, notCounted);
    };
  });
}

void MainWindow::takeOutlinedCountsByHand(std::vector<OutlinedHandCount>& outlined, const QStringList& notCounted) {
  int slides = 0, cells = 0, fromDetections = 0, split = 0, discs = 0;
  bool anEditOnScreen = false;
  QStringList failed;
  for (OutlinedHandCount& slide : outlined) {
    if (slide.error.isEmpty() && !slide.written) {  // the slide that was on screen
      const bool stillOnScreen = slide.index == current_ && mask_->isOpen() && mask_->isEditable() &&
                                 QFileInfo(mask_->path()) == QFileInfo(slide.maskPath) &&
                                 cv::countNonZero(mask_->mask()) == 0;
      if (stillOnScreen) {
        const cv::Mat cellLabels = slide.cells;
        mask_->apply(tr("Cells from the count by hand"),
                     [cellLabels](cv::Mat& mask) { return acceptAllObjects(mask, cellLabels); });
        mask_->finishEdit();  // saved now; onMaskSaved matches the slide against it
        anEditOnScreen = true;
      } else {
        writeOutlinedMask(slide);
      }
    }
    if (!slide.error.isEmpty()) {
      failed << QStringLiteral("%1 (%2)").arg(slide.name, slide.error);
      continue;
    }
    if (slide.written) project_->maskEdited(slide.index);
    const int cellsOfSlide = slide.fromDetections + slide.splitDetections + slide.drawnAsDiscs;
    if (cellsOfSlide > 0) project_->setMaskOutlinedFromMarks(slide.index, true);  // written, or an edit on screen
    if (slide.index == current_) writeReviewIntoMaskFile();
    ++slides;
    cells += cellsOfSlide;
    fromDetections += slide.fromDetections;
    split += slide.splitDetections;
    discs += slide.drawnAsDiscs;
  }
  rematchAnnotationsChangedElsewhere();  // each new mask is what its slide's F1 is against now
  QString text = tr("%n slide(s) have a mask from their count by hand, in masks/: ", nullptr, slides) +
                 tr("%n cell(s), ", nullptr, cells) +
                 tr("%1 outlined by the network, %2 parted from a neighbour, %3 drawn as discs where it saw nothing. "
                    "Look them over before retraining (Model > Retrain).")
                     .arg(fromDetections)
                     .arg(split)
                     .arg(discs);
  if (anEditOnScreen) text += tr(" Edit > Undo takes back the one on screen.");
  if (!notCounted.isEmpty()) text += tr("\n\nNot counted yet, so not outlined: %1").arg(notCounted.join(tr(", ")));
  if (!failed.isEmpty()) text += tr("\n\nNot outlined: %1").arg(failed.join(tr("; ")));
  statusBar()->clearMessage();
  auto* box = new QMessageBox(failed.isEmpty() ? QMessageBox::Information : QMessageBox::Warning,
                              tr("Outline Every Count by Hand"), text, QMessageBox::Ok, this);
  box->setObjectName("countsByHandOutlined");
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->open();
  emit countsByHandOutlined(slides, failed);
}

}  // namespace fluocount::ui
