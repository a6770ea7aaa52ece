// The desktop app driven through its real widgets, offscreen, on a copy of a real slide folder: count it, move the
// threshold and see the counts and plots follow, export, check each exported row against `fluocount-cli count`
// run with the row's own options, and reopen the folder to find the results restored.
#include "test_support.h"
#include "core/imagej_roi.h"
#include "core/count_journal.h"
#include "core/metrics.h"
#include "core/run_lock.h"
#include "core/true_cells.h"
#include "ui/main_window.h"
#include "ui/model/exporter.h"
#include "ui/model/project_state.h"
#include "ui/model/slide_analysis.h"
#include "ui/model/slide_list_model.h"
#include "ui/threshold_panel.h"

#include <QApplication>
#include <clocale>
#include <cstdio>
#include <algorithm>
#include <QDir>
#include <QImageReader>
#include <QLabel>
#include <QProgressDialog>
#include <QTimer>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QStatusBar>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>

#include <qcustomplot.h>

using namespace fluocount;
using namespace fluocount::ui;

namespace {

QStringList csvFields(const QString& line) {
  // The exported fields used here (file, count, options) are quoted only when they hold a comma or quote.
  QStringList fields;
  QString field;
  bool quoted = false;
  for (int i = 0; i < line.size(); ++i) {
    const QChar c = line[i];
    if (c == '"') {
      if (quoted && i + 1 < line.size() && line[i + 1] == '"')
        field += '"', ++i;
      else
        quoted = !quoted;
    } else if (c == ',' && !quoted) {
      fields << field;
      field.clear();
    } else {
      field += c;
    }
  }
  return fields << field;
}

int cliCount(const QString& image, const QString& options) {
  QProcess process;
  process.start(FLUOCOUNT_CLI, QStringList{"count", image} + options.split(' ', Qt::SkipEmptyParts));
  if (!process.waitForFinished(600000) || process.exitCode() != 0) return -1;
  // The table line of the one image: "<file>  <count>  <size> ..."
  for (const QString& line : QString(process.readAllStandardOutput()).split('\n'))
    if (line.startsWith(QFileInfo(image).fileName())) return line.split(' ', Qt::SkipEmptyParts).value(1).toInt();
  return -1;
}

}  // namespace

class TestGui : public QObject {
  Q_OBJECT
  QTemporaryDir scratch_;
  QString folder_;

private slots:
  void initTestCase() {
    FLUOCOUNT_REQUIRE_SHARED_DATA();
    QStandardPaths::setTestModeEnabled(true);
    folder_ = test::writableSlideFolder(scratch_.path(), "fnc-yellow", {test::kYellowSlide, test::kYellowSlide2});
  }

