// The CLI on slides in which --diameter auto (the default) finds too few cells to measure their size (issue 16): the
// run counts them again at the median of the other images' estimates, where those rest on enough cells; else, and in
// a shard, they keep the default diameter, and every table and note says that this diameter was not measured. The
// field is real: the top of an FNC yellow slide, above its first annotated cell.
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

// counts.csv's `column` of each image, by file name.
std::map<QString, QString> columnByImage(const QString& table, const QString& column) {
  const QStringList lines = csvLines(table);
  std::map<QString, QString> values;
  if (lines.isEmpty()) return values;
  const int index = int(lines[0].split(',').indexOf(column));
  for (int i = 1; i < lines.size(); ++i) {
    const QStringList row = lines[i].split(',');
    values[QFileInfo(row[0]).fileName()] = row.value(index);
  }
  return values;
}

// A folder of the field and a real slide with cells: MAR32C2R3 (86 cells, estimated at 28 px).
QString fieldBesideASlide(const QString& folder) {
  if (!QDir().mkpath(folder) || !writeFieldWithoutCells(folder + "/a-field.png") ||
      !QFile::copy(dataFile(kRedSlide).c_str(), folder + "/" + QFileInfo(kRedSlide).fileName()))
    return {};
  return folder;
}

}  // namespace

class CliDiameterTest : public QObject {
  Q_OBJECT

  QTemporaryDir temp;

private slots:
  void initTestCase() { FLUOCOUNT_REQUIRE_SHARED_DATA(); }

