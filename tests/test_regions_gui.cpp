// Regions in the desktop app as a user draws them (issue 18), offscreen on a copy of a real FNC folder: a rectangle
// dragged and a polygon clicked on the canvas become named regions saved to regions/<stem>.geojson; the Regions
// panel counts the cells on screen in each (the two halves add up to the slide); rename, vertex drag and delete are
// undo steps beside the mask's; a Fiji RoiSet imports; the export's regions.csv agrees with the panel and
// 'fluocount-cli count --regions'; a regions file that fails validation is reported and never overwritten.
#include "gui_events.h"
#include "test_support.h"
#include "core/imagej_roi.h"
#include "core/inference.h"
#include "core/zip_archive.h"
#include "ui/layers_panel.h"
#include "ui/main_window.h"
#include "ui/positivity_dialog.h"
#include "ui/settings_dialog.h"
#include "ui/regions_panel.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QDir>
#include <QGroupBox>
#include <QMouseEvent>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>
#include <QTemporaryDir>

#include <opencv2/imgcodecs.hpp>

#include <map>

using namespace fluocount;
using namespace fluocount::ui;

namespace {

using test::clickAt;
using test::sendMouse;
void drag(SlideCanvas* canvas, QPointF from, QPointF to) { test::dragThrough(canvas, {from, (from + to) / 2, to}); }

int cellsIn(const QVector<QPointF>& centres, QRectF area) {
  int n = 0;
  for (const QPointF& c : centres) n += area.contains(c);
  return n;
}

}  // namespace

// The Layers panel's Display range box (Min, Max, Auto contrast, Reset).
QGroupBox* displayRangeBox(LayersPanel* layers) {
  for (QGroupBox* box : layers->findChildren<QGroupBox*>())
    if (box->title() == "Display range") return box;
  return nullptr;
}

class TestRegionsGui : public QObject {
  Q_OBJECT
  QTemporaryDir scratch_;
  QString folder_;

private slots:
  void initTestCase() {
    FLUOCOUNT_REQUIRE_SHARED_DATA();
    QStandardPaths::setTestModeEnabled(true);
    folder_ = test::writableSlideFolder(scratch_.path(), "fnc-red", {test::kRedSlide, test::kRedSlide2});
  }