  void countsAFolderMovesTheThresholdAndExportsWhatTheCliCounts() {
    MainWindow window;
    window.show();
    QVERIFY(window.openFolder(folder_));
    Project* project = window.project();
    QCOMPARE(project->slideCount(), 2);
    QVERIFY(project->slide(0).hasMask());

    QSignalSpy finished(&window, &MainWindow::countingFinished);
    window.countAll();
    QVERIFY(window.isCounting());
    QVERIFY(finished.wait(600000));
    QCOMPARE(finished.first().first().toBool(), false);
    QCOMPARE(project->countedSlides(), 2);
    const QAbstractItemModel* list = window.slideList()->model();
    QCOMPARE(list->data(list->index(0, SlideListModel::CountColumn)).toInt(), project->slide(0).count);

    // The plots hold the 20-threshold sweep: the folder's count and, since both slides have masks, F1.
    ThresholdPanel* panel = window.thresholdPanel();
    QCOMPARE(panel->countPlot()->graph(1)->dataCount(), 20);
    QCOMPARE(panel->f1Plot()->graph(0)->dataCount(), 20);
    QVERIFY(panel->f1PlotNote().isEmpty());

    // Moving the threshold recounts the folder off the GUI thread; every count equals a direct re-detection.
    const auto analysis0 = project->slide(0).analysis;
    const double high = 0.97;
    window.chooseThreshold(high);
    QTRY_COMPARE_WITH_TIMEOUT(project->slide(0).count, countAt(*analysis0, high), 60000);
    QTRY_COMPARE_WITH_TIMEOUT(window.canvas()->overlay().threshold, high, 60000);
    QCOMPARE(window.canvas()->overlay().count, project->slide(0).count);
    QCOMPARE(panel->threshold(), high);
    // The status bar gives the network's probability under the cursor (read back from the heatmap's cache file where
    // it left memory: test_gui_heatmaps_read_back).
    const cv::Mat heatmap0 = analysis0->heatmap->pixels();
    const QPoint pixel(heatmap0.cols / 3, heatmap0.rows / 2);
    emit window.canvas()->hovered(pixel);
    const QString probability = QString("probability %1").arg(heatmap0.at<float>(pixel.y(), pixel.x()), 0, 'f', 3);
    const auto labels = window.statusBar()->findChildren<QLabel*>();
    QVERIFY(std::any_of(labels.begin(), labels.end(), [&](QLabel* l) { return l->text().contains(probability); }));

    const QString out = scratch_.filePath("export");
    QString error;
    QVERIFY2(window.exportTo({out, true, true, true, false}, &error), qPrintable(error));
    QFile csv(out + "/counts.csv");
    QVERIFY(csv.open(QIODevice::ReadOnly | QIODevice::Text));
    const QStringList lines = QString(csv.readAll()).trimmed().split('\n');
    QCOMPARE(lines.size(), 3);
    const QStringList header = csvFields(lines[0]);
    for (const QString& line : lines.mid(1)) {
      const QStringList row = csvFields(line);
      const QString file = row[header.indexOf("file")];
      const int count = row[header.indexOf("count")].toInt();
      QCOMPARE(row[header.indexOf("threshold")].toDouble(), high);
      // The options column is the command that reproduces the row, less the image.
      const QString command = row[header.indexOf("options")];
      QVERIFY2(command.startsWith("fluocount-cli count --model "), qPrintable(command));
      QCOMPARE(cliCount(file, command.mid(QString("fluocount-cli count").size())), count);
    }
    QVERIFY(QFileInfo::exists(out + "/objects.csv"));
    QCOMPARE(QDir(out + "/labels").entryList(QDir::Files).size(), 2);
    // A second export to the same folder is refused and changes nothing.
    QVERIFY(!window.exportTo({out, false, false, false, false}, &error));
    QVERIFY(error.contains("already exists"));
    // A folder a batch count is writing into (fluocount-cli count --out, its shard 2 here) is refused whole, even
    // where replacing files is allowed: the two would write the same names in turn.
    const QString busy = scratch_.filePath("export-busy");
    QVERIFY(QDir().mkpath(busy));
    {
      const RunLock counting(countRunLockFile(busy.toStdString(), "shard-0002-of-0004"), "fluocount-cli count",
                             busy.toStdString());
      QVERIFY(!window.exportTo({busy, true, false, false, /*overwrite=*/true}, &error));
      QVERIFY2(error.contains("is in use by fluocount-cli count (process"), qPrintable(error));
      QVERIFY(!QFileInfo::exists(busy + "/counts.csv"));
    }
    QVERIFY2(window.exportTo({busy, true, false, false, false}, &error), qPrintable(error));
    // While it writes, an export holds its folder as a count does, so that a count started meanwhile is refused.
    const QString held = scratch_.filePath("export-held");
    std::optional<std::string> heldBy;
    const std::atomic<bool> cancel{false};
    exportResults(
        {{project->slide(0), project->thresholdFor(0), {}}}, *project->counter(), {held},
        [&](int, int) { heldBy = runLockHolder(countRunLockFile(held.toStdString(), "run")); }, cancel);
    QVERIFY(heldBy && heldBy->rfind("FluoCount's Export (process ", 0) == 0);
    QVERIFY(!countRunWritingTo(held.toStdString()));  // and lets go when done
    // The export runs behind a progress dialog whose Cancel stops it between slides, before any table is written.
    const QString cancelledOut = scratch_.filePath("export-cancelled");
    QTimer::singleShot(0, &window, [&window] {
      for (QProgressDialog* progress : window.findChildren<QProgressDialog*>()) emit progress->canceled();  // Cancel
    });
    bool cancelled = false;
    QVERIFY(!window.exportTo({cancelledOut, true, true, true, false}, &error, &cancelled));
    QVERIFY2(cancelled && error.contains("cancelled"), qPrintable(error));
    QVERIFY(!QFileInfo::exists(cancelledOut + "/counts.csv"));
    window.close();
  }

