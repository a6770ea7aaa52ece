// The desktop app driven through its real widgets, offscreen, on a copy of a real slide folder: count it, move the
// threshold and see the counts and plots follow, export, check each exported row against `fluocount-cli count`
// run with the row's own options, and reopen the folder to find the results restored.
#include "test_support.h"
#include "ui/main_window.h"
#include "ui/slide_analysis.h"
#include "ui/slide_list_model.h"
#include "ui/threshold_panel.h"

#include <QApplication>
#include <QDir>
#include <QProcess>
#include <QSignalSpy>
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
      if (quoted && i + 1 < line.size() && line[i + 1] == '"') field += '"', ++i;
      else quoted = !quoted;
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
    folder_ = scratch_.filePath("fnc-yellow");
    test::copyFolder(test::sharedDataDir() + "/fnc-yellow", folder_);
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

    // Moving the threshold recounts the folder off the GUI thread; every count equals a direct re-detection.
    const auto analysis0 = project->slide(0).analysis;
    const double high = 0.97;
    window.chooseThreshold(high);
    QTRY_COMPARE_WITH_TIMEOUT(project->slide(0).count, countAt(*analysis0, high), 60000);
    QTRY_COMPARE_WITH_TIMEOUT(window.canvas()->overlay().threshold, high, 60000);
    QCOMPARE(window.canvas()->overlay().count, project->slide(0).count);
    QCOMPARE(panel->threshold(), high);

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
      QCOMPARE(cliCount(file, row[header.indexOf("options")]), count);
    }
    QVERIFY(QFileInfo::exists(out + "/objects.csv"));
    QCOMPARE(QDir(out + "/labels").entryList(QDir::Files).size(), 2);
    // A second export to the same folder is refused and changes nothing.
    QVERIFY(!window.exportTo({out, false, false, false, false}, &error));
    QVERIFY(error.contains("already exists"));
    window.close();
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
};

QTEST_MAIN(TestGui)
#include "test_gui.moc"
