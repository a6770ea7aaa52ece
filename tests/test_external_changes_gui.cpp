// A mask or regions file that another program changes while FluoCount has the slide open (Fiji saving the mask,
// QuPath exporting the slide's annotations again, the folder open in a second FluoCount window) is never written
// over unseen: with no edit of FluoCount's waiting, the app loads the new file; an edit that meets it is a
// conflict the user settles, and the version given up is set aside, never dropped. A second window on a folder
// another window holds is warned first. On a copy of a real FNC slide and its mask.
#include "gui_events.h"
#include "test_support.h"
#include "core/atomic_file.h"
#include "core/image_io.h"
#include "core/imagej_roi.h"
#include "core/mask_edit.h"
#include "core/slide_folder.h"
#include "core/true_cells.h"
#include "ui/main_window.h"
#include "ui/model/slide_list_model.h"
#include "ui/model/slide_folder_watch.h"

#include <QAbstractButton>
#include <QApplication>
#include <QDir>
#include <QMessageBox>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QFileInfo>
#include <QSysInfo>
#include <QTemporaryDir>

#include <filesystem>
#include <QTableView>
#include <QTimer>
#include <QUndoStack>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <fstream>

using namespace fluocount;
using namespace fluocount::ui;

namespace {

bool same(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && cv::countNonZero((a > 0) != (b > 0)) == 0;
}

cv::Mat decodeMask(const std::string& bytes) {
  return cv::imdecode(std::vector<std::uint8_t>(bytes.begin(), bytes.end()), cv::IMREAD_GRAYSCALE);
}

// The user's mask with a square painted in: what another program saves.
cv::Mat theirEdit(const cv::Mat& mask, int at) {
  cv::Mat changed = mask.clone();
  cv::rectangle(changed, cv::Rect(at, at, 40, 40), cv::Scalar(255), cv::FILLED);
  return changed;
}

// Written in place, in two pieces with a pause between, as Fiji and most programs save (not atomically).
std::string writeInPlace(const std::string& path, const cv::Mat& mask) {
  const std::string bytes = maskPngBytes(mask, path);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size() / 2));
  out.flush();
  QTest::qWait(30);
  out.write(bytes.data() + bytes.size() / 2, std::streamsize(bytes.size() - bytes.size() / 2));
  return bytes;
}

// A brush disc painted through the document, as one finished edit.
void paintDisc(MaskDocument& document, cv::Point centre) {
  document.apply("Brush", [centre](cv::Mat& mask) { return paintStroke(mask, centre, centre, 12, kCell); });
  document.finishEdit();
}

QStringList setAsideFiles(const QString& folder) { return QDir(folder).entryList(QDir::Files); }

// A slide's matches over its whole threshold sweep: 0 for a slide matched against no cell.
int truePositivesOverTheSweep(const Slide& slide) {
  int matched = 0;
  for (const SweepPoint& point : slide.analysis->sweep.points) matched += point.counts.truePositives;
  return matched;
}

// The user goes to another program's window (Fiji) and comes back to FluoCount's.
void comeBackFromAnotherWindow(QWidget& window) {
  QWidget elsewhere;
  elsewhere.show();
  elsewhere.activateWindow();
  QTRY_VERIFY_WITH_TIMEOUT(!window.isActiveWindow(), 5000);
  window.activateWindow();
}

// Count Folder, to the end.
bool countEverySlide(MainWindow& window) {
  QSignalSpy finished(&window, &MainWindow::countingFinished);
  window.countAll();
  return finished.wait(600000);
}

}  // namespace

class TestExternalChangesGui : public QObject {
  Q_OBJECT
  QTemporaryDir scratch_;
  QString folder_, imagePath_, maskPath_, regionsPath_, setAside_;
  cv::Size size_;
  std::string originalMask_;

private slots:
  void initTestCase() {
    FLUOCOUNT_REQUIRE_SHARED_DATA();
    QStandardPaths::setTestModeEnabled(true);
    folder_ = test::writableSlideFolder(scratch_.path(), "fnc-red", {test::kRedSlide});
    imagePath_ = folder_ + "/images/MAR32C2R3_PVHr_200x_r.png";
    maskPath_ = folder_ + "/masks/MAR32C2R3_PVHr_200x_r.png";
    regionsPath_ = folder_ + "/regions/MAR32C2R3_PVHr_200x_r.geojson";
    setAside_ = folder_ + "/.fluocount/set-aside";
    originalMask_ = test::readBytes(maskPath_.toStdString());
    size_ = loadMask(maskPath_.toStdString()).size();
  }

  void init() {
    test::writeBytes(maskPath_.toStdString(), originalMask_);
    QFile::remove(regionsPath_);
    QDir(setAside_).removeRecursively();
  }