  // Without masks the F1 plot says why it is empty and how to get curves; with a slide's truth the note goes.
  // A folder just opened shows each slide's thumbnail before anything is counted (read in the background, 8- and
  // 16-bit slides alike); a file that cannot be read gets none, and a reload keeps those the list has.
  void slidesShowThumbnailsBeforeTheyAreCounted() {
    const QString folder =
        test::writableSlideFolder(scratch_.path(), "thumbnails", {test::kRedSlide, test::kNucleiSlide});
    const std::string bytes = test::readBytes(test::dataFile(test::kRedSlide));
    test::writeBytes((folder + "/images/zz_truncated.png").toStdString(), bytes.substr(0, bytes.size() / 4));
    MainWindow window;
    QVERIFY(window.openFolder(folder));
    Project& project = *window.project();
    QCOMPARE(project.slideCount(), 3);
    QTRY_VERIFY_WITH_TIMEOUT(!project.slide(0).thumbnail.isNull() && !project.slide(1).thumbnail.isNull(), 30000);
    const SlideListModel listed(&project);
    for (int i = 0; i < 2; ++i) {
      const Slide& slide = project.slide(i);
      QCOMPARE(slide.status, SlideStatus::NotRun);
      const QSize size = QImageReader(slide.imagePath).size();
      QCOMPARE(slide.thumbnail.size(), size.scaled(160, 120, Qt::KeepAspectRatio));
      QVERIFY(listed.index(i, SlideListModel::NameColumn).data(Qt::DecorationRole).isValid());
      // Not a blank picture: the slide's cells are there.
      int darkest = 255, brightest = 0;  // of each pixel's brightest channel
      for (int y = 0; y < slide.thumbnail.height(); ++y)
        for (int x = 0; x < slide.thumbnail.width(); ++x) {
          darkest = std::min(darkest, slide.thumbnail.pixelColor(x, y).value());
          brightest = std::max(brightest, slide.thumbnail.pixelColor(x, y).value());
        }
      QVERIFY2(brightest - darkest > 100, qPrintable(slide.name));
    }
    QTest::qWait(500);
    QVERIFY(project.slide(2).thumbnail.isNull());
    window.reloadFolder();
    QVERIFY(!project.slide(0).thumbnail.isNull() && !project.slide(1).thumbnail.isNull());
  }

  void f1PlotSaysWhatItNeedsWithoutMasks() {
    ThresholdPanel panel;
    SweepResult counted;
    counted.points.resize(20);
    for (int t = 0; t < 20; ++t) counted.points[t].threshold = 0.5 + 0.025 * t;
    panel.setCurves(&counted, counted);
    QVERIFY(panel.f1PlotNote().contains("No masks yet"));
    QCOMPARE(panel.f1Plot()->graph(0)->dataCount(), 0);
    counted.hasTruth = true;
    panel.setCurves(&counted, counted);
    QVERIFY(panel.f1PlotNote().isEmpty());
    QCOMPARE(panel.f1Plot()->graph(0)->dataCount(), 20);
  }

  // The app's export writes the same bytes when the C library's number format is German: the tables' numbers go
  // through std::to_chars, which no locale changes (the app also resets LC_NUMERIC at start; this checks the files
  // do not depend on that).
  void exportIsTheSameInACommaDecimalLocale() {
    MainWindow window;
    QVERIFY(window.openFolder(folder_));
    QCOMPARE(window.project()->countedSlides(), 2);
    QString error;
    const QString inC = scratch_.filePath("export-C"), inGerman = scratch_.filePath("export-de_DE");
    QVERIFY2(window.exportTo({inC, true, false, false, false}, &error), qPrintable(error));
    const QString problem = test::makeLocale(scratch_.filePath("locales"), "de_DE");
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    qputenv("LOCPATH", scratch_.filePath("locales").toLocal8Bit());
    QVERIFY(std::setlocale(LC_ALL, "de_DE.UTF-8"));
    char decimal[16];
    std::snprintf(decimal, sizeof decimal, "%.2f", 0.5);
    const bool german = QString(decimal) == "0,50";
    const bool exported = window.exportTo({inGerman, true, false, false, false}, &error);
    std::setlocale(LC_ALL, "C");
    QVERIFY2(german, decimal);
    QVERIFY2(exported, qPrintable(error));
    for (const QString table : {"counts.csv", "objects.csv"}) {
      const std::string c = test::readBytes((inC + "/" + table).toStdString());
      QVERIFY(c.find("0.") != std::string::npos);
      QVERIFY2(test::readBytes((inGerman + "/" + table).toStdString()) == c, qPrintable(table));
    }
  }

