// The app's cell-diameter tools, offscreen, on a copy of a real FNC slide whose cells (~29 px) a fixed 50 px
// misses: a new folder measures each slide's diameter; at the fixed default, Count > Measure Cell Diameter
// estimates it and, once the user says yes, counts again at it; the calibration tool turns lines dragged across
// cells on the canvas into the folder's diameter.
#include "test_support.h"
#include "ui/main_window.h"
#include "ui/model/exporter.h"
#include "ui/model/slide_list_model.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <QTableView>

#include <QFont>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>

using namespace fluocount;
using namespace fluocount::ui;

namespace {

QPushButton* buttonWithText(QWidget* root, const QString& text) {
  for (QPushButton* button : root->findChildren<QPushButton*>())
    if (button->text() == text && button->isVisible()) return button;
  return nullptr;
}

// A left drag on the canvas between two image points.
void dragAcross(SlideCanvas* canvas, QPointF from, QPointF to) {
  QTest::mousePress(canvas, Qt::LeftButton, {}, canvas->toWidget(from).toPoint());
  QTest::mouseMove(canvas, canvas->toWidget((from + to) / 2).toPoint());
  QTest::mouseMove(canvas, canvas->toWidget(to).toPoint());
  QTest::mouseRelease(canvas, Qt::LeftButton, {}, canvas->toWidget(to).toPoint());
}

// The rows of a real FNC yellow slide above its first annotated cell, less half a cell (25 px): no cell in it.
bool writeFieldWithoutCells(const QString& path) {
  const cv::Mat mask = cv::imread(test::maskFile(test::kYellowSlide2), cv::IMREAD_GRAYSCALE);
  int firstCellRow = 0;
  while (firstCellRow < mask.rows && cv::countNonZero(mask.row(firstCellRow)) == 0) ++firstCellRow;
  if (firstCellRow <= 325) return false;
  const cv::Mat slide = cv::imread(test::dataFile(test::kYellowSlide2), cv::IMREAD_COLOR);
  return cv::imwrite(path.toStdString(), slide.rowRange(0, firstCellRow - 25));
}

}  // namespace

class TestDiameterGui : public QObject {
  Q_OBJECT
  QTemporaryDir scratch_;
  QString folder_;  // a copy of fnc-red-extra: one slide, 5 annotated cells of ~29 px

private slots:
  void initTestCase() {
    FLUOCOUNT_REQUIRE_SHARED_DATA();
    folder_ = test::writableSlideFolder(scratch_.path(), "fnc-red-extra",
                                        {"fnc-red-extra/images/MAR31S1C1R2_DMHr_200x_r.png"});
  }

  void measuredDiameterIsOfferedAndCountsTheCellsTheDefaultMissed() {
    MainWindow window;
    window.show();
    QVERIFY(window.openFolder(folder_));
    QSignalSpy counted(&window, &MainWindow::countingFinished);
    auto* note = window.findChild<QWidget*>("default-diameter-note");
    QVERIFY(note);

    // A new folder counts each slide at the diameter measured on it: the cells are found, the slide list shows
    // the diameter, and there is nothing to note.
    QVERIFY(window.project()->settings().automaticDiameter);
    window.countAll();
    QVERIFY(counted.wait(600000));
    const double perSlide = window.project()->slide(0).analysis->cellDiameterPx;
    const int automatic = window.project()->slide(0).count;
    qInfo("measured on the slide: %.0f px, %d cells (annotations: 28.8 px, 5 cells)", perSlide, automatic);
    QVERIFY2(perSlide > 28.8 * 0.75 && perSlide < 28.8 * 1.25, qPrintable(QString::number(perSlide)));
    QVERIFY(automatic > 0);
    const QAbstractItemModel* list = window.slideList()->model();
    QCOMPARE(list->data(list->index(0, SlideListModel::DiameterColumn)).toString(), QString("%1 px").arg(perSlide));
    QVERIFY(!note->isVisible());

    // Settings back to the model's fixed default, as a folder saved by an older FluoCount has it.
    ProjectSettings fixed = window.project()->settings();
    fixed.automaticDiameter = false;
    fixed.cellDiameterPx = 0;
    window.applySettings(fixed);
    window.countAll();
    QVERIFY(counted.wait(600000));
    const int atDefault = window.project()->slide(0).count;

    // Counted at the default diameter, which the user never set: the note under the slide says so, and why the
    // count is empty; its Measure button runs Count > Measure Cell Diameter.
    QVERIFY(note->isVisible());
    const QString noteText = note->findChild<QLabel*>()->text();
    QVERIFY2(atDefault > 0 || noteText.contains("No cells found on 1 of 1 slides"), qPrintable(noteText));
    QVERIFY2(noteText.contains("50 px"), qPrintable(noteText));
    QSignalSpy measured(&window, &MainWindow::diameterMeasured);
    QPushButton* measure = buttonWithText(note, "Measure...");
    QVERIFY(measure);
    measure->click();
    QVERIFY(!note->isVisible());
    QVERIFY(measured.wait(600000));
    const double diameter = measured.first().first().toDouble();
    qInfo("default diameter: %d cells; measured %.0f px (annotations: 28.8 px)", atDefault, diameter);
    QVERIFY2(diameter > 28.8 * 0.75 && diameter < 28.8 * 1.25, qPrintable(QString::number(diameter)));
    QCOMPARE(window.lastDiameterMeasurement()->slides.size(), std::size_t(1));

    auto* box = window.findChild<QMessageBox*>("measured-diameter");
    QVERIFY(box);
    QVERIFY2(box->text().contains(QString("%1 px").arg(diameter)), qPrintable(box->text()));
    box->button(QMessageBox::Yes)->click();
    QCOMPARE(window.project()->settings().cellDiameterPx, diameter);
    QVERIFY(!window.project()->settings().automaticDiameter);
    QVERIFY(window.isCounting());
    QVERIFY(counted.wait(600000));
    const int atMeasured = window.project()->slide(0).count;
    QVERIFY2(!note->isVisible(), "the note stays away once the user has set a diameter");
    qInfo("at the measured diameter: %d cells (annotated: 5)", atMeasured);
    QVERIFY(atMeasured > atDefault);
    QCOMPARE(window.project()->slide(0).analysis->cellDiameterPx, diameter);
  }

