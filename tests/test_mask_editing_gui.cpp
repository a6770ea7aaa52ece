// Correcting a mask in the desktop app as a user would, offscreen on a copy of a real FNC folder: paint a stroke
// with the mouse (one undo step), erase, delete an object, undo several steps, and find every state saved to
// masks/<stem>.png; reopen the folder and find the mask exactly as left. A mask of the wrong size is reported and
// never overwritten.
#include "gui_events.h"
#include "test_support.h"
#include "core/cells_of_marks.h"
#include "core/image_io.h"
#include "core/imagej_roi.h"
#include "core/metrics.h"
#include "core/mask_edit.h"
#include "core/postprocess.h"
#include "ui/main_window.h"
#include "ui/model/hand_count_masks.h"
#include "ui/model/project_state.h"
#include "ui/model/slide_list_model.h"

#include <QApplication>
#include <QDir>
#include <QAbstractButton>
#include <QAction>
#include <QMessageBox>
#include <QPointer>
#include <QTimer>
#include <QMouseEvent>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QFileInfo>
#include <QTableView>
#include <QStatusBar>

#include <map>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

using namespace fluocount;
using namespace fluocount::ui;

namespace {

using test::sendMouse;
void drag(SlideCanvas* canvas, const std::vector<QPointF>& imagePoints) { test::dragThrough(canvas, imagePoints); }

bool same(const cv::Mat& a, const cv::Mat& b) { return a.size() == b.size() && cv::countNonZero(a != b) == 0; }

// A count by hand as Fiji's multi-point tool saves it, one mark on each cell of the mask the annotators drew
// (at ImageJ's pixel centres, +0.5), in hand-counts/<stem>.roi. Returns the marks as the engine places them.
std::vector<cv::Point2d> countByHandOfDrawnMask(const QString& folder, const QString& stem) {
  cv::Mat drawnCells;
  labelComponents(loadMask((folder + "/masks/" + stem + ".png").toStdString()) > 0, drawnCells);
  const std::vector<cv::Point2d> marks = boxCentres(measureLabels(drawnCells));
  std::vector<cv::Point2d> inImageJ = marks;
  for (cv::Point2d& mark : inImageJ) mark += cv::Point2d(0.5, 0.5);
  QDir(folder).mkpath("hand-counts");
  test::writeBytes((folder + "/hand-counts/" + stem + ".roi").toStdString(), encodePointRoi("count", inImageJ));
  return marks;
}

// Answers the modal message boxes that come up, in order, by clicking the button of each given text (a box with no
// such button is rejected), and keeps what each box said.
class MessageBoxAnswerer : public QObject {
public:
  explicit MessageBoxAnswerer(QStringList buttons) : buttons_(std::move(buttons)) {
    connect(&poll_, &QTimer::timeout, this, &MessageBoxAnswerer::answer);
    poll_.start(50);
  }
  QStringList said;

private:
  void answer() {
    auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
    if (!box || box == answered_ || buttons_.isEmpty()) return;
    answered_ = box;
    said << box->text() + "\n" + box->informativeText();
    const QString wanted = buttons_.takeFirst();
    for (QAbstractButton* button : box->buttons())
      if (button->text() == wanted) return button->click();
    box->reject();
  }
  QStringList buttons_;
  QTimer poll_;
  QPointer<QMessageBox> answered_;
};

// The cells fluocount-cli masks writes for these marks on the slide's heatmap as counted in the app.
cv::Mat engineCellsOf(const Slide& slide, const std::vector<cv::Point2d>& marks) {
  return cellsOfMarksOnHeatmap(slide.analysis->heatmap->pixels(), marks, slide.analysis->cellDiameterPx).labels > 0;
}

}  // namespace

class TestMaskEditingGui : public QObject {
  Q_OBJECT
  QTemporaryDir scratch_;
  QString folder_;

private slots:
  void initTestCase() {
    FLUOCOUNT_REQUIRE_SHARED_DATA();
    QStandardPaths::setTestModeEnabled(true);
    folder_ = test::writableSlideFolder(scratch_.path(), "fnc-red", {test::kRedSlide, test::kRedSlide2});
  }

