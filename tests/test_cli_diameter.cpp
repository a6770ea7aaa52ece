// The CLI on slides in which --diameter auto (the default) finds too few cells to measure their size: they are
// counted at the default diameter, and every table and note says that this diameter was not measured (issue 16).
// The field is real: the top of an FNC yellow slide, above its first annotated cell.
#include "tests/cli_run.h"
#include "tests/test_support.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <opencv2/imgcodecs.hpp>

#include <map>

using namespace fluocount;
using namespace fluocount::test;

namespace {

// The rows of a real FNC yellow slide above its first annotated cell, less half a cell (25 px): no cell in it.
bool writeFieldWithoutCells(const QString& path) {
  const cv::Mat mask = cv::imread(maskFile(kYellowSlide2), cv::IMREAD_GRAYSCALE);
  int firstCellRow = 0;
  while (firstCellRow < mask.rows && cv::countNonZero(mask.row(firstCellRow)) == 0) ++firstCellRow;
  if (firstCellRow <= 325) return false;
  const cv::Mat slide = cv::imread(dataFile(kYellowSlide2), cv::IMREAD_COLOR);
  return cv::imwrite(path.toStdString(), slide.rowRange(0, firstCellRow - 25));
}

}  // namespace

class CliDiameterTest : public QObject {
  Q_OBJECT

  QTemporaryDir temp;

private slots:
  void initTestCase() { FLUOCOUNT_REQUIRE_SHARED_DATA(); }

  // A real field without cells (the top of an FNC yellow slide, above its first annotated cell) beside a slide with
  // cells: the estimate finds too few cells on the field, which is counted at the default diameter, and the table,
  // counts.csv and a note say so instead of showing 50 px like a measured diameter.
  void aFieldWithTooFewCellsToMeasureSaysItsDiameterWasNotEstimated() {
    const QString folder = temp.filePath("field-without-cells");
    QVERIFY(QDir().mkpath(folder));
    QVERIFY(writeFieldWithoutCells(folder + "/empty-field.png"));
    QVERIFY(QFile::copy(sharedDataDir() + "/fnc-red-extra/images/MAR31S1C1R2_DMHr_200x_r.png",
                        folder + "/MAR31S1C1R2_DMHr_200x_r.png"));
    const QString out = temp.filePath("field-without-cells-counted");
    const Run run = runCli({"count", folder, "--out", out});
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    QVERIFY2(run.out.contains(
                 QRegularExpression("^empty-field.png +0 +1600x\\d+ +50 px\\? ", QRegularExpression::MultilineOption)),
             qPrintable(run.out));
    QVERIFY2(run.err.contains("note: 1 of 2 image(s) had too few cells to estimate their cell diameter"),
             qPrintable(run.err));
    const QStringList lines = csvLines(out + "/counts.csv");
    QCOMPARE(lines.size(), 3);
    const QStringList header = lines[0].split(',');
    std::map<QString, QString> sourceOf, diameterOf;
    for (int i = 1; i < lines.size(); ++i) {
      const QStringList row = lines[i].split(',');
      sourceOf[QFileInfo(row[0]).fileName()] = row[header.indexOf("cell_diameter_source")];
      diameterOf[QFileInfo(row[0]).fileName()] = row[header.indexOf("cell_diameter_px")];
    }
    QCOMPARE(sourceOf["empty-field.png"], QString("not estimated"));
    QCOMPARE(sourceOf["MAR31S1C1R2_DMHr_200x_r.png"], QString("estimated"));
    // The note offers the estimate of the other image (the only one) as the diameter to count the field at.
    // counts.csv writes "24.00"; the note writes the whole pixels, "24".
    const QString measured = QString::number(diameterOf["MAR31S1C1R2_DMHr_200x_r.png"].toDouble());
    QVERIFY2(run.err.contains("The other images' estimates have a median of " + measured +
                              " px: if those images hold cells, count them with --diameter " + measured),
             qPrintable(run.err));
  }

  // evaluate and sweep on a dataset of that field and its (empty) mask: evaluate's table marks the diameter, and both
  // end with the note.
  void evaluateAndSweepSayTheDiameterWasNotEstimated() {
    const QString dataset = temp.filePath("field-without-cells-dataset");
    QVERIFY(QDir().mkpath(dataset + "/images") && QDir().mkpath(dataset + "/masks"));
    QVERIFY(writeFieldWithoutCells(dataset + "/images/empty-field.png"));
    const cv::Mat field = cv::imread((dataset + "/images/empty-field.png").toStdString(), cv::IMREAD_GRAYSCALE);
    QVERIFY(cv::imwrite((dataset + "/masks/empty-field.png").toStdString(), cv::Mat::zeros(field.size(), CV_8U)));
    const QString note = "note: 1 of 1 image(s) had too few cells to estimate their cell diameter";
    const Run evaluate = runCli({"evaluate", dataset});
    QVERIFY2(evaluate.exitCode == 0, qPrintable(evaluate.err));
    QVERIFY2(evaluate.out.contains(
                 QRegularExpression("^empty-field.png .* 50\\.0\\?$", QRegularExpression::MultilineOption)),
             qPrintable(evaluate.out));
    QVERIFY2(evaluate.err.contains(note + " (marked '?' above): they were counted at 50 px."),
             qPrintable(evaluate.err));
    const Run sweep = runCli({"sweep", dataset});
    QVERIFY2(sweep.exitCode == 0, qPrintable(sweep.err));
    QVERIFY2(sweep.err.contains(note + ": they were counted at 50 px."), qPrintable(sweep.err));
  }
};

QTEST_GUILESS_MAIN(CliDiameterTest)
#include "test_cli_diameter.moc"