  void drawCountRenameUndoImportAndExport() {
    const QString regionsFile = folder_ + "/regions/MAR32C2R3_PVHr_200x_r.geojson";
    {
      MainWindow window;
      QVERIFY(test::showAndOpen(window, folder_, {1800, 1000}));
      QSignalSpy finished(&window, &MainWindow::countingFinished);
      window.countAll();
      QVERIFY(finished.wait(600000));
      QTRY_VERIFY_WITH_TIMEOUT(window.canvas()->overlay().count > 20, 60000);
      const QVector<QPointF> centres = window.canvas()->overlay().centres;
      const int slideCells = centres.size();
      SlideCanvas* canvas = window.canvas();
      RegionDocument* regions = window.regionDocument();
      RegionTableModel* table = window.regionsPanel()->model();
      QVERIFY(regions->isEditable());
      QCOMPARE(table->rowCount(), 0);
      // An 8-bit slide is shown as it is: no contrast stretch unless the user asks for one.
      LayersPanel* layers = window.findChild<LayersPanel*>();
      QCOMPARE(layers->displayRange(), std::make_pair(0.0, 255.0));
      // Its display range reads in its own raw values, 0-255, as ImageJ shows an 8-bit image's.
      QGroupBox* rangeBox = nullptr;
      for (QGroupBox* box : layers->findChildren<QGroupBox*>())
        if (box->title() == "Display range") rangeBox = box;
      QVERIFY(rangeBox && rangeBox->isVisible());
      const QList<QDoubleSpinBox*> minMax = rangeBox->findChildren<QDoubleSpinBox*>();
      QCOMPARE(minMax.size(), 2);
      QCOMPARE(minMax[0]->value(), 0.0);
      QCOMPARE(minMax[1]->value(), 255.0);
      QSignalSpy rangeChanged(layers, &LayersPanel::displayRangeChanged);
      minMax[1]->setValue(51);
      QCOMPARE(rangeChanged.size(), 1);
      QCOMPARE(rangeChanged[0][1].toDouble(), 51.0);
      minMax[1]->setValue(255);

      // The left half as a dragged rectangle: a region, saved, its cells counted from the detections on screen.
      window.regionTools()->setTool(RegionTool::Rectangle);
      drag(canvas, {0, 0}, {800, 1200});
      QCOMPARE(table->rowCount(), 1);
      QVERIFY(QFileInfo::exists(regionsFile));
      QCOMPARE(loadRegions(regionsFile.toStdString(), {1600, 1200}).size(), std::size_t(1));
      const int left = cellsIn(centres, QRectF(0, 0, 800, 1200));
      QCOMPARE(table->data(table->index(0, RegionTableModel::Cells), Qt::DisplayRole).toInt(), left);
      QCOMPARE(table->headerData(RegionTableModel::Area, Qt::Horizontal, Qt::DisplayRole).toString(),
               QString("Area (px²)"));

      // The right half as a polygon: four clicks, closed by clicking the first vertex again.
      window.regionTools()->setTool(RegionTool::Polygon);
      for (const QPointF p :
           {QPointF(800, 0), QPointF(1600, 0), QPointF(1600, 1200), QPointF(800, 1200), QPointF(800, 0)})
        clickAt(canvas, p);
      QCOMPARE(table->rowCount(), 2);
      const int right = table->data(table->index(1, RegionTableModel::Cells), Qt::DisplayRole).toInt();
      qInfo("left half %d + right half %d = %d cells on the slide", left, right, slideCells);
      QCOMPARE(left + right, slideCells);  // no cell in both, none lost: halves that tile the slide
      // Regions are outlines over the slide: the cells inside an unselected one stay visible.
      window.regionTools()->select(-1);
      const QImage seen = canvas->grab().toImage();
      int visible = 0;
      for (const QPointF& c : centres) {
        const QPoint at = canvas->toWidget(c).toPoint();
        int red = 0;
        for (int dy = -3; dy <= 3; ++dy)
          for (int dx = -3; dx <= 3; ++dx) red = std::max(red, qRed(seen.pixel(at + QPoint(dx, dy))));
        visible += red > 80;
      }
      QVERIFY2(visible >= slideCells * 9 / 10,
               qPrintable(QString("%1 of %2 cells visible").arg(visible).arg(slideCells)));

      // Rename in the table; undo and redo it on the slide's one history.
      QUndoStack* history = window.maskDocument()->undoStack();
      const int steps = history->count();
      QVERIFY(table->setData(table->index(1, RegionTableModel::Name), "PVHr", Qt::EditRole));
      QCOMPARE(regions->regions()[1].name, std::string("PVHr"));
      QCOMPARE(history->count(), steps + 1);
      history->undo();
      QCOMPARE(regions->regions()[1].name, std::string("Region 2"));
      history->redo();
      QCOMPARE(loadRegions(regionsFile.toStdString(), {1600, 1200})[1].name, std::string("PVHr"));

      // Its class (QuPath's classification), set in the table: an undo step of its own, kept in the file.
      QVERIFY(table->setData(table->index(1, RegionTableModel::Class), " Hypothalamus ", Qt::EditRole));
      QCOMPARE(regions->regions()[1].classification, std::string("Hypothalamus"));
      QCOMPARE(history->count(), steps + 2);
      history->undo();
      QCOMPARE(regions->regions()[1].classification, std::string());
      history->redo();
      QCOMPARE(loadRegions(regionsFile.toStdString(), {1600, 1200})[1].classification, std::string("Hypothalamus"));

      // Drag the rectangle's bottom-left vertex up: one undo step however many moves, the file follows.
      window.regionTools()->setTool(RegionTool::EditVertices);
      sendMouse(canvas, QEvent::MouseButtonPress, canvas->toWidget(QPointF(0, 1200)), Qt::LeftButton, Qt::LeftButton);
      for (int y = 1190; y >= 1100; y -= 30)
        sendMouse(canvas, QEvent::MouseMove, canvas->toWidget(QPointF(0, y)), Qt::NoButton, Qt::LeftButton);
      sendMouse(canvas, QEvent::MouseButtonRelease, canvas->toWidget(QPointF(0, 1100)), Qt::LeftButton, Qt::NoButton);
      QCOMPARE(history->count(), steps + 3);
      const double movedArea = loadRegions(regionsFile.toStdString(), {1600, 1200})[0].areaPx();
      QVERIFY2(std::abs(movedArea - (800.0 * 1200 - 800.0 * 100 / 2)) < 1, qPrintable(QString::number(movedArea)));
      history->undo();
      QCOMPARE(regions->regions()[0].areaPx(), 800.0 * 1200);

      // Delete the selected region with the Delete key, undo it.
      window.regionTools()->select(0);
      QTest::keyClick(canvas, Qt::Key_Delete);
      QCOMPARE(table->rowCount(), 1);
      history->undo();
      QCOMPARE(table->rowCount(), 2);

      // A region from Fiji's ROI Manager, imported: checked, added with its name. The set also holds a count by
      // hand (a multi-point ROI), which is said to be left out.
      const QString roiSet = scratch_.filePath("from-fiji.zip");
      const std::string fromFiji = regionsRoiSet(parseRegions(
          R"({"type":"Feature","properties":{"name":"LHr"},"geometry":{"type":"Polygon","coordinates":[[[200,300],[700,320],[650,900],[220,880],[200,300]]]}})",
          {1600, 1200}, "seed"));
      std::vector<ZipEntry> entries = readZipArchive(fromFiji);
      entries.push_back({"count.roi", encodeRoi("count", {{{300, 400}, {310, 420}, {500, 600}}}, /*point*/ 10)});
      test::writeBytes(roiSet.toStdString(), zipArchive(entries));
      window.regionsPanel()->importRegions(roiSet);
      QCOMPARE(window.findChild<QLabel*>("regions-status")->text(),
               QString("Imported 1 region(s) from from-fiji.zip (1 point or line: not regions, left out)"));
      QCOMPARE(table->rowCount(), 3);
      QCOMPARE(regions->regions()[2].name, std::string("LHr"));
      const int inLHr = table->data(table->index(2, RegionTableModel::Cells), Qt::DisplayRole).toInt();
      QVERIFY(inLHr > 0);

      // A pixel size for the folder: areas in µm² and densities in cells/mm², nothing recounted.
      ProjectSettings withPixelSize = window.project()->settings();
      withPixelSize.pixelSizeUm = 0.65;
      window.applySettings(withPixelSize);
      QTRY_COMPARE_WITH_TIMEOUT(table->headerData(RegionTableModel::Area, Qt::Horizontal, Qt::DisplayRole).toString(),
                                QString("Area (µm²)"), 30000);
      QCOMPARE(window.project()->slide(0).count, slideCells);
      const double areaUm2 =
          QLocale().toDouble(table->data(table->index(0, RegionTableModel::Area), Qt::DisplayRole).toString());
      QCOMPARE(areaUm2, 800.0 * 1200 * 0.65 * 0.65);  // 405,600 µm²
      QCOMPARE(table->data(table->index(0, RegionTableModel::Cells), Qt::DisplayRole).toInt(), left);

      // The window as a user sees it, for the README.
      window.regionTools()->select(2);
      QTest::qWait(100);
      const QImage shot = window.grab().toImage();
      shot.save(scratch_.filePath("regions.png"));

      if (qEnvironmentVariableIsSet("FLUOCOUNT_SCREENSHOT_DIR"))
        shot.save(qEnvironmentVariable("FLUOCOUNT_SCREENSHOT_DIR") + "/regions.png");

      // The export's regions.csv: the three regions of slide 1 with the panel's counts, slide 2 whole.
      const QString out = scratch_.filePath("export");
      QString error;
      QVERIFY2(window.exportTo({out, /*objects=*/true, false, false, false}, &error), qPrintable(error));
      const QStringList rows =
          QString::fromStdString(test::readBytes((out + "/regions.csv").toStdString())).trimmed().split('\n');
      QCOMPARE(rows.size(), 1 + 3 + 1);
      QVERIFY(rows[1].contains(",Region 1,," + QString::number(left) + ","));  // drawn here: no class
      QVERIFY(rows[2].contains(",PVHr,Hypothalamus," + QString::number(right) + ","));
      QVERIFY(rows[3].contains(",LHr,," + QString::number(inLHr) + ","));
      QVERIFY(rows[4].contains(",whole image,"));
      QVERIFY2(rows[1].contains(",405600.0,"), qPrintable(rows[1]));  // area_um2 with the folder's pixel size
      // objects.csv names each cell's regions: as many cells in each as the panel counts.
      const QStringList objects =
          QString::fromStdString(test::readBytes((out + "/objects.csv").toStdString())).trimmed().split('\n');
      QVERIFY(objects[0].endsWith(",regions,run"));
      std::map<QString, int> cellsIn;
      for (const QString& object : objects.mid(1))
        for (const QString& region : object.section(',', -2, -2).split(';')) ++cellsIn[region];
      QCOMPARE(cellsIn["Region 1"], left);
      QCOMPARE(cellsIn["PVHr"], right);
      QCOMPARE(cellsIn["LHr"], inLHr);

      // The CLI reads the same regions folder and counts the same per region.
      QProcess cli;
      cli.start(FLUOCOUNT_CLI, {"count", folder_ + "/images/MAR32C2R3_PVHr_200x_r.png", "--diameter",
                                QString::number(window.project()->slide(0).analysis->cellDiameterPx), "--pixel-size",
                                "0.65", "--out", scratch_.filePath("cli"), "--regions", folder_ + "/regions"});
      QVERIFY(cli.waitForFinished(600000));
      QCOMPARE(cli.exitCode(), 0);
      const QStringList cliRows =
          QString::fromStdString(test::readBytes(scratch_.filePath("cli/regions.csv").toStdString()))
              .trimmed()
              .split('\n');
      QCOMPARE(cliRows.size(), 4);
      for (int i = 1; i <= 3; ++i) QCOMPARE(cliRows[i].section(',', 1, 7), rows[i].section(',', 1, 7));
    }
    // Reopened: the regions are as left.
    {
      MainWindow window;
      QVERIFY(test::showAndOpen(window, folder_));
      QCOMPARE(window.regionDocument()->regions().size(), std::size_t(3));
      QCOMPARE(window.regionDocument()->regions()[1].name, std::string("PVHr"));
    }
  }