  // Fiji saves the mask while the slide is open and nothing of FluoCount's waits: the document loads the new
  // file, the slide's undo steps (which fit the old pixels) go, and the reload writes nothing.
  void aMaskSavedByAnotherProgramIsLoadedAgain() {
    MaskDocument document(new SlideHistory(this));
    document.setSetAsideFolder(setAside_);
    QVERIFY(document.load(imagePath_, size_, maskPath_, nullptr));
    paintDisc(document, {100, 100});
    QCOMPARE(document.undoStack()->count(), 1);
    const cv::Mat theirs = theirEdit(document.mask(), 300);
    QSignalSpy reloaded(&document, &MaskDocument::reloaded);
    const std::string theirBytes = writeInPlace(maskPath_.toStdString(), theirs);
    QVERIFY(reloaded.wait(5000));
    QTest::qWait(400);  // the second half of the write settles too: still one reload, of the whole file
    QVERIFY(same(document.mask(), theirs));
    QVERIFY(document.isEditable());
    QCOMPARE(document.undoStack()->count(), 0);
    QCOMPARE(test::readBytes(maskPath_.toStdString()), theirBytes);
    QVERIFY(!QFileInfo::exists(setAside_));

    // The next edit goes over their version, which the document has now seen.
    paintDisc(document, {500, 400});
    const cv::Mat saved = loadMask(maskPath_.toStdString());
    QVERIFY(same(saved, document.mask()));
    QVERIFY(cv::countNonZero(saved(cv::Rect(300, 300, 40, 40))) == 1600);
  }

  // Another FluoCount window saves the mask just before this one's edit ends: the edit is not written over it.
  // Settled by loading their file, the edit is set aside; by keeping the edit, their file is.
  void anEditNeverOverwritesAMaskChangedElsewhere_data() {
    QTest::addColumn<bool>("keepMine");
    QTest::newRow("load the file") << false;
    QTest::newRow("keep my edits") << true;
  }
  void anEditNeverOverwritesAMaskChangedElsewhere() {
    QFETCH(bool, keepMine);
    MaskDocument document(new SlideHistory(this));
    document.setSetAsideFolder(setAside_);
    QVERIFY(document.load(imagePath_, size_, maskPath_, nullptr));
    QSignalSpy conflict(&document, &MaskDocument::conflict);
    const cv::Mat theirs = theirEdit(document.mask(), 300);
    const std::string theirBytes = maskPngBytes(theirs, "theirs");
    writeFileAtomically(maskPath_.toStdString(), theirBytes);  // before the watcher can tell: the write must
    paintDisc(document, {100, 100});
    QCOMPARE(conflict.count(), 1);
    QVERIFY(document.hasConflict());
    paintDisc(document, {160, 100});  // more edits wait with it, unwritten, without asking again
    QCOMPARE(conflict.count(), 1);
    QCOMPARE(test::readBytes(maskPath_.toStdString()), theirBytes);
    const cv::Mat mine = document.mask().clone();
    QTest::qWait(400);  // the watcher's report of the same change changes nothing
    QCOMPARE(conflict.count(), 1);
    QVERIFY(same(document.mask(), mine));

    const QString kept = keepMine ? document.keepMine() : document.keepTheirs();
    QVERIFY(!document.hasConflict());
    QCOMPARE(QFileInfo(kept).absolutePath(), QFileInfo(setAside_).absoluteFilePath());
    QVERIFY(kept.endsWith(".png"));
    QCOMPARE(setAsideFiles(setAside_).size(), 1);
    if (keepMine) {
      QCOMPARE(test::readBytes(kept.toStdString()), theirBytes);
      QVERIFY(same(loadMask(maskPath_.toStdString()), mine));
      QVERIFY(same(document.mask(), mine));
    } else {
      QVERIFY(same(decodeMask(test::readBytes(kept.toStdString())), mine));
      QCOMPARE(test::readBytes(maskPath_.toStdString()), theirBytes);
      QVERIFY(same(document.mask(), theirs));
    }
    // Saving works again, over the version kept.
    paintDisc(document, {700, 500});
    QVERIFY(same(loadMask(maskPath_.toStdString()), document.mask()));
  }

  // The slide is left (another slide, another folder, the app closed) with an edit in conflict: no one is left to
  // ask, so the file stays as the other program left it and the edit is kept beside it.
  void leavingASlideInConflictSetsTheEditAside() {
    MaskDocument document(new SlideHistory(this));
    document.setSetAsideFolder(setAside_);
    QVERIFY(document.load(imagePath_, size_, maskPath_, nullptr));
    const std::string theirBytes = maskPngBytes(theirEdit(document.mask(), 300), "theirs");
    writeFileAtomically(maskPath_.toStdString(), theirBytes);
    paintDisc(document, {100, 100});
    QVERIFY(document.hasConflict());
    const cv::Mat mine = document.mask().clone();
    QSignalSpy setAside(&document, &MaskDocument::setAsideOnClose);
    document.close();
    QCOMPARE(setAside.count(), 1);
    QCOMPARE(test::readBytes(maskPath_.toStdString()), theirBytes);
    QVERIFY(same(decodeMask(test::readBytes(setAside[0][1].toString().toStdString())), mine));
  }