  // A long Count Folder saves its results as it goes (the first slide at once, then every 30 s), so that a crash or a
  // power cut loses at most the last half minute: the state file holds the first slide counted while the others are
  // still being counted.
  void countFolderSavesItsResultsAsItGoes() {
    const QString folder = test::writableSlideFolder(scratch_.path(), "saved-as-it-goes",
                                                     {test::kYellowSlide, test::kYellowSlide2, test::kRedSlide});
    MainWindow window;
    QVERIFY(window.openFolder(folder));
    Project& project = *window.project();
    QSignalSpy finished(&window, &MainWindow::countingFinished);
    window.countAll();
    QTRY_VERIFY_WITH_TIMEOUT(project.countedSlides() >= 1, 300000);
    QVERIFY2(window.isCounting(), "the folder was counted before the first slide was seen");
    int first = 0;
    while (project.slide(first).status != SlideStatus::Counted) ++first;
    QFile file(folder + "/.fluocount/project.json");
    QVERIFY(file.open(QIODevice::ReadOnly));
    QString problem;
    const std::optional<ProjectState> saved = parseProjectState(file.readAll(), &problem);
    QVERIFY2(saved, qPrintable(problem));
    const SavedSlide& slide = saved->slides.at(project.slide(first).name);
    QVERIFY(slide.counted);
    QCOMPARE(slide.count, project.slide(first).count);
    QVERIFY(finished.wait(300000));
  }

  void reopeningTheFolderRestoresResultsAndThreshold() {
    MainWindow window;
    QVERIFY(window.openFolder(folder_));
    Project* project = window.project();
    QCOMPARE(project->countedSlides(), 2);
    QCOMPARE(project->userThreshold().value_or(-1), 0.97);
    for (int i = 0; i < 2; ++i) QCOMPARE(project->slide(i).count, countAt(*project->slide(i).analysis, 0.97));
  }

  void aDamagedStateFileIsKeptAsideNotLost() {
    const QString state = folder_ + "/.fluocount/project.json";
    QFile file(state);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write("{\"format\": \"fluocount-project\", \"vers");
    file.close();
    Project project;
    QString error, warning;
    QVERIFY(project.open(folder_, &error, &warning));
    QVERIFY(warning.contains("damaged"));
    QCOMPARE(project.countedSlides(), 0);
    const QStringList kept = QDir(folder_ + "/.fluocount").entryList({"project.json.unreadable-*"});
    QCOMPARE(kept.size(), 1);
  }

  // The app and `fluocount-cli evaluate` take the same cells as true (core/true_cells.h) and match alike: on a
  // folder with instance labels (DSB2018 fields whose masks merge touching nuclei) and on one without (FNC red),
  // each slide's TP, FP and FN in the app's threshold sweep and in its on-screen matching equal the CLI's, at a
  // given diameter and with each slide's measured (matched within it, by both). And on slides without masks,
  // counted by hand (hand-counts/<stem>.roi, Fiji's multi-point tool), against `evaluate --hand-counts`.
  void theAppsMatchingEqualsCliEvaluate_data() {
    QTest::addColumn<QStringList>("slides");
    QTest::addColumn<double>("diameter");  // 0: measured on each slide (the app's and the CLI's default)
    QTest::addColumn<int>("trueCells");    // the labels' count where there are labels (components: fewer)
    QTest::addColumn<bool>("byHand");      // the masks' cells as marks in hand-counts/, the masks taken away
    const QString dsb = "dsb2018-fluo/images/";
    QTest::newRow("labels") << QStringList{dsb + "00071198d059ba7f5914a526d124d28e6d010c92466da21d4a04cd5413362552.png",
                                           dsb + "0287e7ee5b007c91ae2bd7628d09735e70496bc6127ecb7f3dd043e04ce37426.png",
                                           dsb + "03398329ced0c23b9ac3fac84dd53a87d9ffe4d9d10f1b5fe8df8fac12380776.png"}
                            << 21.0 << 27 + 62 + 16 << false;
    const QStringList red{"fnc-red/images/MAR32C2R3_PVHr_200x_r.png", "fnc-red/images/RT353S2C1R5_r1.png"};
    QTest::newRow("masks only") << red << 0.0 << -1 << false;
    QTest::newRow("counts by hand") << red << 0.0 << -1 << true;
  }