  void paintUndoSaveAndReload() {
    cv::Mat finalMask;
    QString maskPath;
    {
      MainWindow window;
      QVERIFY(test::showAndOpen(window, folder_, {1400, 900}));
      MaskDocument* document = window.maskDocument();
      QVERIFY(document->isEditable());
      maskPath = document->path();
      const cv::Mat original = loadMask(maskPath.toStdString());
      QVERIFY(same(document->mask() > 0, original > 0));
      SlideCanvas* canvas = window.canvas();

      // A brush stroke across empty background: one undo step, saved when the button is released.
      window.maskTools()->setTool(MaskTool::Brush);
      window.maskTools()->setBrushRadius(6);
      std::vector<QPointF> stroke;
      for (int i = 0; i <= 20; ++i) stroke.emplace_back(30 + 4 * i, 30 + (i % 5));
      drag(canvas, stroke);
      QCOMPARE(document->undoStack()->count(), 1);
      const cv::Mat afterBrush = loadMask(maskPath.toStdString());
      QVERIFY(cv::countNonZero(afterBrush) > cv::countNonZero(original) + 300);
      QVERIFY(same(afterBrush > 0, document->mask() > 0));

      // Erase part of it, then delete a real object with one click.
      window.maskTools()->setTool(MaskTool::Eraser);
      drag(canvas, {QPointF(40, 32), QPointF(60, 32)});
      cv::Mat labels, stats, centroids;
      cv::connectedComponentsWithStats(original, labels, stats, centroids, 8);
      const cv::Point2d centre(centroids.at<double>(1, 0), centroids.at<double>(1, 1));
      cv::Point inObject(int(centre.x), int(centre.y));
      if (labels.at<int>(inObject) != 1)
        for (int y = 0; y < labels.rows && labels.at<int>(inObject) != 1; ++y)
          for (int x = 0; x < labels.cols; ++x)
            if (labels.at<int>(y, x) == 1) {
              inObject = {x, y};
              break;
            }
      window.maskTools()->setTool(MaskTool::DeleteObject);
      drag(canvas, {QPointF(inObject.x + 0.5, inObject.y + 0.5)});
      QCOMPARE(document->undoStack()->count(), 3);
      QCOMPARE(document->mask().at<std::uint8_t>(inObject), kBackground);

      // Undo twice: back to the brush stroke alone, on disk too.
      document->undoStack()->undo();
      document->undoStack()->undo();
      QTRY_VERIFY(same(loadMask(maskPath.toStdString()) > 0, afterBrush > 0));
      document->undoStack()->redo();  // the eraser again
      QTRY_VERIFY(same(loadMask(maskPath.toStdString()) > 0, document->mask() > 0));
      finalMask = document->mask().clone();
      QVERIFY(document->undoMemoryBytes() < 200'000);  // only changed pixels are kept
      window.close();
    }
    // Reopen: the mask is exactly as left.
    MainWindow window;
    QSignalSpy loaded(&window, &MainWindow::slideLoaded);
    QVERIFY(window.openFolder(folder_));
    QVERIFY(loaded.wait(30000));
    QCOMPARE(window.maskDocument()->path(), maskPath);
    QVERIFY(same(window.maskDocument()->mask() > 0, finalMask > 0));
    QVERIFY(window.project()->slide(0).edited);
  }

  void acceptsTheModelsDetectionsByClickAndByRectangle() {
    const QString folder =
        test::writableSlideFolder(scratch_.path(), "accept", {test::kYellowSlide, test::kYellowSlide2});
    QDir(folder + "/masks").removeRecursively();  // start from no mask at all
    MainWindow window;
    window.resize(1400, 900);
    window.show();
    QSignalSpy counted(&window, &MainWindow::countingFinished);
    QSignalSpy overlay(&window, &MainWindow::overlayUpdated);
    QVERIFY(window.openFolder(folder));
    window.countAll();
    QVERIFY(counted.wait(600000));
    QTRY_VERIFY_WITH_TIMEOUT(window.canvas()->overlay().slide == 0 && !window.canvas()->overlay().labels.empty(),
                             60000);
    const cv::Mat labels = window.canvas()->overlay().labels.clone();
    double objectsFound = 0;
    cv::minMaxLoc(labels, nullptr, &objectsFound);
    QVERIFY(objectsFound >= 2);
    MaskDocument* document = window.maskDocument();
    QCOMPARE(cv::countNonZero(document->mask()), 0);
    const auto countedAnalysis = window.project()->slide(0).analysis;
    QVERIFY(countedAnalysis && countedAnalysis->sweepObjects);  // the objects at every threshold, kept from the count
    QVERIFY(!countedAnalysis->sweep.hasTruth);

    // A click on one detection accepts exactly it.
    cv::Point first;
    for (int y = 0; y < labels.rows && first == cv::Point(); ++y)
      for (int x = 0; x < labels.cols; ++x)
        if (labels.at<int>(y, x) == 1) {
          first = {x, y};
          break;
        }
    window.maskTools()->setTool(MaskTool::AcceptDetection);
    drag(window.canvas(), {QPointF(first.x + 0.5, first.y + 0.5)});
    QVERIFY(same(document->mask() > 0, labels == 1));
    // A rectangle over the whole slide accepts every detection; the mask is saved where the FNC layout wants it.
    drag(window.canvas(), {QPointF(0.5, 0.5), QPointF(labels.cols / 2.0, labels.rows / 2.0),
                           QPointF(labels.cols - 0.5, labels.rows - 0.5)});
    QVERIFY(same(document->mask() > 0, labels > 0));
    QCOMPARE(document->undoStack()->count(), 2);
    QVERIFY(same(loadMask((folder + "/masks/" + QFileInfo(window.project()->slide(0).name).completeBaseName() + ".png")
                              .toStdString()) > 0,
                 labels > 0));

    // The slide's F1 curve follows the new mask: the objects kept from the count are matched against it again,
    // not detected again. Every detection was accepted, so at the model's threshold each annotated cell is found
    // (two accepted cells that touch at a corner make one annotated cell: the mask's 8-connected components).
    // Each edit's re-match lands in turn; the rectangle's is the one where most cells are annotated.
    const auto atModelThreshold = [&] {
      const auto analysis = window.project()->slide(0).analysis;
      for (const SweepPoint& point : analysis->sweep.points)
        if (std::abs(point.threshold - analysis->defaultThreshold) < 1e-9) return point;
      return SweepPoint{};
    };
    QTRY_VERIFY_WITH_TIMEOUT(atModelThreshold().counts.truePositives > objectsFound / 2, 60000);
    QCOMPARE(window.project()->slide(0).analysis->sweepObjects.get(), countedAnalysis->sweepObjects.get());
    QCOMPARE(atModelThreshold().totalCount, int(objectsFound));
    QCOMPARE(atModelThreshold().counts.falseNegatives, 0);
  }

  // A slide counted by hand in Fiji, made into a mask to retrain on: Edit > Propose Cells from the Count by Hand
  // proposes one cell per mark, outlined from the network's heatmap; Accept All Proposals writes the mask (one undo
  // step), and from then on the slide is matched against its mask. A slide without a count by hand says so.
  void aCountByHandBecomesAMaskToReview() {
    const QString folder = test::writableSlideFolder(scratch_.path(), "by-hand", {test::kRedSlide, test::kYellowSlide});
    const QString stem = QFileInfo(test::kRedSlide).completeBaseName();
    const QString maskFile = folder + "/masks/" + stem + ".png";
    const cv::Mat drawn = loadMask(maskFile.toStdString());
    const std::vector<cv::Point2d> marks = countByHandOfDrawnMask(folder, stem);
    QVERIFY(QDir(folder + "/masks").removeRecursively() && QDir(folder + "/labels").removeRecursively());

    MainWindow window;
    QVERIFY(test::showAndOpen(window, folder, {1400, 900}));
    QSignalSpy counted(&window, &MainWindow::countingFinished);
    window.countAll();
    QVERIFY(counted.wait(600000));
    const int byHand = window.project()->slide(0).name == stem + ".png" ? 0 : 1;
    window.selectSlide(byHand);
    QTRY_COMPARE_WITH_TIMEOUT(window.canvas()->handMarks().size(), qsizetype(marks.size()), 30000);
    QTRY_VERIFY_WITH_TIMEOUT(window.canvas()->overlay().slide == byHand, 30000);
    MaskDocument* document = window.maskDocument();
    QCOMPARE(cv::countNonZero(document->mask()), 0);

    QSignalSpy proposed(&window, &MainWindow::proposalsReady);
    window.proposeCellsFromHandCount();
    QVERIFY(proposed.wait(30000));
    QCOMPARE(window.maskTools()->pendingProposals().size(), marks.size());
    QCOMPARE(window.maskTools()->tool(), MaskTool::Propose);
    if (qEnvironmentVariableIsSet("FLUOCOUNT_SCREENSHOT_DIR"))  // to look at what the user reviews
      window.grab().save(qEnvironmentVariable("FLUOCOUNT_SCREENSHOT_DIR") + "/proposals-from-count-by-hand.png");
    QVERIFY2(
        window.statusBar()->currentMessage().startsWith(QString("%1 cells from the count by hand").arg(marks.size())),
        qPrintable(window.statusBar()->currentMessage()));
    window.maskTools()->acceptAllProposals();
    QCOMPARE(document->undoStack()->count(), 1);
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(maskFile), 30000);
    cv::Mat components;
    const cv::Mat saved = loadMask(maskFile.toStdString());
    QCOMPARE(labelComponents(saved > 0, components), int(marks.size()));
    const double overlap = cv::countNonZero(saved & drawn) / double(cv::countNonZero(saved | drawn));
    QVERIFY2(overlap > 0.6, qPrintable(QString::number(overlap)));  // near the mask the annotators drew
    // Exactly the engine's cells of the marks (as Fiji's file puts them, less ImageJ's half pixel), on this count's
    // heatmap and diameter: what fluocount-cli masks writes.
    QCOMPARE(cv::countNonZero((saved > 0) != engineCellsOf(window.project()->slide(byHand), marks)), 0);
    // The slide is now matched against its mask (which training can use), no longer against the marks.
    QTRY_VERIFY_WITH_TIMEOUT(window.project()->slide(byHand).hasMask(), 30000);
    const QModelIndex maskCell = window.slideList()->model()->index(byHand, SlideListModel::MaskColumn);
    QTRY_COMPARE_WITH_TIMEOUT(maskCell.data().toString(), QString("mask"), 30000);
    document->undoStack()->undo();
    QTRY_COMPARE_WITH_TIMEOUT(cv::countNonZero(loadMask(maskFile.toStdString())), 0, 30000);

    window.selectSlide(1 - byHand);
    QTRY_VERIFY_WITH_TIMEOUT(window.canvas()->overlay().slide == 1 - byHand, 30000);
    window.proposeCellsFromHandCount();
    QVERIFY2(window.statusBar()->currentMessage().contains("has no count by hand"),
             qPrintable(window.statusBar()->currentMessage()));
  }