  // QuPath exports the slide's regions again: loaded again with no edit waiting; an edit that meets a later
  // export is a conflict, settled here by keeping the edit (their export is set aside).
  void regionsExportedAgainAreLoadedAgainOrAskedAbout() {
    SlideHistory history;
    MaskDocument mask(&history);  // activates the slide's history, which region edits use
    QVERIFY(mask.load(imagePath_, size_, maskPath_, nullptr));
    RegionDocument regions(&history);
    regions.setSetAsideFolder(setAside_);
    QVERIFY(regions.load(regionsPath_, size_, nullptr));
    const auto square = [](const char* name, double at) {
      return Region{name, {{{{at, at}, {at + 200, at}, {at + 200, at + 150}, {at, at + 150}}}}};
    };
    regions.add(square("mine", 50));
    QVERIFY(QFileInfo::exists(regionsPath_));

    QSignalSpy reloaded(&regions, &RegionDocument::reloaded);
    const std::string export1 = regionsGeoJson({square("LHr", 400), square("PVH", 700)});
    writeFileAtomically(regionsPath_.toStdString(), export1);
    QVERIFY(reloaded.wait(5000));
    QCOMPARE(regions.regions().size(), std::size_t(2));
    QCOMPARE(regions.regions()[0].name, std::string("LHr"));
    QCOMPARE(test::readBytes(regionsPath_.toStdString()), export1);

    QSignalSpy conflict(&regions, &RegionDocument::conflict);
    const std::string export2 = regionsGeoJson({square("DMH", 100)});
    writeFileAtomically(regionsPath_.toStdString(), export2);
    regions.rename(0, "LH");
    QCOMPARE(conflict.count(), 1);
    QCOMPARE(test::readBytes(regionsPath_.toStdString()), export2);
    const QString kept = regions.keepMine();
    QCOMPARE(test::readBytes(kept.toStdString()), export2);
    const std::vector<Region> onDisk = loadRegions(regionsPath_.toStdString(), size_);
    QCOMPARE(onDisk.size(), std::size_t(2));
    QCOMPARE(onDisk[0].name, std::string("LH"));

    // An export of QuPath's "all objects" holds its cells beside the annotations: the regions show, read-only, so
    // that no save writes the file back without its cells.
    const std::string allObjects = R"({"type":"FeatureCollection","features":[
      {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[400,400],[600,400],[600,550],[400,550],[400,400]]]},"properties":{"objectType":"annotation","name":"LHr"}},
      {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[410,410],[430,410],[430,430],[410,430],[410,410]]]},"properties":{"objectType":"detection"}}]})";
    writeFileAtomically(regionsPath_.toStdString(), allObjects);
    QVERIFY(reloaded.wait(5000));
    QCOMPARE(regions.regions().size(), std::size_t(1));
    QVERIFY(!regions.isEditable());
    QString said;
    QVERIFY(!regions.load(regionsPath_, size_, &said));
    QVERIFY2(said.contains("also holds 1 QuPath detection, cell or tile: not regions, left out. Its regions are shown "
                           "read-only"),
             qPrintable(said));
    regions.rename(0, "LH");
    QCOMPARE(regions.regions()[0].name, std::string("LHr"));
    QCOMPARE(test::readBytes(regionsPath_.toStdString()), allObjects);
  }

  // In the app: a mask another program removes, then writes, follows on screen and in the slide list; an edit
  // that meets a change asks which version to keep, and "Load the File" sets the edit aside in
  // .fluocount/set-aside.
  void theAppFollowsTheFileAndAsksOnConflict() {
    MainWindow window;
    QVERIFY(test::showAndOpen(window, folder_, {1400, 900}));
    MaskDocument* document = window.maskDocument();
    QVERIFY(window.project()->slide(0).hasMask());

    QSignalSpy reloaded(document, &MaskDocument::reloaded);
    QVERIFY(QFile::remove(maskPath_));
    QVERIFY(reloaded.wait(5000));
    QVERIFY(!window.project()->slide(0).hasMask());
    QCOMPARE(cv::countNonZero(document->mask()), 0);

    const cv::Mat theirs = decodeMask(originalMask_);
    writeInPlace(maskPath_.toStdString(), theirs);
    QVERIFY(reloaded.wait(5000));
    QTRY_VERIFY(window.project()->slide(0).hasMask());
    QVERIFY(same(document->mask(), theirs));

    const std::string later = maskPngBytes(theirEdit(theirs, 300), "later");
    writeFileAtomically(maskPath_.toStdString(), later);
    window.maskTools()->setTool(MaskTool::Brush);
    test::dragThrough(window.canvas(), {QPointF(60, 60), QPointF(120, 64)});
    QMessageBox* box = nullptr;
    QTRY_VERIFY((box = window.findChild<QMessageBox*>("fileConflict")) != nullptr);
    QVERIFY(box->text().contains("MAR32C2R3_PVHr_200x_r.png"));
    QCOMPARE(test::readBytes(maskPath_.toStdString()), later);
    const cv::Mat mine = document->mask().clone();
    test::buttonLabelled<QAbstractButton>(*box, "Load the File")->click();
    QVERIFY(same(document->mask(), decodeMask(later)));
    const QStringList kept = setAsideFiles(setAside_);
    QCOMPARE(kept.size(), 1);
    QVERIFY(same(loadMask((setAside_ + "/" + kept[0]).toStdString()), mine));
    QCOMPARE(test::readBytes(maskPath_.toStdString()), later);
  }

  // A second window on a folder another window holds is warned before it opens it (Cancel leaves it as it was;
  // Open takes the folder over); a lock left by a FluoCount that is no longer running is taken without asking.
  void aSecondWindowOnTheFolderIsWarned() {
    MainWindow first;
    QVERIFY(test::showAndOpen(first, folder_, {1200, 800}));
    MainWindow second;
    second.show();
    QString asked;
    const auto answer = [&asked](QMessageBox::StandardButton button) {
      QTimer::singleShot(0, [&asked, button] {
        auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
        if (!box) return;
        asked = box->text();
        box->button(button)->click();
      });
    };
    answer(QMessageBox::Cancel);
    QVERIFY(!second.openFolder(folder_));
    QVERIFY(asked.contains("is open in another FluoCount window"));
    QVERIFY(asked.contains(QString::number(QCoreApplication::applicationPid())));
    QVERIFY(!second.project()->isOpen());
    asked.clear();
    answer(QMessageBox::Open);
    QVERIFY(second.openFolder(folder_));
    QVERIFY(!asked.isEmpty());
    QVERIFY(second.project()->isOpen());
    QCOMPARE(second.project()->otherUserOf(folder_), QString());  // its own hold is not another user

    // A lock whose process is gone (a crash): no question.
    QTemporaryDir other;
    const QString crashed = test::writableSlideFolder(other.path(), "fnc-red", {test::kRedSlide});
    QDir().mkpath(crashed + "/.fluocount");
    test::writeBytes((crashed + "/.fluocount/lock").toStdString(),
                     "2147483000\nFluoCount\n" + QSysInfo::machineHostName().toStdString() + "\n");
    QCOMPARE(first.project()->otherUserOf(crashed), QString());
    asked.clear();
    QVERIFY(first.openFolder(crashed));
    QVERIFY(asked.isEmpty());
  }

  // Masks changed by another program for a slide not on screen (no document follows its file), or while the folder
  // was closed (the user annotating in Fiji): the counts stand, but each slide's matching, and so its F1 curve, the
  // folder's best-F1 threshold and the held-out scores, follows the mask the folder holds now, without counting
  // again. A folder reopened with its masks unchanged matches nothing again.
  void masksChangedElsewhereAreMatchedAgain() {
    const QString folder =
        test::writableSlideFolder(scratch_.path(), "remasked", {test::kYellowSlide, test::kYellowSlide2});
    std::map<QString, int> counts, matches;
    QString onScreenMask, offScreenMask;
    std::string offScreenMaskBytes;
    {
      MainWindow window;
      QVERIFY(test::showAndOpen(window, folder, {1200, 800}));
      QVERIFY(countEverySlide(window));
      const Project& project = *window.project();
      for (int i = 0; i < project.slideCount(); ++i) {
        QVERIFY(project.slide(i).analysis->sweep.hasTruth);
        counts[project.slide(i).name] = project.slide(i).count;
        matches[project.slide(i).name] = truePositivesOverTheSweep(project.slide(i));
        QVERIFY(matches[project.slide(i).name] > 0);
      }
      QCOMPARE(window.currentSlide(), 0);
      onScreenMask = project.slide(0).maskPath;
      offScreenMask = project.slide(1).maskPath;
      offScreenMaskBytes = test::readBytes(offScreenMask.toStdString());

      // Fiji clears the mask of the slide not on screen; the user comes back to FluoCount's window.
      writeInPlace(offScreenMask.toStdString(), cv::Mat::zeros(loadMask(offScreenMask.toStdString()).size(), CV_8U));
      comeBackFromAnotherWindow(window);
      QTRY_COMPARE_WITH_TIMEOUT(truePositivesOverTheSweep(project.slide(1)), 0, 30000);
      QCOMPARE(project.slide(1).status, SlideStatus::Counted);
      QCOMPARE(project.slide(1).count, counts[project.slide(1).name]);
      QCOMPARE(truePositivesOverTheSweep(project.slide(0)), matches[project.slide(0).name]);
      QVERIFY2(window.statusBar()->currentMessage().contains("matched again"),
               qPrintable(window.statusBar()->currentMessage()));
    }

    // While the folder is closed the cleared mask comes back, and the other slide's mask is deleted.
    test::writeBytes(offScreenMask.toStdString(), offScreenMaskBytes);
    QVERIFY(QFile::remove(onScreenMask));
    {
      MainWindow window;
      QVERIFY(test::showAndOpen(window, folder, {1200, 800}));
      const Project& project = *window.project();
      for (int i = 0; i < project.slideCount(); ++i) {
        QCOMPARE(project.slide(i).status, SlideStatus::Counted);  // restored, not counted again
        QCOMPARE(project.slide(i).count, counts[project.slide(i).name]);
      }
      const int restored = 1, unmasked = 0;
      QTRY_COMPARE_WITH_TIMEOUT(truePositivesOverTheSweep(project.slide(restored)),
                                matches[project.slide(restored).name], 30000);
      QTRY_VERIFY_WITH_TIMEOUT(!project.slide(unmasked).analysis->sweep.hasTruth, 30000);
      QVERIFY(!project.slide(unmasked).hasMask());
    }
    {
      MainWindow window;
      QVERIFY(test::showAndOpen(window, folder, {1200, 800}));
      Project& project = *window.project();
      QVERIFY(project.slidesMatchedAgainstOtherAnnotations().empty());
      for (int i = 0; i < project.slideCount(); ++i)
        QVERIFY(!project.slide(i).analysis->sweepObjects);  // as saved: nothing was detected to match again
    }
  }

  // A count by hand saved into hand-counts/ while the folder is open (Fiji's Cell Counter, its markers file on the
  // cells of the slide's mask), for a slide without a mask: back in FluoCount the slide is matched against the
  // marks, as `evaluate --hand-counts` matches it, and the slide list says so; the file taken away, its F1 goes.
  void aCountByHandSavedElsewhereIsMatched() {
    const QString folder =
        test::writableSlideFolder(scratch_.path(), "by-hand", {test::kYellowSlide, test::kYellowSlide2});
    const std::string mask = test::maskFile(test::kYellowSlide2);
    QVERIFY(QDir(folder + "/masks").removeRecursively());
    MainWindow window;
    QVERIFY(test::showAndOpen(window, folder, {1200, 800}));
    QVERIFY(countEverySlide(window));
    const Project& project = *window.project();
    const int offScreen = 1;
    QVERIFY(!project.slide(offScreen).analysis->sweep.hasTruth);

    const QString stem = QFileInfo(test::kYellowSlide2).completeBaseName();
    const QString markers = folder + "/hand-counts/CellCounter_" + stem + ".xml";
    QVERIFY(QDir(folder).mkpath("hand-counts"));
    std::string xml =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<CellCounter_Marker_File>\r\n <Image_Properties>\r\n"
        "     <Image_Filename>" +
        stem.toStdString() +
        ".png</Image_Filename>\r\n </Image_Properties>\r\n"
        " <Marker_Data>\r\n     <Current_Type>1</Current_Type>\r\n     <Marker_Type>\r\n         <Type>1</Type>\r\n";
    const Detection cells = measureLabels(fluocount::trueCells(mask, "").labels);
    for (const DetectedObject& cell : cells.objects)
      xml += "         <Marker>\r\n             <MarkerX>" + std::to_string(int(cell.boxCentre().x)) +
             "</MarkerX>\r\n             <MarkerY>" + std::to_string(int(cell.boxCentre().y)) +
             "</MarkerY>\r\n             <MarkerZ>1</MarkerZ>\r\n         </Marker>\r\n";
    test::writeBytes(markers.toStdString(),
                     xml + "     </Marker_Type>\r\n </Marker_Data>\r\n</CellCounter_Marker_File>\r\n");
    comeBackFromAnotherWindow(window);
    QTRY_VERIFY_WITH_TIMEOUT(project.slide(offScreen).analysis->sweep.hasTruth, 30000);
    QCOMPARE(QFileInfo(project.slide(offScreen).handCountPath), QFileInfo(markers));
    QVERIFY(truePositivesOverTheSweep(project.slide(offScreen)) > 0);
    const QAbstractItemModel* list = window.slideList()->model();
    QCOMPARE(list->data(list->index(offScreen, SlideListModel::MaskColumn)).toString(), QString("count by hand"));
    QVERIFY(!project.slide(0).analysis->sweep.hasTruth);  // the other slide has none

    // The slide on screen, counted by hand with Fiji's multi-point tool: its marks are drawn, and its TP / FP / FN
    // follow the file as its curves do.
    QVERIFY(window.canvas()->handMarks().isEmpty());
    std::vector<cv::Point2d> marks =
        boxCentres(measureLabels(fluocount::trueCells(test::maskFile(test::kYellowSlide), "").labels));
    for (cv::Point2d& mark : marks) mark += cv::Point2d(0.5, 0.5);  // ImageJ's pixel centres
    const QString roi = folder + "/hand-counts/" + QFileInfo(test::kYellowSlide).completeBaseName() + ".roi";
    test::writeBytes(roi.toStdString(), encodePointRoi("count", marks));
    comeBackFromAnotherWindow(window);
    QTRY_COMPARE_WITH_TIMEOUT(window.canvas()->handMarks().size(), qsizetype(marks.size()), 30000);
    QCOMPARE(window.canvas()->handMarks().first(), QPointF(marks[0].x, marks[0].y));
    QTRY_VERIFY_WITH_TIMEOUT(window.canvas()->overlay().hasTruth, 30000);
    const MatchCounts matched = window.canvas()->overlay().matchCounts;
    QCOMPARE(matched.truePositives + matched.falseNegatives, int(marks.size()));
    QVERIFY(matched.truePositives > 0);

    QVERIFY(QFile::remove(markers));
    QVERIFY(QFile::remove(roi));
    comeBackFromAnotherWindow(window);
    QTRY_VERIFY_WITH_TIMEOUT(!project.slide(offScreen).analysis->sweep.hasTruth, 30000);
    QVERIFY(project.slide(offScreen).handCountPath.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(window.canvas()->handMarks().isEmpty() && !window.canvas()->overlay().hasTruth, 30000);
  }

  // Masks as Fiji saves them by default: TIFF, 8-bit with an inverting LUT (WhiteIsZero, cells 255). The folder's
  // scan, evaluate and training read masks/<stem>.tif where no PNG of the stem exists; the app shows and edits it,
  // saving the edits to masks/<stem>.png, which then holds the mask, and never writes over the TIFF.
  void aFijiTiffMaskIsReadAndEditedIntoAPng() {
    const QString folder = test::writableSlideFolder(scratch_.path(), "tiff-masks", {test::kRedSlide});
    const QString png = folder + "/masks/MAR32C2R3_PVHr_200x_r.png", tiff = folder + "/masks/MAR32C2R3_PVHr_200x_r.tif";
    const cv::Mat drawn = loadMask(png.toStdString());
    test::TiffPageOptions fijiDefault;
    fijiDefault.whiteIsZero = true;
    test::writeTiff(tiff.toStdString(), {drawn}, fijiDefault);
    QVERIFY(QFile::remove(png));
    const std::string tiffBytes = test::readBytes(tiff.toStdString());
    QCOMPARE(QFileInfo(QString::fromStdString(scanAnnotatedDataset(folder.toStdString()).slides.at(0).mask)),
             QFileInfo(tiff));

    MainWindow window;
    QVERIFY(test::showAndOpen(window, folder, {1200, 800}));
    Project& project = *window.project();
    QVERIFY(project.slide(0).hasMask());
    QCOMPARE(QFileInfo(project.slide(0).maskPath), QFileInfo(tiff));
    const QAbstractItemModel* list = window.slideList()->model();
    const QModelIndex maskCell = list->index(0, SlideListModel::MaskColumn);
    QCOMPARE(list->data(maskCell).toString(), QString("mask (TIFF)"));
    QCOMPARE(QFileInfo(list->data(maskCell, Qt::ToolTipRole).toString()), QFileInfo(tiff));
    QSignalSpy loaded(&window, &MainWindow::slideLoaded);
    window.selectSlide(0);
    QTRY_VERIFY_WITH_TIMEOUT(window.maskDocument()->isOpen(), 30000);
    QVERIFY(same(window.maskDocument()->mask(), drawn));
    QVERIFY(countEverySlide(window));
    QVERIFY(project.slide(0).analysis->sweep.hasTruth);
    QVERIFY(truePositivesOverTheSweep(project.slide(0)) > 0);

    paintDisc(*window.maskDocument(), {60, 60});
    QVERIFY(QFileInfo::exists(png));
    QCOMPARE(test::readBytes(tiff.toStdString()), tiffBytes);
    QCOMPARE(QFileInfo(project.slide(0).maskPath), QFileInfo(png));
    QCOMPARE(list->data(maskCell).toString(), QString("mask"));
    const cv::Mat saved = loadMask(png.toStdString());
    QVERIFY(same(saved, window.maskDocument()->mask()));
    QCOMPARE(cv::countNonZero((drawn > 0) & (saved == 0)), 0);  // the TIFF's cells, and the disc
    QVERIFY(cv::countNonZero(saved) > cv::countNonZero(drawn));

    // The TIFF corrected again in Fiji an hour later: the PNG still holds the mask (the app's edits are not
    // dropped), and the app and the CLI's dataset scan both say that the newer TIFF is not what is used.
    QFile tiffFile(tiff);
    QVERIFY(tiffFile.open(QIODevice::ReadWrite));
    QVERIFY(tiffFile.setFileTime(QDateTime::currentDateTime().addSecs(3600), QFileDevice::FileModificationTime));
    tiffFile.close();
    const SlideFiles scanned = scanAnnotatedDataset(folder.toStdString()).slides.at(0);
    QCOMPARE(QFileInfo(QString::fromStdString(scanned.mask)), QFileInfo(png));
    QCOMPARE(QFileInfo(QString::fromStdString(scanned.newerTiffMask)), QFileInfo(tiff));
    // Said when the user comes back to the window from Fiji, without a reload (saving over a file in place changes
    // no folder).
    auto* note = window.findChild<QWidget*>("folder-files-note");
    QVERIFY(note && note->isHidden());
    comeBackFromAnotherWindow(window);
    QTRY_VERIFY_WITH_TIMEOUT(!note->isHidden(), 5000);
    window.reloadFolder();
    QCOMPARE(QFileInfo(project.slide(0).maskPath), QFileInfo(png));
    QVERIFY(!note->isHidden());
    QVERIFY2(project.folderFilesNote().startsWith("The TIFF mask MAR32C2R3_PVHr_200x_r.tif was saved after the PNG "
                                                  "mask of the same slide, which FluoCount reads"),
             qPrintable(project.folderFilesNote()));
  }

  // A slide another program is still writing (a microscope saving a large TIFF, a copy over the network) does not
  // join the list half-written: the watch reports the folder once every new file has stopped changing, and the
  // window reads the whole folder then. Written here in pieces, a fifth of a second apart, for three seconds.
  void aSlideStillBeingWrittenJoinsOnceWritten() {
    const QString folder = test::writableSlideFolder(scratch_.path(), "acquiring", {test::kYellowSlide});
    SlideFolderWatch watch;
    watch.setSettleMilliseconds(500);
    watch.follow(folder, {QFileInfo(test::kYellowSlide).fileName()});
    QSignalSpy changed(&watch, &SlideFolderWatch::slidesChanged);
    const std::string bytes = test::readBytes(test::dataFile(test::kRedSlide));
    const QString arriving = folder + "/images/" + QFileInfo(test::kRedSlide).fileName();
    {
      std::ofstream out(arriving.toStdString(), std::ios::binary);
      const std::size_t pieces = 15, piece = bytes.size() / pieces + 1;
      for (std::size_t written = 0; written < bytes.size(); written += piece) {
        out.write(bytes.data() + written, std::streamsize(std::min(piece, bytes.size() - written)));
        out.flush();
        QTest::qWait(200);
        QVERIFY2(changed.isEmpty(), "a slide still being written was reported");
      }
    }
    QVERIFY(changed.wait(10000));
    QCOMPARE(changed.size(), 1);
    QCOMPARE(changed.first().at(0).toStringList(), QStringList{QFileInfo(arriving).fileName()});
    QCOMPARE(test::readBytes(arriving.toStdString()), bytes);

    // Removed and added at once, both reported when the new file is written.
    QVERIFY(QFile::remove(arriving));
    test::writeBytes((folder + "/images/second.png").toStdString(), bytes);
    QVERIFY(changed.wait(10000));
    QCOMPARE(changed.last().at(0).toStringList(), QStringList{"second.png"});
    QCOMPARE(changed.last().at(1).toStringList(), QStringList{QFileInfo(arriving).fileName()});
  }

  // Slides written into the open folder by another program (a microscope saving as it acquires) join the list,
  // and removed ones leave it, without reopening: every other slide keeps its count, the slide on screen stays
  // on screen with its undo history, although the new slide sorts first and moves every index.
  void slidesAddedToOrRemovedFromTheFolderFollow() {
    const QString folder =
        test::writableSlideFolder(scratch_.path(), "growing", {test::kYellowSlide, test::kYellowSlide2});
    MainWindow window;
    QVERIFY(test::showAndOpen(window, folder, {1200, 800}));
    QSignalSpy loaded(&window, &MainWindow::slideLoaded);
    window.selectSlide(1);
    QVERIFY(loaded.wait(30000));
    QVERIFY(countEverySlide(window));
    Project& project = *window.project();
    const QString onScreen = project.slide(1).name, other = project.slide(0).name;
    const int onScreenCount = project.slide(1).count, otherCount = project.slide(0).count;
    paintDisc(*window.maskDocument(), {200, 200});
    QCOMPARE(window.maskDocument()->undoStack()->count(), 1);

    const QString added = folder + "/images/MAR32C2R3_PVHr_200x_r.png";  // sorts before both ("A" < "a")
    QVERIFY(QFile::copy(QString::fromStdString(test::dataFile(test::kRedSlide)), added));
    QTRY_COMPARE_WITH_TIMEOUT(project.slideCount(), 3, 15000);
    QCOMPARE(project.slide(0).name, QFileInfo(added).fileName());
    QCOMPARE(project.slide(0).status, SlideStatus::NotRun);
    QCOMPARE(project.slide(window.currentSlide()).name, onScreen);
    QTRY_COMPARE_WITH_TIMEOUT(window.maskDocument()->undoStack()->count(), 1, 15000);
    for (int i = 1; i < 3; ++i) {
      QCOMPARE(project.slide(i).status, SlideStatus::Counted);
      QCOMPARE(project.slide(i).count, project.slide(i).name == onScreen ? onScreenCount : otherCount);
    }
    QVERIFY2(window.statusBar()->currentMessage().contains("1 new slide"),
             qPrintable(window.statusBar()->currentMessage()));

    QVERIFY(QFile::remove(folder + "/images/" + other));
    QTRY_COMPARE_WITH_TIMEOUT(project.slideCount(), 2, 15000);
    QCOMPARE(project.slide(window.currentSlide()).name, onScreen);
    QCOMPARE(project.slide(1).count, onScreenCount);
  }

  // A folder from the microscope holds files in its own format beside the exported TIFFs, and a USB stick written
  // by a Mac a "._" file beside every slide. The hidden ones are not slides; the others are named in a note that
  // stays until dismissed (and comes back when they change), so that a count of the folder never looks complete
  // with slides missing. A folder of such files alone says why it has no slides.
  void filesTheAppCannotReadAreNamedNotPassedOver() {
    const QString folder = test::writableSlideFolder(scratch_.path(), "mixed", {test::kYellowSlide});
    const QString slide = QFileInfo(test::kYellowSlide).fileName();
    test::writeBytes((folder + "/images/._" + slide).toStdString(), std::string("\x00\x05\x16\x07Mac OS X", 12));
    test::writeBytes((folder + "/images/scan 1.czi").toStdString(), "ZISRAWFILE");
    // A slide named in Latin-1 on an old share: Qt cannot open it by that name.
    const std::string latin1 = folder.toStdString() + "/images/Schnitt_\xe4.png";
    test::writeBytes(latin1, test::readBytes(test::dataFile(test::kYellowSlide2)));
    QVERIFY(QFile::copy(QString::fromStdString(test::dataFile(test::kYellowSlide)).replace("/images/", "/masks/"),
                        folder + "/masks/old name.png"));
    QVERIFY(QDir().mkpath(folder + "/regions"));
    test::writeBytes((folder + "/regions/old name.geojson").toStdString(),
                     R"({"type":"FeatureCollection","features":[]})");
    MainWindow window;
    QVERIFY(test::showAndOpen(window, folder, {1200, 800}));
    QCOMPARE(window.project()->slideCount(), 1);
    QCOMPARE(window.project()->slide(0).name, slide);
    auto* note = window.findChild<QWidget*>("folder-files-note");
    QVERIFY(note && !note->isHidden());
    const QString said = window.project()->folderFilesNote();
    QVERIFY2(said.startsWith("1 file is not counted: scan 1.czi (Zeiss CZI)"), qPrintable(said));
    QVERIFY2(
        said.contains("\n1 slide is not opened: Schnitt_\uFFFD.png has a file name in another encoding than UTF-8"),
        qPrintable(said));
    QVERIFY2(
        said.contains("\n1 mask belongs to no slide: masks/old name.png is not used (a slide renamed or removed? A "
                      "mask is masks/<the slide's name>.png or .tif)."),
        qPrintable(said));
    QVERIFY2(
        said.endsWith("\n1 regions file belongs to no slide: regions/old name.geojson is not used (a slide renamed "
                      "or removed? A slide's regions are regions/<the slide's name>.geojson)."),
        qPrintable(said));

    // Dismissed, it stays away on a reload; another such file brings it back.
    note->hide();
    window.reloadFolder();
    QVERIFY(note->isHidden());
    test::writeBytes((folder + "/images/well B2.nd2").toStdString(), "ND2");
    window.reloadFolder();
    QVERIFY(!note->isHidden());
    QVERIFY2(window.project()->folderFilesNote().startsWith(
                 "2 files are not counted: scan 1.czi, well B2.nd2 (Zeiss CZI and Nikon ND2)"),
             qPrintable(window.project()->folderFilesNote()));
    // One written while the folder is open (a microscope saving its own format) is named without a reload.
    QSignalSpy reloaded(window.project(), &Project::slidesReset);
    note->hide();
    test::writeBytes((folder + "/images/well C3.czi").toStdString(), "ZISRAWFILE");
    QTRY_VERIFY_WITH_TIMEOUT(window.project()->folderFilesNote().startsWith("3 files are not counted"), 20000);
    QVERIFY(!note->isHidden());
    // The folder's watch does not take the Latin-1 slide for a new one (and read the folder again) each time it looks.
    QTest::qWait(2500);
    QCOMPARE(reloaded.count(), 0);
    QCOMPARE(window.project()->slideCount(), 1);
    std::filesystem::remove(latin1);  // (QTemporaryDir cannot: Qt lists no such name)

    const QString onlyRaw = scratch_.path() + "/raw";
    QVERIFY(QDir().mkpath(onlyRaw));
    test::writeBytes((onlyRaw + "/scan.lif").toStdString(), "LIF");
    Project project;
    QString error;
    QVERIFY(!project.open(onlyRaw, &error));
    QVERIFY2(error.contains("no slides") && error.contains("scan.lif (Leica LIF)"), qPrintable(error));
    QVERIFY(QDir().mkpath(onlyRaw + "/day 2"));
    QVERIFY(QFile::copy(QString::fromStdString(test::dataFile(test::kYellowSlide)), onlyRaw + "/day 2/" + slide));
    QVERIFY(!project.open(onlyRaw, &error));
    QVERIFY2(error.contains("Its subfolder day 2 holds slides. Open one of them."), qPrintable(error));
  }
};

QTEST_MAIN(TestExternalChangesGui)
#include "test_external_changes_gui.moc"