  void calibrationLinesSetTheDiameter() {
    MainWindow window;
    window.resize(1600, 1000);
    window.show();
    QSignalSpy loaded(&window, &MainWindow::slideLoaded);
    QVERIFY(window.openFolder(folder_));
    QVERIFY(loaded.wait(60000));  // the slide is on the canvas, fitted to it
    QCOMPARE(window.currentSlide(), 0);
    window.canvas()->showActualSize();  // cells large enough on screen to drag across
    DiameterCalibration* calibration = window.diameterCalibration();
    calibration->start();
    SlideCanvas* canvas = window.canvas();
    // Three cells of 30, 34 and 40 px around the middle of the view, and a fourth line that a right click takes
    // back.
    const QPointF c = canvas->toImage(QPointF(canvas->rect().center()));
    dragAcross(canvas, c + QPointF(-120, -80), c + QPointF(-90, -80));
    dragAcross(canvas, c + QPointF(0, 0), c + QPointF(0, 34));
    dragAcross(canvas, c + QPointF(80, 60), c + QPointF(104, 92));
    dragAcross(canvas, c + QPointF(-100, 100), c + QPointF(0, 100));
    QCOMPARE(calibration->lines().size(), std::size_t(4));
    QTest::mouseClick(canvas, Qt::RightButton, {}, canvas->toWidget(c).toPoint());
    QCOMPARE(calibration->lines().size(), std::size_t(3));
    QVERIFY(std::abs(*calibration->diameterPx() - 34) < 1.0);  // the median of ~30, 34, 40 (canvas rounding)

    // A status message (as counting or loading a slide shows) must not hide the calibration's buttons.
    window.statusBar()->showMessage("a message", 60000);
    QTest::qWait(100);  // let the status bar lay out its new text before the screenshot
    const QImage shot = window.grab().toImage();
    shot.save(scratch_.filePath("calibration.png"));
    if (qEnvironmentVariableIsSet("FLUOCOUNT_SCREENSHOT_DIR"))
      shot.save(qEnvironmentVariable("FLUOCOUNT_SCREENSHOT_DIR") + "/calibration.png");

    const double median = std::round(*calibration->diameterPx());
    QPushButton* use = buttonWithText(&window, QString("Use %1 px").arg(median));
    QVERIFY2(use, qPrintable(QString("no 'Use %1 px' button").arg(median)));
    QSignalSpy counted(&window, &MainWindow::countingFinished);
    use->click();
    QVERIFY(!calibration->isActive());
    QCOMPARE(window.project()->settings().cellDiameterPx, median);
    QVERIFY(counted.wait(600000));
    QCOMPARE(window.project()->slide(0).analysis->cellDiameterPx, median);
  }