  // Edit > Outline Every Count by Hand as a Mask: a folder counted by hand in Fiji becomes a dataset to retrain on in
  // one action. Each counted slide with a count by hand and no mask gets exactly the cells fluocount-cli masks writes
  // for its heatmap; the slide on screen takes them as one undo step; a mask that exists is kept byte for byte.
  void everyCountByHandBecomesAMask() {
    const QStringList slides{test::kRedSlide, test::kYellowSlide, test::kYellowSlide2};
    const QString folder = test::writableSlideFolder(scratch_.path(), "all-by-hand", slides);
    std::map<QString, std::vector<cv::Point2d>> marksOf;  // by slide file name
    for (const QString& slide : slides)
      marksOf[QFileInfo(slide).fileName()] = countByHandOfDrawnMask(folder, QFileInfo(slide).completeBaseName());
    const QString keptMask = folder + "/masks/" + QFileInfo(test::kYellowSlide2).completeBaseName() + ".png";
    for (const QString& slide : {test::kRedSlide, test::kYellowSlide})
      QVERIFY(QFile::remove(folder + "/masks/" + QFileInfo(slide).completeBaseName() + ".png"));
    QVERIFY(QDir(folder + "/labels").removeRecursively());
    const std::string keptBytes = test::readBytes(keptMask.toStdString());

    MainWindow window;
    QVERIFY(test::showAndOpen(window, folder, {1400, 900}));
    QSignalSpy counted(&window, &MainWindow::countingFinished);
    window.countAll();
    QVERIFY(counted.wait(600000));
    int onScreen = 0;
    while (window.project()->slide(onScreen).name != QFileInfo(test::kRedSlide).fileName()) ++onScreen;
    window.selectSlide(onScreen);
    QTRY_VERIFY_WITH_TIMEOUT(window.canvas()->overlay().slide == onScreen, 30000);

    // As a user comes to it: Model > Retrain with one mask in the folder offers to outline the counts by hand.
    QSignalSpy outlined(&window, &MainWindow::countsByHandOutlined);
    MessageBoxAnswerer answers({"Outline Them...", "&Yes"});
    for (QAction* action : window.findChildren<QAction*>())
      if (action->text() == "&Retrain...") action->trigger();
    QCOMPARE(answers.said.size(), 2);
    QVERIFY2(answers.said[0].contains("2 slide(s) are counted by hand but have no mask"), qPrintable(answers.said[0]));
    QVERIFY2(answers.said[1].startsWith("Outline the cells of 2 slide(s) counted by hand") &&
                 answers.said[1].contains("1 slide(s) with a mask already keep it"),
             qPrintable(answers.said[1]));
    QVERIFY(outlined.wait(60000));
    QCOMPARE(outlined.first().at(0).toInt(), 2);
    QVERIFY(outlined.first().at(1).toStringList().isEmpty());
    for (int i = 0; i < window.project()->slideCount(); ++i) {
      const Slide& slide = window.project()->slide(i);
      const QString maskFile = folder + "/masks/" + QFileInfo(slide.name).completeBaseName() + ".png";
      if (maskFile == keptMask) continue;
      QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(maskFile), 30000);
      const cv::Mat saved = loadMask(maskFile.toStdString());
      QCOMPARE(cv::countNonZero(saved != engineCellsOf(slide, marksOf[slide.name])), 0);
      QTRY_VERIFY_WITH_TIMEOUT(window.project()->slide(i).hasMask() && window.project()->slide(i).edited, 30000);
      const QModelIndex maskCell = window.slideList()->model()->index(i, SlideListModel::MaskColumn);
      QTRY_COMPARE_WITH_TIMEOUT(maskCell.data().toString(), QString("mask"), 30000);
    }
    QCOMPARE(test::readBytes(keptMask.toStdString()), keptBytes);
    QCOMPARE(maskOriginOfFile(keptMask.toStdString()), MaskOrigin::Drawn);
    for (int i = 0; i < window.project()->slideCount(); ++i)  // the files say so too, the one on screen's included
      if (window.project()->maskPathFor(i) != keptMask)
        QTRY_COMPARE_WITH_TIMEOUT(maskOriginOfFile(window.project()->maskPathFor(i).toStdString()),
                                  MaskOrigin::OutlinedFromMarks, 30000);
    // The outlines are the network's until someone looks them over: the slide list says so (not the slide whose mask
    // was kept), and so does the folder's saved state.
    const auto statusOf = [&](int i) {
      return window.slideList()->model()->index(i, SlideListModel::StatusColumn).data().toString();
    };
    int outlinedOffScreen = -1;
    for (int i = 0; i < window.project()->slideCount(); ++i) {
      const Slide& slide = window.project()->slide(i);
      const bool outlined = folder + "/masks/" + QFileInfo(slide.name).completeBaseName() + ".png" != keptMask;
      QTRY_COMPARE_WITH_TIMEOUT(statusOf(i).contains("outlines to review"), outlined, 30000);
      if (outlined && i != onScreen) outlinedOffScreen = i;
    }
    QVERIFY(outlinedOffScreen >= 0);
    QString problem;
    QVERIFY2(window.project()->save(&problem), qPrintable(problem));
    const auto savedState = [&] {
      QFile file(folder + "/.fluocount/project.json");
      return file.open(QIODevice::ReadOnly) ? parseProjectState(file.readAll(), nullptr)
                                            : std::optional<ProjectState>();
    };
    QVERIFY(savedState() &&
            savedState()->slides.at(window.project()->slide(outlinedOffScreen).name).maskOutlinedFromMarks);
    // Mark Reviewed, as a user does it: on the slide, with R. Its mask file no longer says "outlined" (the same
    // pixels), and it was not counted as an edit.
    const std::string reviewedMask = window.project()->maskPathFor(outlinedOffScreen).toStdString();
    const cv::Mat outlinedPixels = loadMask(reviewedMask);
    window.selectSlide(outlinedOffScreen);
    QTRY_VERIFY_WITH_TIMEOUT(window.canvas()->overlay().slide == outlinedOffScreen, 30000);
    QTRY_VERIFY_WITH_TIMEOUT(window.maskDocument()->path() == window.project()->maskPathFor(outlinedOffScreen), 30000);
    for (QAction* action : window.findChildren<QAction*>())
      if (action->text() == "Mark &Reviewed") action->trigger();
    QVERIFY(window.project()->slide(outlinedOffScreen).reviewed);
    QVERIFY(!statusOf(outlinedOffScreen).contains("outlines to review"));
    QCOMPARE(maskOriginOfFile(reviewedMask), MaskOrigin::Drawn);
    QCOMPARE(cv::countNonZero(loadMask(reviewedMask) != outlinedPixels), 0);
    QVERIFY2(window.project()->save(&problem), qPrintable(problem));
    QVERIFY(!savedState()->slides.at(window.project()->slide(outlinedOffScreen).name).maskOutlinedFromMarks);
    window.selectSlide(onScreen);
    QTRY_VERIFY_WITH_TIMEOUT(window.canvas()->overlay().slide == onScreen, 30000);
    QTRY_VERIFY_WITH_TIMEOUT(window.maskDocument()->path() == window.project()->maskPathFor(onScreen), 30000);
    QCOMPARE(window.maskDocument()->undoStack()->count(), 1);  // the slide on screen: one step to take back
    auto* summary = window.findChild<QMessageBox*>("countsByHandOutlined");
    QVERIFY(summary);
    QVERIFY2(summary->text().startsWith("2 slide(s) have a mask from their count by hand"),
             qPrintable(summary->text()));
    if (qEnvironmentVariableIsSet("FLUOCOUNT_SCREENSHOT_DIR")) {
      window.grab().save(qEnvironmentVariable("FLUOCOUNT_SCREENSHOT_DIR") + "/every-count-by-hand-outlined.png");
      summary->grab().save(qEnvironmentVariable("FLUOCOUNT_SCREENSHOT_DIR") + "/every-count-by-hand-summary.png");
    }