  // A multi-channel stack (an ImageJ hyperstack of a real slide's red, green and blue) is shown in its channels'
  // colours, not as the network's gray input, and a channel can be hidden.
  void aStackShowsItsChannelsInColour() {
    const QString folder = scratch_.filePath("stack");
    QDir().mkpath(folder);
    const cv::Mat bgr =
        cv::imread(test::dataFile(test::kRedSlide), cv::IMREAD_COLOR)(cv::Rect(200, 300, 600, 600)).clone();
    std::vector<cv::Mat> planes;
    cv::split(bgr, planes);
    test::writeTiff((folder + "/stack.tif").toStdString(), {planes[2], planes[1], planes[0]},
                    {"ImageJ=1.54f\nimages=3\nchannels=3\nunit=micron\n", 1 / 0.65, 1});
    MainWindow window;
    QVERIFY(test::showAndOpen(window, folder, {1400, 900}));
    LayersPanel* layers = window.findChild<LayersPanel*>();
    QCOMPARE(int(layers->channels().size()), 3);
    QVERIFY(window.currentPixelSize() && std::abs(window.currentPixelSize()->micrometres - 0.65) < 1e-6);
    QVERIFY(std::abs(window.canvas()->pixelSize() - 0.65) < 1e-6);  // the canvas draws its scale bar
    // Pixels in colour (channels unequal, which the gray network input never is) and pixels with red in them.
    auto seen = [&] {
      const QImage shot = window.canvas()->grab().toImage();
      std::pair<int, int> colourAndRed{0, 0};
      for (int y = 0; y < shot.height(); y += 2)
        for (int x = 0; x < shot.width(); x += 2) {
          const QRgb p = shot.pixel(x, y);
          colourAndRed.first +=
              std::max({qRed(p), qGreen(p), qBlue(p)}) - std::min({qRed(p), qGreen(p), qBlue(p)}) > 60;
          colourAndRed.second += qRed(p) > 100;
        }
      return colourAndRed;
    };
    const auto [colourful, red] = seen();
    if (qEnvironmentVariableIsSet("FLUOCOUNT_SCREENSHOT_DIR"))
      window.grab().toImage().save(qEnvironmentVariable("FLUOCOUNT_SCREENSHOT_DIR") + "/stack.png");
    QVERIFY2(colourful > 200 && red > 200, qPrintable(QString("%1 %2").arg(colourful).arg(red)));
    QCheckBox* first = nullptr;
    for (QCheckBox* box : layers->findChildren<QCheckBox*>())
      if (box->text() == "ch1") first = box;
    QVERIFY(first);
    first->setChecked(false);
    QTRY_VERIFY(seen().second < red / 20);  // channel 1 is the only one shown in red
    // Back on, with a lower top of its display range: more of it at full red.
    first->setChecked(true);
    const QList<QDoubleSpinBox*> range = first->parentWidget()->findChildren<QDoubleSpinBox*>();
    QCOMPARE(range.size(), 2);
    range[1]->setValue(range[0]->value() + 20);
    QTRY_VERIFY(seen().second > red * 3 / 2);
    if (qEnvironmentVariableIsSet("FLUOCOUNT_SCREENSHOT_DIR"))
      window.grab().toImage().save(qEnvironmentVariable("FLUOCOUNT_SCREENSHOT_DIR") + "/stack-range.png");
    // The slide-wide display range does not apply to a stack, so it is not offered; the Channels box's Auto contrast
    // stretches each channel again, as when the slide opened.
    QGroupBox* slideRange = nullptr;
    for (QGroupBox* box : layers->findChildren<QGroupBox*>())
      if (box->title() == "Display range") slideRange = box;
    QVERIFY(slideRange && slideRange->isHidden());
    QPushButton* autoChannels = test::buttonLabelled<QPushButton>(*layers, "Auto contrast");
    QVERIFY(autoChannels && autoChannels->isVisible());
    const double stretchedTop = defaultChannelViews(loadImage((folder + "/stack.tif").toStdString()))[0].high;
    QVERIFY(layers->channels()[0].high < stretchedTop);
    autoChannels->click();
    QCOMPARE(layers->channels()[0].high, stretchedTop);
    QTRY_VERIFY(std::abs(seen().second - red) < red / 10);  // red as it was before the range was lowered

    // Positivity set on the histogram of the cells on screen reaches the export's tables, count for count.
    QSignalSpy finished(&window, &MainWindow::countingFinished);
    window.countAll();
    QVERIFY(finished.wait(600000));
    QTRY_VERIFY_WITH_TIMEOUT(window.canvas()->overlay().count > 3, 60000);
    Detection cells = measureLabels(window.canvas()->overlay().labels);
    const RawImage raw = loadImage((folder + "/stack.tif").toStdString());
    measureChannelMeans(cells, raw.channels);
    std::vector<std::vector<double>> means;
    for (const DetectedObject& cell : cells.objects) means.push_back(cell.channelMeans);
    PositivityDialog dialog(means, raw.channelNames, raw.bitDepth(), {});
    dialog.addRule();
    dialog.setThreshold(0, 100);
    const int positive = dialog.positiveCells(0);
    QVERIFY(positive > 0 && positive < cells.count());
    if (qEnvironmentVariableIsSet("FLUOCOUNT_SCREENSHOT_DIR")) {
      dialog.show();
      QTest::qWait(100);
      dialog.grab().toImage().save(qEnvironmentVariable("FLUOCOUNT_SCREENSHOT_DIR") + "/positivity.png");
    }
    ProjectSettings settings = window.project()->settings();
    settings.positivity = dialog.rules();
    window.applySettings(settings);
    const QString out = scratch_.filePath("stack-export");
    QString error;
    QVERIFY2(window.exportTo({out, true, false, false, false}, &error), qPrintable(error));
    const QStringList counts =
        QString::fromStdString(test::readBytes((out + "/counts.csv").toStdString())).trimmed().split('\n');
    QVERIFY2(counts[0].startsWith("file,status,count,ch1+,width"), qPrintable(counts[0]));
    QCOMPARE(counts[1].split(',')[3].toInt(), positive);
    QCOMPARE(counts[1].split(',')[2].toInt(), cells.count());
    QVERIFY(counts[1].contains("--positive 1:100"));

    // A diameter given in µm counts each slide at its own pixel size: 21.45 µm at the stack's 0.65 µm is 33 px.
    settings.automaticDiameter = false;
    settings.cellDiameterUm = 21.45;
    QSignalSpy recounted(&window, &MainWindow::countingFinished);
    window.applySettings(settings);
    window.countAll();
    QVERIFY(recounted.wait(600000));
    QVERIFY(window.project()->slide(0).analysis);
    QVERIFY(std::abs(window.project()->slide(0).analysis->cellDiameterPx - 33) < 1e-6);
  }