  void theAppsMatchingEqualsCliEvaluate() {
    QFETCH(QStringList, slides);
    QFETCH(double, diameter);
    QFETCH(int, trueCells);
    QFETCH(bool, byHand);
    const QString folder = test::writableSlideFolder(scratch_.path(), QTest::currentDataTag(), slides);
    if (byHand) {  // a Fiji multi-point ROI on each cell's centre (ImageJ's pixel centres at +0.5), and no masks
      QVERIFY(QDir(folder).mkpath("hand-counts"));
      for (const QString& slide : slides) {
        std::vector<cv::Point2d> marks =
            boxCentres(measureLabels(fluocount::trueCells(test::maskFile(slide), "").labels));
        for (cv::Point2d& mark : marks) mark += cv::Point2d(0.5, 0.5);
        test::writeBytes(QString(folder + "/hand-counts/" + QFileInfo(slide).completeBaseName() + ".roi").toStdString(),
                         encodePointRoi("count", marks));
      }
      QVERIFY(QDir(folder + "/masks").removeRecursively());
    }
    MainWindow window;
    QVERIFY(window.openFolder(folder));
    Project* project = window.project();
    ProjectSettings settings = project->settings();
    settings.automaticDiameter = diameter <= 0;  // the default of both: each slide's diameter measured
    settings.cellDiameterPx = diameter;
    project->setSettings(settings);
    QSignalSpy finished(&window, &MainWindow::countingFinished);
    window.countAll();
    QVERIFY(finished.wait(600000));
    QCOMPARE(project->countedSlides(), slides.size());
    const double threshold = 0.5;  // a point of the app's sweep
    window.chooseThreshold(threshold);
    QTRY_COMPARE_WITH_TIMEOUT(window.canvas()->overlay().threshold, threshold, 60000);

    const QString table = scratch_.filePath(QString(QTest::currentDataTag()) + "-evaluate.csv");
    QStringList arguments{"evaluate", folder, "--threshold", "0.5", "--per-image", table};
    if (byHand)
      arguments = QStringList{
          "evaluate", folder + "/images", "--hand-counts", folder + "/hand-counts", "--threshold", "0.5", "--per-image",
          table};
    if (diameter > 0) arguments << "--diameter" << QString::number(diameter);
    QProcess cli;
    cli.start(FLUOCOUNT_CLI, arguments);
    QVERIFY(cli.waitForFinished(600000));
    QVERIFY2(cli.exitCode() == 0, cli.readAllStandardError().constData());
    QFile csv(table);
    QVERIFY(csv.open(QIODevice::ReadOnly | QIODevice::Text));
    const QStringList lines = QString(csv.readAll()).trimmed().split('\n');
    QCOMPARE(lines.size(), slides.size() + 1);
    const QStringList header = csvFields(lines[0]);
    int cliTrueCells = 0;
    for (const QString& line : lines.mid(1)) {
      const QStringList row = csvFields(line);
      const auto field = [&](const char* name) { return row[header.indexOf(name)].toInt(); };
      int index = -1;
      for (int i = 0; i < project->slideCount(); ++i)
        if (project->slide(i).name == row[header.indexOf("file")]) index = i;
      QVERIFY2(index >= 0, qPrintable(line));
      const SweepResult& sweep = project->slide(index).analysis->sweep;
      const auto point = std::find_if(sweep.points.begin(), sweep.points.end(),
                                      [&](const SweepPoint& p) { return std::abs(p.threshold - threshold) < 1e-9; });
      QVERIFY(point != sweep.points.end());
      QCOMPARE(point->counts.truePositives, field("tp"));
      QCOMPARE(point->counts.falsePositives, field("fp"));
      QCOMPARE(point->counts.falseNegatives, field("fn"));
      if (index == 0) {  // the slide on screen: its live matching too
        const DetectionOverlay& overlay = window.canvas()->overlay();
        QVERIFY(overlay.hasTruth);
        QCOMPARE(overlay.matchCounts.truePositives, field("tp"));
        QCOMPARE(overlay.matchCounts.falsePositives, field("fp"));
        QCOMPARE(overlay.matchCounts.falseNegatives, field("fn"));
      }
      cliTrueCells += field("true_count");
    }
    if (trueCells >= 0) QCOMPARE(cliTrueCells, trueCells);
  }