    window.maskDocument()->undoStack()->undo();  // the slide on screen's mask, emptied again: a mask, kept
    QTRY_COMPARE_WITH_TIMEOUT(cv::countNonZero(loadMask(window.project()->maskPathFor(onScreen).toStdString())), 0,
                              30000);
    QTRY_VERIFY_WITH_TIMEOUT(!statusOf(onScreen).contains("outlines to review"), 30000);  // nothing left to review
    QCOMPARE(handCountsToOutline(*window.project()).slides.size(), std::size_t(0));
    QCOMPARE(handCountsToOutline(*window.project()).keepTheirMask, 3);
  }

  void aMaskOfTheWrongSizeIsNotEditedOrReplaced() {
    const QString folder =
        test::writableSlideFolder(scratch_.path(), "wrong-size", {test::kYellowSlide, test::kYellowSlide2});
    const QString maskFile = QDir(folder + "/masks").entryInfoList(QDir::Files, QDir::Name).first().filePath();
    saveMask(maskFile.toStdString(), cv::Mat::zeros(100, 80, CV_8U));
    const std::string bytes = test::readBytes(maskFile.toStdString());
    MainWindow window;
    QSignalSpy loaded(&window, &MainWindow::slideLoaded);
    QVERIFY(window.openFolder(folder));
    QVERIFY(loaded.wait(30000));
    QVERIFY(!window.maskDocument()->isEditable());
    window.maskTools()->setTool(MaskTool::Brush);
    drag(window.canvas(), {QPointF(50, 50), QPointF(90, 60)});
    QCOMPARE(test::readBytes(maskFile.toStdString()), bytes);
  }

  // Two slides of one stem (a TIFF and the PNG exported from it) would share masks/<stem>.png and
  // regions/<stem>.geojson: the mask drawn on one would score and be edited on the other. Neither uses them; the
  // slide list says "name clash" and why, and a stroke changes no file.
  void slidesSharingAStemUseNoMaskFile() {
    const QString folder = test::writableSlideFolder(scratch_.path(), "same-stem", {test::kYellowSlide});
    const QString png = QDir(folder + "/images").entryInfoList(QDir::Files).first().filePath();
    const QString tif = QFileInfo(png).path() + "/" + QFileInfo(png).completeBaseName() + ".tif";
    QVERIFY(cv::imwrite(tif.toStdString(), cv::imread(png.toStdString(), cv::IMREAD_COLOR)));
    const QString maskFile = QDir(folder + "/masks").entryInfoList(QDir::Files).first().filePath();
    const std::string bytes = test::readBytes(maskFile.toStdString());
    MainWindow window;
    QSignalSpy loaded(&window, &MainWindow::slideLoaded);
    QVERIFY(window.openFolder(folder));
    QVERIFY(loaded.wait(30000));
    QCOMPARE(window.project()->slideCount(), 2);
    for (int i = 0; i < 2; ++i) {
      const Slide& slide = window.project()->slide(i);
      QVERIFY2(!slide.hasMask() && slide.nameClash.contains("shares its name"), qPrintable(slide.nameClash));
      QVERIFY(window.project()->regionsPathFor(i).isEmpty());
      const QModelIndex maskCell = window.slideList()->model()->index(i, SlideListModel::MaskColumn);
      QCOMPARE(maskCell.data().toString(), QString("name clash"));
      QCOMPARE(maskCell.data(Qt::ToolTipRole).toString(), slide.nameClash);
    }
    QVERIFY(window.project()->slide(0).nameClash.contains(QFileInfo(tif).fileName()));
    QVERIFY(!window.maskDocument()->isEditable());
    QVERIFY(window.statusBar()->currentMessage().contains("shares its name"));
    window.maskTools()->setTool(MaskTool::Brush);
    drag(window.canvas(), {QPointF(50, 50), QPointF(90, 60)});
    QCOMPARE(test::readBytes(maskFile.toStdString()), bytes);
    QCOMPARE(QDir(folder + "/masks").entryList(QDir::Files).size(), 1);

    // Exported, each keeps its own overlay: <stem>.png for the first, <stem>_2.png for the second (as the CLI names
    // them), not one file written twice.
    QSignalSpy finished(&window, &MainWindow::countingFinished);
    window.countAll();
    QVERIFY(finished.wait(600000));
    const QString out = scratch_.filePath("same-stem-export");
    QString error;
    QVERIFY2(window.exportTo({out, false, false, true, false}, &error), qPrintable(error));
    const QString stem = QFileInfo(png).completeBaseName();
    QCOMPARE(QDir(out + "/overlays").entryList(QDir::Files, QDir::Name), QStringList({stem + ".png", stem + "_2.png"}));
  }

  // Masks `fluocount-cli masks` made (their files say they were outlined from counts by hand) open as outlines to
  // review. Reviewed, they stay reviewed when the folder is opened again, until the command writes the mask again:
  // a review is of the outlines it saw, never carried over to new ones.
  void masksTheCliOutlinedWaitForReviewInTheApp() {
    const QString folder = test::writableSlideFolder(scratch_.path(), "outlined-by-cli", {test::kYellowSlide});
    const QString maskFile = folder + "/masks/" + QFileInfo(test::kYellowSlide).completeBaseName() + ".png";
    const std::string mask = maskFile.toStdString();
    const cv::Mat pixels = loadMask(mask);
    saveMask(mask, pixels, true, MaskOrigin::OutlinedFromMarks);  // as `masks --overwrite` writes it
    const auto statusOfFirst = [](MainWindow& window) {
      return window.slideList()->model()->index(0, SlideListModel::StatusColumn).data().toString();
    };
    {
      MainWindow window;
      QVERIFY(test::showAndOpen(window, folder, {1200, 800}));
      QVERIFY(window.project()->slide(0).outlinesToReview());
      QVERIFY2(statusOfFirst(window).contains("outlines to review"), qPrintable(statusOfFirst(window)));
      QTRY_VERIFY_WITH_TIMEOUT(window.maskDocument()->path() == maskFile, 30000);
      for (QAction* action : window.findChildren<QAction*>())
        if (action->text() == "Mark &Reviewed") action->trigger();
      QVERIFY(window.project()->slide(0).reviewed && !window.project()->slide(0).edited);
      QCOMPARE(maskOriginOfFile(mask), MaskOrigin::Drawn);
      QCOMPARE(cv::countNonZero(loadMask(mask) != pixels), 0);
    }
    {
      MainWindow window;
      QVERIFY(test::showAndOpen(window, folder, {1200, 800}));
      QVERIFY(window.project()->slide(0).reviewed && !window.project()->slide(0).outlinesToReview());
    }
    saveMask(mask, pixels, true, MaskOrigin::OutlinedFromMarks);  // the command run again, with --overwrite
    MainWindow window;
    QVERIFY(test::showAndOpen(window, folder, {1200, 800}));
    QVERIFY(!window.project()->slide(0).reviewed && window.project()->slide(0).outlinesToReview());
  }
};

QTEST_MAIN(TestMaskEditingGui)
#include "test_mask_editing_gui.moc"