  // The settings dialog takes the folder's pixel size and channels, refuses a channel choice that is not one or
  // three, and reads the diameter in micrometres too.
  // A slide whose file declares what FluoCount does not use says so when it opens: here pixels 0.5 µm wide and
  // 0.6 µm tall, so no pixel size (the canvas draws no scale bar, areas stay in px²), and the status bar says why.
  void aSlideSaysWhatItsFileDeclaresThatIsNotUsed() {
    const QString folder = scratch_.filePath("non-square");
    QDir().mkpath(folder);
    const cv::Mat gray =
        cv::imread(test::dataFile(test::kRedSlide), cv::IMREAD_GRAYSCALE)(cv::Rect(200, 300, 600, 600)).clone();
    test::writeTiff((folder + "/tall-pixels.tif").toStdString(), {gray},
                    {"ImageJ=1.54f\nimages=1\nunit=micron\n", 1 / 0.5, 1, false, 0, 1 / 0.6});
    MainWindow window;
    QVERIFY(test::showAndOpen(window, folder, {1400, 900}));
    QVERIFY(!window.currentPixelSize());
    QCOMPARE(window.canvas()->pixelSize(), 0.0);
    const QString message = window.statusBar()->currentMessage();
    QVERIFY2(message.startsWith("tall-pixels.tif: ImageJ declares pixels of 0.5000 by 0.6000"), qPrintable(message));
    QVERIFY2(message.contains("not square"), qPrintable(message));

    // A pixel size the folder's settings give over the one a slide's file declares: the slide says so too.
    test::writeTiff((folder + "/wide-field.tif").toStdString(), {gray},
                    {"ImageJ=1.54f\nimages=1\nunit=micron\n", 1 / 0.5, 1});
    window.reloadFolder();
    QCOMPARE(window.project()->slideCount(), 2);
    ProjectSettings given = window.project()->settings();
    given.pixelSizeUm = 0.65;
    window.applySettings(given);
    QSignalSpy loaded(&window, &MainWindow::slideLoaded);
    window.selectSlide(1);
    QVERIFY(loaded.wait(30000));
    QCOMPARE(window.project()->slide(1).name, QString("wide-field.tif"));
    QVERIFY(window.currentPixelSize() && std::abs(window.currentPixelSize()->micrometres - 0.65) < 1e-9);
    const QString replaced = window.statusBar()->currentMessage();
    QVERIFY2(replaced == "wide-field.tif: ImageJ's 0.5000 µm per pixel replaced by the 0.6500 given",
             qPrintable(replaced));
  }