  // The desktop app where there is no display (a server, an SSH session, the README's main job in a container):
  // asked to count a folder, it counts it without a window, prints each slide's count and saves them as the window
  // would (the folder then opens counted, the same counts); asked for the window alone, it says why it cannot
  // rather than abort inside Qt.
  void withoutADisplayTheAppCountsTheFolderOrSaysWhy() {
    const QString folder =
        test::writableSlideFolder(scratch_.path(), "headless", {test::kYellowSlide, test::kYellowSlide2});
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}) environment.remove(name);
    QProcess app;
    app.setProcessEnvironment(environment);
    app.start(FLUOCOUNT_APP, {folder});
    QVERIFY(app.waitForFinished(60000));
    QCOMPARE(app.exitCode(), 2);
    QVERIFY(QString::fromUtf8(app.readAllStandardError()).contains("no display"));

    app.start(FLUOCOUNT_APP, {folder, "--count"});
    QVERIFY(app.waitForFinished(600000));
    const QString printed = QString::fromUtf8(app.readAllStandardOutput());
    QVERIFY2(app.exitCode() == 0, qPrintable(QString::fromUtf8(app.readAllStandardError())));
    int total = 0;
    {
      MainWindow window;
      QVERIFY(window.openFolder(folder));
      QCOMPARE(window.project()->countedSlides(), 2);
      for (int i = 0; i < 2; ++i) {
        const Slide& slide = window.project()->slide(i);
        const QRegularExpression line(
            "^" + QRegularExpression::escape(slide.name) + "\\s+" + QString::number(slide.count) + "$",
            QRegularExpression::MultilineOption);
        QVERIFY2(line.match(printed).hasMatch(), qPrintable(printed));
        total += slide.count;
      }
      QVERIFY2(printed.contains(QString("total: %1 cells in 2 slide(s)").arg(total)), qPrintable(printed));
    }

    // A state saved by a FluoCount that did not record the heatmaps' CRC-32s: counted already, so nothing is
    // counted, but the state is saved with them, and the folder opens without reading its heatmaps from then on.
    const std::string statePath = (folder + "/.fluocount/project.json").toStdString();
    QString state = QString::fromStdString(test::readBytes(statePath));
    QCOMPARE(int(state.count("\"heatmap_crc32\"")), 2);
    state.replace(QRegularExpression("\\s*\"heatmap_crc32\": \"[0-9a-f]{8}\",?"), QString());
    QVERIFY(!state.contains("heatmap_crc32"));
    test::writeBytes(statePath, state.toStdString());
    app.start(FLUOCOUNT_APP, {folder, "--count"});
    QVERIFY(app.waitForFinished(600000));
    QVERIFY2(app.exitCode() == 0, qPrintable(QString::fromUtf8(app.readAllStandardError())));
    QVERIFY(QString::fromUtf8(app.readAllStandardOutput()).contains(QString("total: %1 cells").arg(total)));
    QCOMPARE(int(QByteArray::fromStdString(test::readBytes(statePath)).count("\"heatmap_crc32\"")), 2);

    // Files the app does not count are named below the total, as the window's note names them: a slide whose name
    // is Latin-1 (from an old share) and a microscope's own format.
    test::writeBytes(folder.toStdString() + "/images/Schnitt_\xe4.png",
                     test::readBytes(test::dataFile(test::kYellowSlide)));
    test::writeBytes((folder + "/images/scan 1.czi").toStdString(), "ZISRAWFILE");
    app.start(FLUOCOUNT_APP, {folder, "--count"});
    QVERIFY(app.waitForFinished(600000));
    QVERIFY2(app.exitCode() == 0, qPrintable(QString::fromUtf8(app.readAllStandardError())));
    const QString withNotes = QString::fromUtf8(app.readAllStandardOutput());
    QVERIFY2(withNotes.contains(QString("total: %1 cells in 2 slide(s)").arg(total)), qPrintable(withNotes));
    QVERIFY2(withNotes.contains("\nnote: 1 file is not counted: scan 1.czi (Zeiss CZI)"), qPrintable(withNotes));
    QVERIFY2(
        withNotes.contains("\nnote: 1 slide is not opened: Schnitt_\uFFFD.png has a file name in another encoding"),
        qPrintable(withNotes));
  }
};

QTEST_MAIN(TestGui)
#include "test_gui.moc"