  // A real field without cells beside a slide of few cells (MAR31S1C1R2: 7 counted, estimated at 24 px): the
  // estimate finds too few cells on the field, and the other estimate rests on fewer than kCellsForTheMedian cells,
  // so the field keeps the default diameter, and the table, counts.csv and a note say so instead of showing 50 px
  // like a measured diameter.
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
    QVERIFY2(run.out.contains(
                 QRegularExpression("^MAR31S1C1R2_DMHr_200x_r.png +[1-9] ", QRegularExpression::MultilineOption)),
             qPrintable(run.out));
    QVERIFY2(run.err.contains("note: 1 of 2 image(s) had too few cells to estimate their cell diameter (marked '?' "
                              "above; cell_diameter_source \"not estimated\" in counts.csv): they were counted at "
                              "50 px. If they hold cells, give --diameter"),
             qPrintable(run.err));
    const auto source = columnByImage(out + "/counts.csv", "cell_diameter_source");
    QCOMPARE(source.size(), std::size_t(2));
    QCOMPARE(source.at("empty-field.png"), QString("not estimated"));
    QCOMPARE(source.at("MAR31S1C1R2_DMHr_200x_r.png"), QString("estimated"));
  }

  // Beside a slide of many cells, the field is counted again at that slide's estimate (the median of one), its row
  // and label mask replaced: the table shows the diameter, counts.csv says where it came from, and its options
  // reproduce the count. A shard, which cannot see the other shards' estimates, keeps the default and says so.
  void aFieldWithoutAnEstimateIsCountedAtTheOthersMedian() {
    const QString folder = fieldBesideASlide(temp.filePath("field-beside-a-slide"));
    QVERIFY(!folder.isEmpty());
    const QString out = temp.filePath("field-beside-a-slide-counted");
    const Run run = runCli({"count", folder, "--out", out, "--labels"});
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    const auto source = columnByImage(out + "/counts.csv", "cell_diameter_source");
    const auto diameter = columnByImage(out + "/counts.csv", "cell_diameter_px");
    const auto options = columnByImage(out + "/counts.csv", "options");
    const QString slide = QFileInfo(kRedSlide).fileName();
    QCOMPARE(source.at(slide), QString("estimated"));
    QCOMPARE(source.at("a-field.png"), QString("median of others"));
    QCOMPARE(diameter.at("a-field.png"), diameter.at(slide));
    const QString median = QString::number(diameter.at(slide).toDouble());
    QVERIFY2(options.at("a-field.png").contains("--diameter " + median + " "), qPrintable(options.at("a-field.png")));
    QVERIFY2(run.out.contains(QRegularExpression("^a-field.png +\\d +1600x\\d+ +" + median + " px ",
                                                 QRegularExpression::MultilineOption)),
             qPrintable(run.out));
    QVERIFY2(run.err.contains("note: 1 of 2 image(s) had too few cells to estimate their cell diameter: they were "
                              "counted at the median of the others' estimates, " +
                              median + ".0 px"),
             qPrintable(run.err));
    // Its label mask is the count at that diameter: the same as a count given it.
    const QString given = temp.filePath("field-at-the-median");
    QCOMPARE(runCli({"count", folder + "/a-field.png", "--diameter", median, "--out", given, "--labels"}).exitCode, 0);
    QCOMPARE(readBytes((out + "/labels/a-field.png").toStdString()),
             readBytes((given + "/labels/a-field.png").toStdString()));
    QVERIFY(!QFileInfo::exists(out + "/.fluocount-journal"));

    const QString sharded = temp.filePath("field-beside-a-slide-shard");
    const Run shard = runCli({"count", folder, "--out", sharded, "--shard", "1/1"});
    QVERIFY2(shard.exitCode == 0, qPrintable(shard.err));
    QCOMPARE(columnByImage(sharded + "/shards/counts/shard-0001-of-0001.csv", "cell_diameter_source").at("a-field.png"),
             QString("not estimated"));
    QVERIFY2(shard.err.contains("A shard counts them at the default") &&
                 shard.err.contains("count them with --diameter " + median),
             qPrintable(shard.err));
    // merge, which sees every shard's rows, names the run's median and the images to count at it.
    const Run merge = runCli({"merge", sharded + "/shards/counts/shard-0001-of-0001.csv"});
    QVERIFY2(merge.exitCode == 0, qPrintable(merge.err));
    QVERIFY2(merge.err.contains("note: 1 image(s) had too few cells to estimate their cell diameter") &&
                 merge.err.contains("one process counts them at the median of the run's estimates, " + median +
                                    " px: count them with --diameter " + median + " (" + folder + "/a-field.png)"),
             qPrintable(merge.err));
  }

  // Stopped after the field (the first image) was journaled at the default, the resumed run counts it again at the
  // median once the slide is counted: the tables and label masks of one uninterrupted run.
  void aResumedRunCountsTheJournaledFieldAtTheMedian() {
    const QString folder = fieldBesideASlide(temp.filePath("field-stopped"));
    QVERIFY(!folder.isEmpty());
    const QString out = temp.filePath("field-stopped-out");
    const QStringList count = {"count", folder, "--out", out, "--labels", "--pipeline", "off"};
    QProcess process;
    QVERIFY(startAndWaitForJournal(process, count, out, 1));
    process.terminate();
    QVERIFY(process.waitForFinished(120000));
    QCOMPARE(process.exitCode(), 130);
    const Run resumed = runCli(count + QStringList{"--resume"});
    QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
    const QString whole = temp.filePath("field-stopped-whole");
    QCOMPARE(runCli({"count", folder, "--out", whole, "--labels"}).exitCode, 0);
    QCOMPARE(columnByImage(out + "/counts.csv", "cell_diameter_source").at("a-field.png"), QString("median of others"));
    QCOMPARE(withoutSeconds(csvLines(out + "/counts.csv")), withoutSeconds(csvLines(whole + "/counts.csv")));
    for (const QString& labels : QDir(whole + "/labels").entryList(QDir::Files))
      QCOMPARE(readBytes((out + "/labels/" + labels).toStdString()),
               readBytes((whole + "/labels/" + labels).toStdString()));
  }

  // evaluate and sweep on a dataset of that field and its (empty) mask: evaluate's table marks the diameter, and both
  // end with the note (no other image has an estimate).
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

    // With a slide of many cells and its mask beside it, both count the field again at that slide's estimate, as
    // count does: the table shows it unmarked.
    QVERIFY(QFile::copy(dataFile(kRedSlide).c_str(), dataset + "/images/" + QFileInfo(kRedSlide).fileName()));
    QVERIFY(QFile::copy(maskFile(kRedSlide).c_str(), dataset + "/masks/" + QFileInfo(kRedSlide).fileName()));
    const QString again =
        "note: 1 image(s) had too few cells to estimate their cell diameter: counting them again at "
        "the median of the others' estimates, ";
    const Run evaluateBeside = runCli({"evaluate", dataset});
    QVERIFY2(evaluateBeside.exitCode == 0 && evaluateBeside.err.contains(again), qPrintable(evaluateBeside.err));
    const QRegularExpression slideLine("^MAR32C2R3_PVHr_200x_r.png .* (\\d+\\.\\d)$",
                                       QRegularExpression::MultilineOption);
    const QString median = slideLine.match(evaluateBeside.out).captured(1);
    QVERIFY2(!median.isEmpty(), qPrintable(evaluateBeside.out));
    QVERIFY2(
        evaluateBeside.out.contains(QRegularExpression(
            "^empty-field.png .* " + QRegularExpression::escape(median) + "$", QRegularExpression::MultilineOption)),
        qPrintable(evaluateBeside.out));
    QVERIFY2(!evaluateBeside.err.contains(note), qPrintable(evaluateBeside.err));
    const Run sweepBeside = runCli({"sweep", dataset});
    QVERIFY2(sweepBeside.exitCode == 0 && sweepBeside.err.contains(again + median + " px"),
             qPrintable(sweepBeside.err));
  }
};

QTEST_GUILESS_MAIN(CliDiameterTest)
#include "test_cli_diameter.moc"