  void settingsTakeThePixelSizeAndChannels() {
    ProjectSettings settings;
    settings.automaticDiameter = false;
    settings.cellDiameterPx = 33;
    settings.pixelSizeUm = 0.65;
    settings.channels = {2};
    SettingsDialog dialog(settings, {});
    QCOMPARE(dialog.settings().pixelSizeUm, std::optional<double>(0.65));
    QCOMPARE(dialog.settings().channels, std::vector<int>{2});
    bool showsMicrometres = false;
    for (QLabel* label : dialog.findChildren<QLabel*>())
      showsMicrometres = showsMicrometres || label->text() == QString("= %1 µm").arg(QLocale().toString(21.45, 'f', 1));
    QVERIFY(showsMicrometres);
    QLineEdit* channels = nullptr;
    for (QLineEdit* edit : dialog.findChildren<QLineEdit*>())
      if (edit->text() == "2") channels = edit;
    QVERIFY(channels);
    channels->setText("1,2");
    dialog.accept();
    QCOMPARE(dialog.result(), int(QDialog::Rejected));  // still open: the choice is refused with its reason
    channels->setText("3,2,1");
    QCOMPARE(dialog.settings().channels, (std::vector<int>{3, 2, 1}));
    // The faster arithmetic (bfloat16 where native, else int8): offered where this machine runs one, named on the
    // box, else shown disabled and the project's choice kept.
    QCheckBox* faster = nullptr;
    for (QCheckBox* box : dialog.findChildren<QCheckBox*>())
      if (box->text().startsWith("Faster network arithmetic")) faster = box;
    QVERIFY(faster);
    const auto offered = fasterPrecisionHere(DevicePreference::Automatic);
    QCOMPARE(faster->isEnabled(), offered.has_value());
    if (offered) {
      QVERIFY2(faster->text().contains(QString::fromStdString(precisionName(*offered))), qPrintable(faster->text()));
      faster->setChecked(true);
      QCOMPARE(dialog.settings().precision, *offered);
      faster->setChecked(false);
    }
    QCOMPARE(dialog.settings().precision, NetworkPrecision::Float32);
    if (qEnvironmentVariableIsSet("FLUOCOUNT_SCREENSHOT_DIR"))
      dialog.grab().toImage().save(qEnvironmentVariable("FLUOCOUNT_SCREENSHOT_DIR") + "/settings.png");
    // The diameter in µm: kept as such, converted per slide by its pixel size when counting.
    QComboBox* diameterMode = nullptr;
    for (QComboBox* combo : dialog.findChildren<QComboBox*>())
      if (combo->findText("µm") >= 0) diameterMode = combo;
    QVERIFY(diameterMode);
    diameterMode->setCurrentIndex(diameterMode->findText("µm"));
    QCOMPARE(dialog.settings().cellDiameterUm, std::optional<double>(33));
    QCOMPARE(dialog.settings().cellDiameterPx, 0.0);
    QVERIFY(!dialog.settings().automaticDiameter);
    // Measured on each slide: neither a fixed diameter nor one in µm.
    diameterMode->setCurrentIndex(diameterMode->findText("measured on each slide"));
    QVERIFY(dialog.settings().automaticDiameter);
    QVERIFY(!dialog.settings().cellDiameterUm);
    QCOMPARE(dialog.settings().cellDiameterPx, 0.0);
    diameterMode->setCurrentIndex(diameterMode->findText("µm"));
    if (qEnvironmentVariableIsSet("FLUOCOUNT_SCREENSHOT_DIR")) {
      dialog.show();
      QTest::qWait(100);
      dialog.grab().toImage().save(qEnvironmentVariable("FLUOCOUNT_SCREENSHOT_DIR") + "/settings.png");
    }
  }