  // A real field without cells (the top of an FNC yellow slide, above its first annotated cell), counted with the
  // diameter measured per slide: too few cells to measure, so it is counted at the default 50 px. The slide list
  // marks that diameter as not measured and says why; the mark survives reopening the folder, and the app's
  // counts.csv says "not estimated" as the CLI's does.
  void aSlideWithTooFewCellsToMeasureIsMarkedNotEstimated() {
    const QString folder = scratch_.filePath("field-without-cells");
    QVERIFY(QDir().mkpath(folder + "/images"));
    QVERIFY(writeFieldWithoutCells(folder + "/images/empty-field.png"));
    {
      MainWindow window;
      window.show();
      QVERIFY(window.openFolder(folder));
      QSignalSpy counted(&window, &MainWindow::countingFinished);
      QVERIFY(window.project()->settings().automaticDiameter);
      window.countAll();
      QVERIFY(counted.wait(600000));
      const SlideAnalysis& analysis = *window.project()->slide(0).analysis;
      QCOMPARE(analysis.diameterSource, std::optional(DiameterSource::NotEstimated));
      QCOMPARE(analysis.cellDiameterPx, 50.0);
      const QAbstractItemModel* list = window.slideList()->model();
      const QModelIndex diameter = list->index(0, SlideListModel::DiameterColumn);
      QCOMPARE(list->data(diameter).toString(), QString("50 px?"));
      QVERIFY2(list->data(diameter, Qt::ToolTipRole).toString().startsWith("Too few cells to measure"),
               qPrintable(list->data(diameter, Qt::ToolTipRole).toString()));
      // The status bar's note says so too, with Measure... and Calibrate beside it.
      auto* note = window.findChild<QWidget*>("default-diameter-note");
      QVERIFY(note && note->isVisible());
      const QList<QLabel*> texts = note->findChildren<QLabel*>();
      QVERIFY(std::any_of(texts.begin(), texts.end(), [](const QLabel* label) {
        return label->text().startsWith("Too few cells on 1 of 1 slides to measure their cell diameter");
      }));
      QString error;
      QVERIFY2(window.project()->save(&error), qPrintable(error));
    }
    Project reopened;
    QString error;
    QVERIFY2(reopened.open(folder, &error), qPrintable(error));
    QCOMPARE(reopened.slide(0).status, SlideStatus::Counted);
    QCOMPARE(reopened.slide(0).analysis->diameterSource, std::optional(DiameterSource::NotEstimated));
    const QString out = scratch_.filePath("field-without-cells-export");
    const std::atomic<bool> cancel{false};
    exportResults({{reopened.slide(0), reopened.thresholdFor(0), {}}}, *reopened.counter(), {out}, {}, cancel);
    const QStringList lines = QString::fromStdString(test::readBytes((out + "/counts.csv").toStdString())).split('\n');
    const QStringList header = lines[0].split(','), row = lines[1].split(',');
    QCOMPARE(row[header.indexOf("cell_diameter_source")], QString("not estimated"));
    QCOMPARE(row[header.indexOf("cell_diameter_px")], QString("50.00"));
  }

  // The field beside a slide of many cells (MAR32C2R3, 86): once Count Folder has counted both, the field is counted
  // again at the slide's estimate (the median of the other slides'), as the CLI's count does, to the object; the
  // slide list says where its diameter came from, and reopening the folder keeps it.
  void aSlideWithoutAnEstimateIsCountedAtTheOtherSlidesMedian() {
    const QString folder = scratch_.filePath("field-beside-a-slide");
    QVERIFY(QDir().mkpath(folder + "/images"));
    QVERIFY(writeFieldWithoutCells(folder + "/images/a-field.png"));
    QVERIFY(QFile::copy(test::dataFile(test::kRedSlide).c_str(), folder + "/images/b-slide.png"));
    double median = 0;
    {
      MainWindow window;
      window.show();
      QVERIFY(window.openFolder(folder));
      QSignalSpy counted(&window, &MainWindow::countingFinished);
      window.countAll();
      QVERIFY(counted.wait(600000));
      QCOMPARE(counted.size(), 1);  // the second pass ends the same Count Folder
      const SlideAnalysis& field = *window.project()->slide(0).analysis;
      const SlideAnalysis& slide = *window.project()->slide(1).analysis;
      QCOMPARE(slide.diameterSource, std::optional(DiameterSource::Estimated));
      QCOMPARE(field.diameterSource, std::optional(DiameterSource::MedianOfOthers));
      median = slide.cellDiameterPx;
      QCOMPARE(field.cellDiameterPx, median);
      const ImageCount cli = window.project()->counter()->count(folder.toStdString() + "/images/a-field.png", median);
      QCOMPARE(window.project()->slide(0).count, cli.detection.count());
      const QAbstractItemModel* list = window.slideList()->model();
      const QModelIndex diameter = list->index(0, SlideListModel::DiameterColumn);
      QCOMPARE(list->data(diameter).toString(), QString("%1 px").arg(median, 0, 'f', 0));
      QVERIFY(list->data(diameter, Qt::FontRole).value<QFont>().italic());
      QVERIFY(!list->data(list->index(1, SlideListModel::DiameterColumn), Qt::FontRole).isValid());
      QVERIFY2(list->data(diameter, Qt::ToolTipRole).toString().contains("the median of the other slides' estimates"),
               qPrintable(list->data(diameter, Qt::ToolTipRole).toString()));
      auto* note = window.findChild<QWidget*>("default-diameter-note");
      QVERIFY(note && !note->isVisible());
      QString error;
      QVERIFY2(window.project()->save(&error), qPrintable(error));
    }
    Project reopened;
    QString error;
    QVERIFY2(reopened.open(folder, &error), qPrintable(error));
    QCOMPARE(reopened.slide(0).analysis->diameterSource, std::optional(DiameterSource::MedianOfOthers));
    QCOMPARE(reopened.slide(0).analysis->cellDiameterPx, median);
  }
};

QTEST_MAIN(TestDiameterGui)
#include "test_diameter_gui.moc"