  // A 16-bit slide's display range reads in its raw values, as ImageJ shows them (not as a fraction of a stretch):
  // as counted it is the counter's own percentile stretch, computed here from the file's samples; a range the user
  // types carries to the next 16-bit slide in raw values, and Reset returns to that slide's own stretch.
  void aSixteenBitSlideShowsItsRawValues() {
    const QStringList fields = {test::kNucleiSlide,
                                "bbbc039/images/IXMtest_A06_s6_w1B9577918-4973-4A87-BA73-A168AA755527.png"};
    const QString folder = test::writableSlideFolder(scratch_.path(), "sixteen-bit", fields);
    // The counter's stretch (docs/method.md section 1): the 0.1th and 99.9th percentiles of the samples.
    auto percentiles = [](const QString& slide, double low = 0.1, double high = 99.9) {
      const cv::Mat raw = cv::imread(test::dataFile(slide), cv::IMREAD_UNCHANGED);
      std::vector<std::uint16_t> values(raw.begin<std::uint16_t>(), raw.end<std::uint16_t>());
      std::sort(values.begin(), values.end());
      auto at = [&](double p) { return double(values[std::size_t(std::ceil(values.size() * p / 100.0)) - 1]); };
      return std::make_pair(at(low), at(high));
    };
    const auto [low1, high1] = percentiles(fields[0]);
    const auto [low2, high2] = percentiles(fields[1]);
    QVERIFY(high1 > 255 && high2 > 255 && high1 != high2);  // 12-bit data: raw values, not 0-255 or 0-1

    MainWindow window;
    QVERIFY(test::showAndOpen(window, folder, {1400, 900}));
    LayersPanel* layers = window.findChild<LayersPanel*>();
    QCOMPARE(layers->displayRange(), std::make_pair(low1, high1));
    // The image on the canvas is that stretch of the raw values.
    const cv::Mat raw = cv::imread(test::dataFile(fields[0]), cv::IMREAD_UNCHANGED);
    const QImage& shown = window.canvas()->image();
    QCOMPARE(shown.size(), QSize(raw.cols, raw.rows));
    for (const cv::Point p : {cv::Point(10, 10), cv::Point(348, 260), cv::Point(600, 400)}) {
      const double expected = std::clamp(255.0 * (raw.at<std::uint16_t>(p) - low1) / (high1 - low1), 0.0, 255.0);
      QVERIFY2(std::abs(qGray(shown.pixel(p.x, p.y)) - expected) <= 0.5 + 1e-9,
               qPrintable(QString("raw %1 shown %2").arg(raw.at<std::uint16_t>(p)).arg(qGray(shown.pixel(p.x, p.y)))));
    }

    // A range typed in raw values carries to the next 16-bit slide as it is.
    QGroupBox* rangeBox = displayRangeBox(layers);
    QVERIFY(rangeBox);
    const QList<QDoubleSpinBox*> minMax = rangeBox->findChildren<QDoubleSpinBox*>();
    QCOMPARE(minMax.size(), 2);
    minMax[1]->setValue(1000);
    QSignalSpy loaded(&window, &MainWindow::slideLoaded);
    window.selectSlide(1);
    QVERIFY(loaded.wait(30000));
    QCOMPARE(layers->displayRange(), std::make_pair(low1, 1000.0));
    // Reset: the slide as the counter sees it, its own stretch.
    QPushButton* reset = test::buttonLabelled<QPushButton>(*rangeBox, "Reset");
    QVERIFY(reset);
    reset->click();
    QCOMPARE(layers->displayRange(), std::make_pair(low2, high2));
    // And so it stays from slide to slide once reset.
    window.selectSlide(0);
    QVERIFY(loaded.wait(30000));
    QCOMPARE(layers->displayRange(), std::make_pair(low1, high1));
    // Auto contrast: 0.35 % of the pixels saturate, split between both ends, in raw values (a gray field: its own).
    QCheckBox* automatic = test::buttonLabelled<QCheckBox>(*rangeBox, "Auto contrast");
    QVERIFY(automatic);
    automatic->setChecked(true);
    QCOMPARE(layers->displayRange(), percentiles(fields[0], 0.175, 99.825));
  }

  // The same field saved as 32-bit floats (Fiji's Image > Type > 32-bit; an average projection) opens as the
  // 16-bit one looks: the same stretch, in the same raw values, on the same canvas pixels; the Min/Max boxes take
  // a float image's values (fractions, and beyond 65535).
  void aThirtyTwoBitSlideShowsItsRawValues() {
    const QString folder = scratch_.path() + "/thirty-two-bit";
    QDir().mkpath(folder + "/images");
    const cv::Mat raw = cv::imread(test::dataFile(test::kNucleiSlide), cv::IMREAD_UNCHANGED);
    cv::Mat asFloat;
    raw.convertTo(asFloat, CV_32F);
    QVERIFY(cv::imwrite((folder + "/images/field32.tif").toStdString(), asFloat));
    QVERIFY(QFile::copy(QString::fromStdString(test::dataFile(test::kNucleiSlide)), folder + "/images/field16.png"));

    MainWindow window;
    QVERIFY(test::showAndOpen(window, folder, {1400, 900}));
    LayersPanel* layers = window.findChild<LayersPanel*>();
    const auto sixteenRange = layers->displayRange();
    const QImage sixteenShown = window.canvas()->image().copy();
    QVERIFY(sixteenRange.second > 255);
    QSignalSpy loaded(&window, &MainWindow::slideLoaded);
    window.selectSlide(1);
    QVERIFY(loaded.wait(30000));
    QCOMPARE(window.project()->slide(1).name, QString("field32.tif"));
    QCOMPARE(layers->displayRange(), sixteenRange);
    QCOMPARE(window.canvas()->image(), sixteenShown);
    QGroupBox* rangeBox = displayRangeBox(layers);
    QVERIFY(rangeBox);
    const QList<QDoubleSpinBox*> minMax = rangeBox->findChildren<QDoubleSpinBox*>();
    QCOMPARE(minMax.size(), 2);
    QCOMPARE(minMax[1]->decimals(), 4);
    QVERIFY(minMax[1]->maximum() > 65535);
    QCOMPARE(minMax[0]->toolTip(), QString("Raw 32-bit value"));

    // Positivity on its cells, in its own values (fractions of 1 here): the starting threshold is the cells'
    // median, not rounded to a whole number, and a threshold between two cells' means splits them.
    QSignalSpy finished(&window, &MainWindow::countingFinished);
    window.countAll();
    QVERIFY(finished.wait(600000));
    QTRY_VERIFY_WITH_TIMEOUT(window.canvas()->overlay().count > 50, 60000);
    Detection cells = measureLabels(window.canvas()->overlay().labels);
    cv::Mat fractions = asFloat / 65535.0;
    measureChannelMeans(cells, {fractions});
    std::vector<std::vector<double>> means;
    for (const DetectedObject& cell : cells.objects) means.push_back(cell.channelMeans);
    PositivityDialog dialog(means, {"ch1"}, 32, {});
    dialog.addRule();
    std::vector<double> sorted;
    for (const auto& m : means) sorted.push_back(m[0]);
    std::sort(sorted.begin(), sorted.end());
    QVERIFY(sorted.back() < 1);
    QCOMPARE(dialog.rules().at(0).threshold, std::round(sorted[sorted.size() / 2] * 1e4) / 1e4);  // 4 decimals
    QCOMPARE(dialog.positiveCells(0),
             int(sorted.end() - std::lower_bound(sorted.begin(), sorted.end(), dialog.rules().at(0).threshold)));
  }

  // A regions file that fails validation (an outline crossing itself) is reported, shown read-only and never
  // overwritten by a new drawing.
  void aRefusedRegionsFileIsNeverOverwritten() {
    QDir().mkpath(folder_ + "/regions");
    const QString file = folder_ + "/regions/RT353S2C1R5_r1.geojson";
    const std::string bow =
        R"({"type":"Feature","properties":{"name":"bow"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[100,100],[100,0],[0,100],[0,0]]]}})";
    test::writeBytes(file.toStdString(), bow);
    MainWindow window;
    window.show();
    QSignalSpy loaded(&window, &MainWindow::slideLoaded);
    QVERIFY(window.openFolder(folder_));
    QVERIFY(loaded.wait(30000));
    window.selectSlide(1);
    QVERIFY(loaded.wait(30000));
    QVERIFY(!window.regionDocument()->isEditable());
    window.regionTools()->setTool(RegionTool::Rectangle);
    drag(window.canvas(), {10, 10}, {300, 300});
    QCOMPARE(window.regionDocument()->regions().size(), std::size_t(0));
    QCOMPARE(test::readBytes(file.toStdString()), bow);
  }
};

QTEST_MAIN(TestRegionsGui)
#include "test_regions_gui.moc"
