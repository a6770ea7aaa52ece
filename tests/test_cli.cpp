// fluocount-cli end to end on real slides, as a user runs it.
#include "core/image_io.h"
#include "core/imagej_roi.h"
#include "core/zip_archive.h"
#include "core/model_file.h"
#include "core/architecture.h"
#include "core/inference.h"
#include "tests/cli_run.h"
#include "tests/test_support.h"

#include <opencv2/imgcodecs.hpp>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <map>

using namespace fluocount;
using namespace fluocount::test;

class CliTest : public QObject {
  Q_OBJECT

  QTemporaryDir temp;
  QString slides;
  QString yellow_;  // copies of the two named yellow FNC slides, dataset layout

private slots:
  void initTestCase() {
    FLUOCOUNT_REQUIRE_SHARED_DATA();
    yellow_ = writableSlideFolder(temp.path(), "fnc-yellow", {kYellowSlide, kYellowSlide2});
    slides = temp.filePath("slides");
    QDir().mkpath(slides);
    for (const QString& slide : {kYellowSlide, kYellowSlide2})
      QVERIFY(QFile::copy(QString::fromStdString(dataFile(slide)), slides + "/" + QFileInfo(slide).fileName()));
    const std::string bytes = readBytes(dataFile(kYellowSlide));
    writeBytes((slides + "/zz_truncated.png").toStdString(), bytes.substr(0, bytes.size() / 4));
  }

  void countReportsTheBadFileAndCountsTheRest() {
    const QString out = temp.filePath("out");
    const Run run = runCli({"count", slides, "--classical", "--out", out, "--objects", "--labels", "--overlays"});
    QCOMPARE(run.exitCode, 1);  // one file failed
    QVERIFY2(run.err.contains("zz_truncated.png"), qPrintable(run.err));
    const QStringList rows = csvLines(out + "/counts.csv");
    QCOMPARE(rows.size(), 4);  // header + 2 slides + the bad file
    QVERIFY(rows[0].startsWith("file,status,count"));
    int total = 0;
    for (const QString& row : rows.mid(1)) {
      const QStringList fields = row.split(',');
      if (fields[0].endsWith("zz_truncated.png")) {
        QCOMPARE(fields[1], QString("error"));
        // Nothing was measured: count, width, height, threshold and diameter are empty, not 0, so that a
        // spreadsheet's sum or mean of the column leaves the file out instead of counting it as an empty slide.
        for (int column = 2; column <= 6; ++column) QVERIFY2(fields[column].isEmpty(), qPrintable(row));
        continue;
      }
      QCOMPARE(fields[1], QString("ok"));
      const int count = fields[2].toInt();
      QVERIFY(count > 0);
      total += count;
      // The label mask holds exactly `count` objects numbered 1..count.
      const QString stem = QFileInfo(fields[0]).completeBaseName();
      const cv::Mat labels = loadLabels((out + "/labels/" + stem + ".png").toStdString());
      double maxLabel = 0;
      cv::minMaxLoc(labels, nullptr, &maxLabel);
      QCOMPARE(int(maxLabel), count);
      QVERIFY(QFile::exists(out + "/overlays/" + stem + ".png"));
    }
    QCOMPARE(csvLines(out + "/objects.csv").size(), total + 1);
    QVERIFY(run.out.contains(QString("total: %1 cells").arg(total)));
    // The classical method counts as a pipeline by default; one image at a time gives the same cells.
    const QString oneAtATime = temp.filePath("one-at-a-time");
    QCOMPARE(runCli({"count", slides, "--classical", "--out", oneAtATime, "--objects", "--pipeline", "off"}).exitCode,
             1);
    QCOMPARE(csvLines(oneAtATime + "/objects.csv"), csvLines(out + "/objects.csv"));
  }

  // A Mac's "._" companion files are not slides (they are not counted, nor reported as failures); a microscope's
  // own files are not read and are named, so that the table is not taken for the whole folder.
  void filesItCannotReadAreNamedNotPassedOver() {
    const QString folder = temp.filePath("mixed");
    QVERIFY(QDir().mkpath(folder));
    const QString slide = QFileInfo(kYellowSlide).fileName();
    QVERIFY(QFile::copy(QString::fromStdString(dataFile(kYellowSlide)), folder + "/" + slide));
    writeBytes((folder + "/._" + slide).toStdString(), std::string("\x00\x05\x16\x07Mac OS X", 12));
    writeBytes((folder + "/well A1.czi").toStdString(), "ZISRAWFILE");
    const QString out = temp.filePath("mixed-out");
    const Run run = runCli({"count", folder, "--classical", "--out", out});
    QCOMPARE(run.exitCode, 0);
    QCOMPARE(csvLines(out + "/counts.csv").size(), 2);  // the header and the one slide
    QVERIFY2(run.err.contains("1 file is not counted: well A1.czi (Zeiss CZI)"), qPrintable(run.err));
    QVERIFY2(!run.err.contains("._") && !run.out.contains("._"), qPrintable(run.err + run.out));

    QVERIFY(QFile::remove(folder + "/" + slide));
    const Run none = runCli({"count", folder, "--classical"});
    QCOMPARE(none.exitCode, 2);
    QVERIFY2(none.err.contains("no PNG, TIFF or JPEG images in this folder. 1 file is not counted: well A1.czi"),
             qPrintable(none.err));
    // The experiment's folder, whose slides are in a folder per condition.
    QVERIFY(QDir().mkpath(folder + "/control/images"));
    QVERIFY(QFile::copy(QString::fromStdString(dataFile(kYellowSlide)), folder + "/control/images/" + slide));
    const Run above = runCli({"count", folder, "--classical"});
    QCOMPARE(above.exitCode, 2);
    QVERIFY2(above.err.contains("Its subfolder control holds slides. Name them to count them all"),
             qPrintable(above.err));
  }

  // A slide named twice (a folder and one of its files, overlapping globs, two spellings of one path) is counted
  // once: the table and the total would otherwise hold its cells twice. Likewise a dataset given twice.
  void anImageNamedTwiceIsCountedOnce() {
    const QString slide = yellow_ + "/images/" + QFileInfo(kYellowSlide).fileName();
    const QString table = temp.filePath("named-twice.csv");
    const Run run =
        runCli({"count", slide, yellow_ + "/images",
                yellow_ + "/images/../images/" + QFileInfo(kYellowSlide).fileName(), "--classical", "--csv", table});
    QCOMPARE(run.exitCode, 0);
    QVERIFY2(run.err.contains("1 image(s) named more than once, each counted once: " + QFileInfo(slide).fileName()),
             qPrintable(run.err));
    QCOMPARE(csvLines(table).size(), 1 + 2);
    QVERIFY(csvLines(table)[1].startsWith(slide + ","));  // in the order first named
    // A dataset given twice is scored once (and trained on once: a copy could land in the validation split).
    const Run evaluate = runCli({"evaluate", yellow_, yellow_ + "/", "--classical"});
    QCOMPARE(evaluate.exitCode, 0);
    QVERIFY2(evaluate.out.contains("images 2 "), qPrintable(evaluate.out));
    QVERIFY2(evaluate.err.contains("2 image(s) in more than one of the datasets given, each scored once"),
             qPrintable(evaluate.err));
    const Run train = runCli({"train", yellow_, "--validation", yellow_, "--out", temp.filePath("leak.fcmodel")});
    QVERIFY(train.exitCode != 0);  // nothing left to validate on: refused before any training
    QVERIFY2((train.out + train.err).contains("2 validation image(s) are also training images"),
             qPrintable(train.out + train.err));
    QVERIFY(!QFile::exists(temp.filePath("leak.fcmodel")));
  }

  void existingResultsAreNeverSilentlyReplaced() {
    const QString out = temp.filePath("again");
    const QString good = yellow_ + "/images";
    QCOMPARE(runCli({"count", good, "--classical", "--out", out}).exitCode, 0);
    const QStringList before = csvLines(out + "/counts.csv");
    const Run second = runCli({"count", good, "--classical", "--diameter", "30", "--out", out});
    QCOMPARE(second.exitCode, 2);
    QVERIFY2(second.err.contains("already exists"), qPrintable(second.err));
    QCOMPARE(csvLines(out + "/counts.csv"), before);
    QCOMPARE(runCli({"count", good, "--classical", "--diameter", "30", "--out", out, "--overwrite"}).exitCode, 0);
  }

  // An image whose own files cannot be written (here its overlay exists already; a full disk is the same error) is
  // a failed row in counts.csv and in no other table: none of its cells in objects.csv or regions.csv, none of its
  // files left behind, and the total counts only what the tables report.
  void anImageWhoseFilesCannotBeWrittenIsInNoTable() {
    const QString out = temp.filePath("half-written"), regions = temp.filePath("no-regions");
    QDir().mkpath(out + "/overlays");
    QDir().mkpath(regions);
    writeBytes((out + "/overlays/Mar19bS1C4R2_LHr_200x.png").toStdString(), "not ours");
    const Run run = runCli({"count", yellow_ + "/images", "--classical", "--out", out, "--objects", "--labels",
                            "--overlays", "--regions", regions});
    QCOMPARE(run.exitCode, 1);
    QVERIFY2(run.err.contains("Mar19bS1C4R2_LHr_200x.png already exists"), qPrintable(run.err));
    const QStringList counts = csvLines(out + "/counts.csv");
    QCOMPARE(counts.size(), 3);
    QVERIFY2(counts[1].contains("Mar19bS1C4R2_LHr_200x.png,error,,"), qPrintable(counts[1]));
    QVERIFY2(counts[2].contains("Mar24bS1C2R3_LHl_200x.png,ok,"), qPrintable(counts[2]));
    const QString counted = counts[2].section(",ok,", 1).section(',', 0, 0);
    for (const char* table : {"objects", "regions"})
      for (const QString& line : csvLines(out + "/" + table + ".csv"))
        QVERIFY2(!line.contains("Mar19bS1C4R2"), qPrintable(QString(table) + ": " + line));
    QCOMPARE(csvLines(out + "/objects.csv").size(), 1 + counted.toInt());
    QVERIFY(!QFile::exists(out + "/labels/Mar19bS1C4R2_LHr_200x.png"));
    QVERIFY(QFile::exists(out + "/labels/Mar24bS1C2R3_LHl_200x.png"));
    QCOMPARE(QString::fromStdString(readBytes((out + "/overlays/Mar19bS1C4R2_LHr_200x.png").toStdString())),
             QString("not ours"));
    QVERIFY2(run.out.contains(QString("total: %1 cells in 1 image(s), 1 failed").arg(counted)), qPrintable(run.out));
  }

  // Issue 18: count --regions reads <dir>/<stem>.geojson (QuPath annotations) and writes regions.csv, whose
  // counts per region add up to the image's count when the regions tile it; an image without a regions file is
  // one "whole image" region; a refused regions file loses that image's regions, never its count. --geojson
  // writes the cells for QuPath.
  void countsPerRegionAddUpToTheImageCount() {
    const QString regions = temp.filePath("regions");
    QDir().mkpath(regions);
    const QString halves = R"({"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"name":"left","classification":{"name":"Cortex, layer 2/3","color":[255,0,0]}},"geometry":{"type":"Polygon","coordinates":[[[0,0],[800,0],[800,1200],[0,1200],[0,0]]]}},
      {"type":"Feature","properties":{"name":"right"},"geometry":{"type":"Polygon","coordinates":[[[800,0],[1600,0],[1600,1200],[800,1200],[800,0]]]}},
      {"type":"Feature","properties":{"objectType":"detection"},"geometry":{"type":"Polygon","coordinates":[[[10,10],[40,10],[40,40],[10,10]]]}},
      {"type":"Feature","properties":{"objectType":"annotation","name":"counted by hand"},"geometry":{"type":"MultiPoint","coordinates":[[5,5],[9,9]]}}]})";
    writeBytes((regions + "/Mar19bS1C4R2_LHr_200x.geojson").toStdString(), halves.toStdString());
    const QString out = temp.filePath("regions-out");
    const Run run =
        runCli({"count", yellow_ + "/images", "--out", out, "--regions", regions, "--geojson", "--objects"});
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    // What an export of QuPath's "all objects" holds besides the annotated areas is said, not taken for regions.
    QVERIFY2(run.err.contains("Mar19bS1C4R2_LHr_200x.geojson: 1 QuPath detection, cell or tile and 1 point or line: "
                              "not regions, left out"),
             qPrintable(run.err));
    const QStringList counts = csvLines(out + "/counts.csv"), rows = csvLines(out + "/regions.csv");
    QCOMPARE(rows.size(), 1 + 2 + 1);  // header, two halves, the other slide's whole image
    QVERIFY(rows[0].startsWith("file,region,class,count,area_px2,cells_per_million_px2,area_um2,cells_per_mm2,"));
    const int slideCount = counts[1].split(',')[2].toInt();  // counts.csv is in file order: Mar19b first
    // QuPath's class of each annotation, which a study groups its regions by (quoted: it holds a comma).
    const QString quotedClass = ",left,\"Cortex, layer 2/3\",";
    QVERIFY2(rows[1].contains(quotedClass), qPrintable(rows[1]));
    QVERIFY2(rows[2].contains(",right,,"), qPrintable(rows[2]));
    const QStringList left = rows[1].section(quotedClass, 1).split(','),
                      right = rows[2].section(",right,,", 1).split(',');
    QCOMPARE(left[0].toInt() + right[0].toInt(), slideCount);  // count, then area_px2
    QCOMPARE(left[1], QString("960000.0"));
    QCOMPARE(rows[3].split(',')[1], QString("whole image"));
    QCOMPARE(rows[3].split(',')[3].toInt(), counts[2].split(',')[2].toInt());
    // objects.csv names each cell's region (before the run, its last column), so per-region measures can be taken
    // from it: its cells per region are regions.csv's counts.
    const QStringList objects = csvLines(out + "/objects.csv");
    QVERIFY(objects[0].endsWith(",regions,run"));
    std::map<QString, int> cellsIn;
    for (const QString& object : objects.mid(1)) ++cellsIn[object.section(',', -2, -2)];
    QCOMPARE(cellsIn["left"], left[0].toInt());
    QCOMPARE(cellsIn["right"], right[0].toInt());
    QCOMPARE(cellsIn["whole image"], rows[3].split(',')[3].toInt());
    QCOMPARE(int(cellsIn.size()), 3);  // the halves tile the slide: no cell is in none or both
    const QString geojson =
        QString::fromStdString(readBytes((out + "/geojson/Mar19bS1C4R2_LHr_200x.geojson").toStdString()));
    QCOMPARE(geojson.count("\"objectType\":\"detection\""), slideCount);

    // A regions file that is refused: the error names it and the feature; the count is still in counts.csv.
    writeBytes(
        (regions + "/Mar19bS1C4R2_LHr_200x.geojson").toStdString(),
        R"({"type":"Feature","properties":{"name":"LHr"},"geometry":{"type":"Polygon","coordinates":[[[1,1]]]}})");
    const QString again = temp.filePath("regions-refused");
    const Run refused = runCli({"count", yellow_ + "/images", "--out", again, "--regions", regions});
    QCOMPARE(refused.exitCode, 1);
    QVERIFY2(refused.err.contains("Mar19bS1C4R2_LHr_200x.geojson, feature 1 (LHr)"), qPrintable(refused.err));
    QCOMPARE(csvLines(again + "/counts.csv")[1].split(',')[2].toInt(), slideCount);
    QCOMPARE(csvLines(again + "/regions.csv").size(), 2);  // header and the other slide
  }

  // A regions file is found by the image's stem or its whole file name (an export named "slide.png.geojson"); one
  // named after no image is said to be unused rather than leaving its image a silent "whole image"; two files that
  // could both be an image's are refused, not chosen between.
  void regionsFilesAreFoundOrSaidToBeUnused() {
    const QString regions = temp.filePath("regions-named");
    QDir().mkpath(regions);
    const std::string left = R"({"type":"Feature","properties":{"name":"left"},"geometry":{"type":"Polygon",)"
                             R"("coordinates":[[[0,0],[800,0],[800,1200],[0,1200],[0,0]]]}})";
    writeBytes((regions + "/Mar19bS1C4R2_LHr_200x.png.geojson").toStdString(), left);
    writeBytes((regions + "/Mar19b_typo.geojson").toStdString(), left);
    const QStringList count = {"count", yellow_ + "/images", "--classical", "--regions", regions};
    const Run found = runCli(count + QStringList{"--out", temp.filePath("regions-named-out")});
    QCOMPARE(found.exitCode, 0);
    QVERIFY2(found.err.contains("1 regions file(s) in " + regions +
                                " belong to no image of the run and are not used: "
                                "Mar19b_typo.geojson"),
             qPrintable(found.err));
    QVERIFY(csvLines(temp.filePath("regions-named-out/regions.csv"))[1].contains("Mar19bS1C4R2_LHr_200x.png,left,"));

    writeBytes((regions + "/Mar19bS1C4R2_LHr_200x.geojson").toStdString(), left);
    const Run twice = runCli(count + QStringList{"--out", temp.filePath("regions-twice-out")});
    QCOMPARE(twice.exitCode, 1);
    QVERIFY2(twice.err.contains("are both regions of"), qPrintable(twice.err));
    for (const QString& row : csvLines(temp.filePath("regions-twice-out/regions.csv")))
      QVERIFY2(!row.contains("Mar19bS1C4R2"), qPrintable(row));
  }

  // A study's tables from a multi-channel TIFF: the network on the chosen channel, the ImageJ pixel size, areas in
  // µm² and densities in cells/mm², positivity per channel and per combination, channel means per cell, a scale bar.
  void multiChannelStackGivesTheStudysTables() {
    const QString folder = temp.filePath("stack");
    QDir().mkpath(folder);
    const cv::Mat bgr = cv::imread(dataFile(kRedSlide), cv::IMREAD_COLOR)(cv::Rect(0, 0, 800, 600)).clone();
    std::vector<cv::Mat> planes;
    cv::split(bgr, planes);
    writeTiff((folder + "/stack.tif").toStdString(), {planes[2], planes[1], planes[0]},
              {"ImageJ=1.54f\nimages=3\nchannels=3\nunit=micron\n", 1 / 0.65, 1});
    const QString regions = temp.filePath("stack-regions");
    QDir().mkpath(regions);
    writeBytes((regions + "/stack.geojson").toStdString(), R"({"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"name":"left"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[400,0],[400,600],[0,600],[0,0]]]}},
      {"type":"Feature","properties":{"name":"right"},"geometry":{"type":"Polygon","coordinates":[[[400,0],[800,0],[800,600],[400,600],[400,0]]]}}]})");
    const QString out = temp.filePath("stack-out");
    // The regions as Fiji's ROI Manager saves them: the two halves in a RoiSet.zip.
    writeBytes(
        (regions + "/stack.zip").toStdString(),
        regionsRoiSet(parseRegions(readBytes((regions + "/stack.geojson").toStdString()), {800, 600}, "halves")));
    QVERIFY(QFile::remove(regions + "/stack.geojson"));
    const Run run =
        runCli({"count", folder, "--diameter", "33", "--channel", "1,2,3", "--positive", "1:100", "--positive", "2:60",
                "--out", out, "--objects", "--overlays", "--regions", regions, "--imagej"});
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    const QStringList counts = csvLines(out + "/counts.csv");
    QCOMPARE(counts.size(), 2);
    const QStringList header = counts[0].split(','), row = counts[1].split(',');
    QVERIFY2(counts[0].startsWith("file,status,count,ch1+,ch2+,ch1+ch2+,ch1+ch2-,ch1-ch2+,ch1-ch2-,width"),
             qPrintable(counts[0]));
    const int cells = row[2].toInt();
    QVERIFY(cells > 3);
    QCOMPARE(row[header.indexOf("pixel_size_um")], QString("0.650000"));
    QCOMPARE(row[header.indexOf("pixel_size_source")], QString("ImageJ"));
    QCOMPARE(row[header.indexOf("image_area_um2")], QString("202800.0"));  // 800 x 600 x 0.65²
    QVERIFY(std::abs(row[header.indexOf("cells_per_mm2")].toDouble() - cells / 0.2028) < 0.01);
    QCOMPARE(row[header.indexOf("cell_diameter_um")], QString("21.45"));
    QCOMPARE(row[header.indexOf("cell_diameter_source")], QString("given"));
    int combinations = 0;
    for (int c = 5; c <= 8; ++c) combinations += row[c].toInt();
    QCOMPARE(combinations, cells);
    QVERIFY2(counts[1].contains("--channel 1,2,3 --positive 1:100 --positive 2:60\""), qPrintable(counts[1]));

    const QStringList objects = csvLines(out + "/objects.csv");
    QCOMPARE(objects.size(), 1 + cells);
    QVERIFY2(objects[0].endsWith("mean_intensity,positivity,mean_ch1,mean_ch2,mean_ch3,regions,run"),
             qPrintable(objects[0]));
    const QStringList objectHeader = objects[0].split(',');
    int positiveInRed = 0;
    for (int i = 1; i < objects.size(); ++i) {
      const QStringList fields = objects[i].split(',');
      const bool positive = fields[objectHeader.indexOf("positivity")].startsWith("ch1+");
      QCOMPARE(positive, fields[objectHeader.indexOf("mean_ch1")].toDouble() >= 100);
      positiveInRed += positive;
    }
    QCOMPARE(positiveInRed, row[3].toInt());

    const QStringList regionRows = csvLines(out + "/regions.csv");
    QCOMPARE(regionRows.size(), 3);
    const QStringList left = regionRows[1].split(','), right = regionRows[2].split(',');
    QCOMPARE(left[3].toInt() + right[3].toInt(), cells);
    QCOMPARE(left[4].toInt() + right[4].toInt(), row[3].toInt());  // ch1+ per region add up too
    QCOMPARE(left[regionRows[0].split(',').indexOf("area_um2")], QString("101400.0"));
    QCOMPARE(left[regionRows[0].split(',').indexOf("cell_diameter_source")], QString("given"));
    QVERIFY(QFileInfo(out + "/overlays/stack.png").size() > 0);
    QCOMPARE(int(readZipArchive(readBytes((out + "/roisets/stack.zip").toStdString())).size()), cells + 1);

    // The diameter in µm converts through the file's pixel size: 21.45 µm at 0.65 µm is the 33 px above.
    const Run micrometres = runCli({"count", folder, "--diameter", "21.45um", "--channel", "1,2,3"});
    QCOMPARE(micrometres.exitCode, 0);
    QVERIFY2(micrometres.out.contains(QRegularExpression("stack\\.tif\\s+" + QString::number(cells) + "\\s")),
             qPrintable(micrometres.out));
    // Bad choices: a channel the image lacks is that image's error; a pixel size of 0 is refused before counting.
    const Run missing = runCli({"count", folder, "--channel", "4"});
    QCOMPARE(missing.exitCode, 1);
    QVERIFY2(missing.err.contains("stack.tif: channel 4 was chosen, but the image has 3 channels"),
             qPrintable(missing.err));
    const Run zero = runCli({"count", folder, "--pixel-size", "0"});
    QVERIFY(zero.exitCode != 0);
    QVERIFY2(zero.err.contains("pixel size of 0"), qPrintable(zero.err));
  }

  void evaluateAndSweepReportTheirFigures() {
    const QString dataset = yellow_;
    const Run evaluate = runCli({"evaluate", dataset, "--classical"});
    QCOMPARE(evaluate.exitCode, 0);
    QVERIFY2(evaluate.out.contains(QRegularExpression("F1 [01]\\.\\d{4}  precision")), qPrintable(evaluate.out));
    QVERIFY(evaluate.out.contains("MedAE"));
    const Run sweep = runCli({"sweep", dataset, "--classical"});
    QCOMPARE(sweep.exitCode, 0);
    QVERIFY2(sweep.out.contains("knee:") && sweep.out.contains("best F1:"), qPrintable(sweep.out));
    QCOMPARE(sweep.out.count(QRegularExpression("\\n\\s+0\\.\\d{3}\\s+\\d+")), 20);
  }

  // An image that cannot be scored (here its mask is half the slide's size) is named in the per-image table and left
  // out of the pooled figures, which say so; when none can be scored there are no figures at all, rather than the
  // F1 of 1 that pooling nothing gives.
  void evaluateAndSweepSayWhatTheyLeaveOut() {
    const QString dataset = writableSlideFolder(temp.path(), "bad-mask", {kYellowSlide, kYellowSlide2});
    const QString badMask = dataset + "/masks/" + QFileInfo(kYellowSlide).completeBaseName() + ".png";
    QVERIFY(cv::imwrite(badMask.toStdString(), cv::Mat::zeros(600, 800, CV_8U)));
    // A mask whose slide was renamed is not scored either, and is named as such.
    QVERIFY(QFile::copy(badMask, dataset + "/masks/slide 7 (renamed).png"));
    const QString table = temp.filePath("bad-mask.csv");
    const Run evaluate = runCli({"evaluate", dataset, "--classical", "--per-image", table});
    QCOMPARE(evaluate.exitCode, 1);
    QVERIFY2(evaluate.err.contains("1 mask belongs to no slide: masks/slide 7 (renamed).png is not used"),
             qPrintable(evaluate.err));
    QVERIFY2(
        evaluate.out.contains("images 1 ") && evaluate.out.contains("1 image(s) failed and are not in the figures"),
        qPrintable(evaluate.out));
    const QStringList rows = csvLines(table);
    QCOMPARE(rows.size(), 3);
    QVERIFY(rows[0].endsWith(",f1,status,error"));
    QVERIFY2(rows[1].startsWith(QFileInfo(kYellowSlide).fileName() + ",,,,,,,,,error,") && rows[1].contains("800x600"),
             qPrintable(rows[1]));
    QVERIFY2(rows[2].endsWith(",ok,"), qPrintable(rows[2]));
    // The table is a result: never replaced unasked, and refused before the counting rather than after it.
    const Run again = runCli({"evaluate", dataset, "--classical", "--per-image", table});
    QCOMPARE(again.exitCode, 2);
    QVERIFY2(again.err.contains("already exists; use --overwrite"), qPrintable(again.err));
    QCOMPARE(csvLines(table), rows);
    QCOMPARE(runCli({"evaluate", dataset, "--classical", "--per-image", table, "--overwrite"}).exitCode, 1);
    const Run sweep = runCli({"sweep", dataset, "--classical"});
    QCOMPARE(sweep.exitCode, 1);
    QVERIFY2(sweep.out.contains("1 image(s) failed and are not in the curve"), qPrintable(sweep.out));

    const QString otherMask = dataset + "/masks/" + QFileInfo(kYellowSlide2).completeBaseName() + ".png";
    QVERIFY(cv::imwrite(otherMask.toStdString(), cv::Mat::zeros(600, 800, CV_8U)));
    const Run none = runCli({"evaluate", dataset, "--classical"});
    QCOMPARE(none.exitCode, 1);
    QVERIFY2(none.out.contains("no image could be evaluated") && !none.out.contains("F1 1.0000"), qPrintable(none.out));
    const Run noCurve = runCli({"sweep", dataset, "--classical"});
    QCOMPARE(noCurve.exitCode, 1);
    QVERIFY2(noCurve.out.contains("no image could be swept") && !noCurve.out.contains("knee"), qPrintable(noCurve.out));
  }

  // BBBC039's labels include fragments far smaller than any object the counter reports; --min-true-area leaves
  // exactly those annotations out (200 px at 50 px cells is 62.7 px at 28 px).
  void evaluateLeavesOutAnnotationsBelowTheMinimumTrueArea() {
    const QString dataset = sharedDataDir() + "/bbbc039";
    const QStringList common{"evaluate", dataset, "--classical", "--diameter", "28", "--limit", "3"};
    const QRegularExpression counts("TP (\\d+)  FP (\\d+)  FN (\\d+)");
    auto trueCells = [&](const Run& run) {
      const auto match = counts.match(run.out);
      return match.hasMatch() ? match.captured(1).toInt() + match.captured(3).toInt() : -1;
    };
    const Run all = runCli(common);
    const Run large = runCli(common + QStringList{"--min-true-area", "200"});
    QCOMPARE(all.exitCode, 0);
    QCOMPARE(large.exitCode, 0);

    int labelled = 0, small = 0;
    const QStringList names = QDir(dataset + "/labels").entryList(QDir::Files, QDir::Name).mid(0, 3);
    for (const QString& name : names) {
      const cv::Mat labels = loadLabels((dataset + "/labels/" + name).toStdString());
      double largest = 0;
      cv::minMaxLoc(labels, nullptr, &largest);
      std::vector<int> area(int(largest) + 1, 0);
      for (int y = 0; y < labels.rows; ++y)
        for (int x = 0; x < labels.cols; ++x) ++area[labels.at<int>(y, x)];
      for (int label = 1; label <= int(largest); ++label)
        if (area[label] > 0) {
          ++labelled;
          if (area[label] < 200 * (28.0 / 50) * (28.0 / 50)) ++small;
        }
    }
    QVERIFY(small > 0);
    QCOMPARE(trueCells(all), labelled);
    QCOMPARE(trueCells(large), labelled - small);
    QVERIFY(runCli(common + QStringList{"--min-true-area", "-1"}).exitCode != 0);
  }

  void countsWithAModelFileAndReportsTheDevice() {
    const Model model = untrainedModel(Architecture::CResUnet, 3);
    const QString path = temp.filePath("untrained.fcmodel");
    saveModel(path.toStdString(), *model.network, model.info);
    const QString image = sharedDataDir() + "/fnc-red/images/MAR32C2R3_PVHr_200x_r.png";
    const Run run = runCli({"count", image, "--model", path, "--threshold", "0.5", "--diameter", "40"});
    QCOMPARE(run.exitCode, 0);
    // The device the counter chose, in words: the CPU here, a CUDA GPU where there is one.
    QVERIFY2(run.err.contains(QRegularExpression("c-resunet .*on (CPU|CUDA)")), qPrintable(run.err));
    QVERIFY2(run.out.contains("MAR32C2R3_PVHr_200x_r.png"), qPrintable(run.out));
    QVERIFY(run.out.contains("0.500"));
    // bfloat16 where the CPU computes it natively (the device line says so), else a refusal that says why.
    const Run reduced = runCli({"count", image, "--model", path, "--threshold", "0.5", "--diameter", "40", "--device",
                                "cpu", "--precision", "bfloat16"});
    if (cpuHasNativeBfloat16()) {
      QCOMPARE(reduced.exitCode, 0);
      QVERIFY2(reduced.err.contains(QRegularExpression("on CPU .*bfloat16")), qPrintable(reduced.err));
    } else {
      QCOMPARE(reduced.exitCode, 1);
      QVERIFY2(reduced.err.contains("AVX512-BF16"), qPrintable(reduced.err));
    }
  }

  // The FNC slide of ~29 px cells where a fixed 50 px finds none of its 5 cells: --diameter auto (the default)
  // estimates the diameter, records it in the table, and the row's options reproduce the count without the estimate.
  void countWithAutomaticDiameterRecordsTheDiameterItUsed() {
    const QString image = sharedDataDir() + "/fnc-red-extra/images/MAR31S1C1R2_DMHr_200x_r.png";
    const QString out = temp.filePath("auto");
    const Run run = runCli({"count", image, "--diameter", "auto", "--out", out});
    QCOMPARE(run.exitCode, 0);
    QVERIFY2(run.err.contains("estimated per image"), qPrintable(run.err));
    const QStringList lines = csvLines(out + "/counts.csv");
    QCOMPARE(lines.size(), 2);
    const QStringList header = lines[0].split(',');
    const QStringList row = lines[1].split(',');
    const double diameter = row[header.indexOf("cell_diameter_px")].toDouble();
    const int count = row[header.indexOf("count")].toInt();
    qInfo("estimated %.1f px (annotations: 28.8 px), %d cells (annotated: 5)", diameter, count);
    QVERIFY2(diameter > 28.8 * 0.75 && diameter < 28.8 * 1.25, qPrintable(lines[1]));
    QVERIFY(count > 0);
    QCOMPARE(row[header.indexOf("cell_diameter_source")], QString("estimated"));
    QVERIFY2(lines[1].contains(QString("--diameter %1 ").arg(diameter)), qPrintable(lines[1]));
    const Run again =
        runCli({"count", image, "--diameter", QString::number(diameter), "--csv", temp.filePath("again.csv")});
    QCOMPARE(again.exitCode, 0);
    const QStringList againRow = csvLines(temp.filePath("again.csv"))[1].split(',');
    QCOMPARE(againRow[header.indexOf("count")].toInt(), count);
    QCOMPARE(againRow[header.indexOf("cell_diameter_source")], QString("given"));
    QVERIFY2(!again.err.contains("note:"), qPrintable(again.err));
    // Without --diameter the network estimates it too (the default): the same diameter and count as 'auto'.
    const Run countAtDefault = runCli({"count", image, "--csv", temp.filePath("default.csv")});
    QCOMPARE(countAtDefault.exitCode, 0);
    QVERIFY2(countAtDefault.err.contains("estimated per image"), qPrintable(countAtDefault.err));
    const QStringList byDefault = csvLines(temp.filePath("default.csv"))[1].split(',');
    QCOMPARE(byDefault[header.indexOf("cell_diameter_px")].toDouble(), diameter);
    QCOMPARE(byDefault[header.indexOf("count")].toInt(), count);

    // Scored at the annotations' diameter either way: the estimate finds the cells the default misses. (At the
    // estimated diameter rather than 'auto' again: the count above showed that the two count alike.)
    auto f1 = [&](const QString& diameter) {
      const Run evaluate =
          runCli({"evaluate", sharedDataDir() + "/fnc-red-extra", "--diameter", diameter, "--match-distance", "29"});
      const auto match = QRegularExpression("^F1 ([0-9.]+)", QRegularExpression::MultilineOption).match(evaluate.out);
      return match.hasMatch() ? match.captured(1).toDouble() : -1.0;
    };
    const double atFifty = f1("50"), automatic = f1(QString::number(diameter));
    qInfo("F1 at a fixed 50 px %.3f, with --diameter auto %.3f", atFifty, automatic);
    QVERIFY2(automatic > atFifty + 0.3, qPrintable(QString("%1 vs %2").arg(automatic).arg(atFifty)));
    QVERIFY(runCli({"count", image, "--diameter", "automatic"}).exitCode == 2);
  }

  // A biologist's folder of slides, no masks: diameter --estimate gives each slide's estimate and one diameter for
  // the folder (what the app's Measure Cell Diameter gives), with the command that counts every slide at it.
  void aFolderOfSlidesWithoutMasksGetsOneDiameter() {
    const QString folder = temp.filePath("unannotated-slides");
    QDir().mkpath(folder);
    for (const QString slide :
         {"fnc-red-extra/images/MAR31S1C1R2_DMHr_200x_r.png", "fnc-red/images/MAR32C2R3_PVHr_200x_r.png"})
      QVERIFY(QFile::copy(sharedDataDir() + "/" + slide, folder + "/" + QFileInfo(slide).fileName()));
    const Run run = runCli({"diameter", "--estimate", folder});
    QCOMPARE(run.exitCode, 0);
    qInfo("%s", qPrintable(run.out));
    QCOMPARE(
        run.out.count(QRegularExpression("^MAR3\\S+\\.png +- +- +[0-9.]+ +- ", QRegularExpression::MultilineOption)),
        2);
    const auto line = QRegularExpression(
                          "^folder .*: estimate ([0-9]+) px from 2 image\\(s\\); to count every "
                          "slide at it: fluocount-cli count (.+) --diameter ([0-9]+)$",
                          QRegularExpression::MultilineOption)
                          .match(run.out);
    QVERIFY2(line.hasMatch(), qPrintable(run.out));
    const int diameter = line.captured(1).toInt();
    QCOMPARE(line.captured(3).toInt(), diameter);
    QVERIFY2(diameter > 28.8 * 0.75 && diameter < 33.4 * 1.25, qPrintable(run.out));  // the slides' annotations
    const QString out = temp.filePath("unannotated-counts");
    QCOMPARE(runCli({"count", line.captured(2), "--diameter", line.captured(3), "--out", out}).exitCode, 0);
    const QStringList rows = csvLines(out + "/counts.csv");
    QCOMPARE(rows.size(), 3);
    const int column = rows[0].split(',').indexOf("cell_diameter_px");
    for (int i = 1; i <= 2; ++i) QCOMPARE(rows[i].split(QChar(','))[column].toDouble(), double(diameter));
  }

  // Issue 17: in a German or French locale (comma decimals) every table is byte for byte the C locale's, apart
  // from the timing column. The locales are made for the test with localedef, so the machine needs none.
  void commaDecimalLocalesWriteTheSameTables() {
    const QString locales = temp.filePath("locales");
    for (const QString locale : {"de_DE", "fr_FR"}) {
      const QString problem = makeLocale(locales, locale);
      QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }
    // Two small real nuclei fields: every table's decimals (threshold, areas, probabilities, F1) are there, and
    // three locales times two commands stay quick.
    const QString dataset =
        writableSlideFolder(temp.path(), "locale-nuclei", {kSmallNucleiFields[0], kSmallNucleiFields[3]});
    auto tablesIn = [&](const QString& locale) {
      const QString out = temp.filePath("locale-" + locale);
      QProcess process;
      QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
      environment.insert("LOCPATH", locales);
      environment.insert("LC_ALL", locale);
      process.setProcessEnvironment(environment);
      process.start(FLUOCOUNT_CLI, {"count", dataset + "/images", "--diameter", "21", "--out", out, "--objects"});
      process.waitForFinished(600000);
      process.start(FLUOCOUNT_CLI, {"evaluate", dataset, "--diameter", "21", "--per-image", out + "/evaluation.csv"});
      process.waitForFinished(600000);
      QStringList tables;
      for (const QString name : {"counts.csv", "objects.csv", "evaluation.csv"}) {
        QStringList lines = csvLines(out + "/" + name);
        if (name == "counts.csv")  // the seconds column is a timing
          for (QString& line : lines) line.replace(QRegularExpression(",[0-9.]+,(classical|c-resunet)"), ",S,\\1");
        tables << lines.join('\n');
      }
      return tables;
    };
    const QStringList c = tablesIn("C");
    QVERIFY(c[0].contains(",0.8500,"));  // the model's threshold, with a point
    QVERIFY(c[1].count('\n') > 0);
    for (const QString locale : {"de_DE.UTF-8", "fr_FR.UTF-8"}) {
      const QStringList other = tablesIn(locale);
      for (int i = 0; i < c.size(); ++i)
        QVERIFY2(other[i] == c[i], qPrintable(locale + ":\n" + other[i] + "\nvs C:\n" + c[i]));
    }
  }

  // Four 256x256 DSB2018 fields (one validates): what is checked here is the command's stop, resume and refusal,
  // so the slides are small enough that each epoch's validation takes a moment rather than the 20 s of two FNC
  // slides (test_training covers training on FNC slides).
  void trainStopsOnSignalResumesAndItsModelCounts() {
    const QString nuclei = writableSlideFolder(temp.path(), "nuclei", kSmallNucleiFields);
    const QString model = temp.filePath("trained.fcmodel");
    const QStringList train = {
        "train", nuclei + ":21:2", "--out", model,         "--epochs", "2",         "--steps-per-epoch",
        "20",    "--batch-size",   "2",     "--crop-size", "128",      "--threads", "2"};
    // Stop it with SIGTERM as a cluster scheduler would, once the first epoch's checkpoint is written: the second
    // epoch's 20 steps take seconds, so the signal always arrives while it trains and the resume path always runs.
    QProcess process;
    process.start(FLUOCOUNT_CLI, train);
    QVERIFY(process.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(model + ".checkpoint"), 600000);  // written at the end of epoch 1
    process.terminate();
    QVERIFY(process.waitForFinished(120000));
    const QString output = QString::fromLocal8Bit(process.readAllStandardOutput() + process.readAllStandardError());
    QVERIFY2(process.exitCode() == 130, qPrintable(output));
    QVERIFY2(output.contains("--resume"), qPrintable(output));
    QVERIFY(!QFile::exists(model));
    const Run resumed = runCli(train + QStringList{"--resume"});
    QCOMPARE(resumed.exitCode, 0);
    QVERIFY2(resumed.err.contains("resumed from"), qPrintable(resumed.err));
    QVERIFY2(resumed.err.contains("at epoch 2"), qPrintable(resumed.err));
    QVERIFY(QFile::exists(model));
    // A second run never replaces the model silently.
    const std::string before = readBytes(model.toStdString());
    const Run again = runCli(train);
    QCOMPARE(again.exitCode, 1);
    QVERIFY2(again.err.contains("already exists"), qPrintable(again.err));
    QVERIFY(readBytes(model.toStdString()) == before);
    const Run count = runCli({"count", nuclei + "/images", "--model", model, "--diameter", "21"});
    QCOMPARE(count.exitCode, 0);
    QVERIFY2(count.out.contains("total:"), qPrintable(count.out));
    const Run sweep = runCli({"sweep", nuclei, "--model", model, "--diameter", "21"});
    QCOMPARE(sweep.exitCode, 0);
  }

  void badUsageIsExplained() {
    const Run version = runCli({"--version"});
    QCOMPARE(version.exitCode, 0);
    QVERIFY2(version.out.contains("bundled model:") && version.out.contains("c-resunet, threshold"),
             qPrintable(version.out));
    QCOMPARE(runCli({}).exitCode, 2);
    QCOMPARE(runCli({"frobnicate"}).exitCode, 2);
    const Run threshold = runCli({"count", slides, "--classical", "--threshold", "1.5"});
    QCOMPARE(threshold.exitCode, 2);
    QVERIFY(threshold.err.contains("--threshold"));
    const Run pipeline = runCli({"count", slides, "--classical", "--pipeline", "sideways"});
    QCOMPARE(pipeline.exitCode, 2);
    QVERIFY(pipeline.err.contains("--pipeline must be auto, on or off"));
    const Run precision = runCli({"count", slides, "--precision", "half"});
    QCOMPARE(precision.exitCode, 2);
    QVERIFY2(precision.err.contains("float32, bfloat16 or int8"), qPrintable(precision.err));
    const QString out = temp.filePath("never-written.fcmodel");
    const Run select = runCli({"train", slides, "--out", out, "--select", "best"});
    QCOMPARE(select.exitCode, 2);
    QVERIFY2(select.err.contains("--select must be loss, f1 or last"), qPrintable(select.err));
    const Run thresholdFrom = runCli({"train", slides, "--out", out, "--threshold-from", "training"});
    QCOMPARE(thresholdFrom.exitCode, 2);
    QVERIFY2(thresholdFrom.err.contains("--threshold-from must be validation or all"), qPrintable(thresholdFrom.err));
    const Run mineWithoutModel = runCli({"train", slides, "--out", out, "--mine-artifacts"});
    QCOMPARE(mineWithoutModel.exitCode, 2);
    QVERIFY2(mineWithoutModel.err.contains("--mine-artifacts needs a model to fine-tune"),
             qPrintable(mineWithoutModel.err));
    QVERIFY(!QFile::exists(out));
    const Run model = runCli({"count", slides, "--model", temp.filePath("missing.fcmodel")});
    QCOMPARE(model.exitCode, 1);
    QVERIFY(model.err.contains("missing.fcmodel"));
    for (const char* command : {"count", "evaluate", "sweep", "bench", "train", "diameter", "merge", "masks"}) {
      const Run help = runCli({command, "--help"});
      QCOMPARE(help.exitCode, 0);
      // The usage line names the command to type, not the path the program was started by.
      QVERIFY2(help.out.startsWith(QString("Usage: fluocount-cli %1 [options]").arg(command)), qPrintable(help.out));
    }
  }
};

QTEST_GUILESS_MAIN(CliTest)
#include "test_cli.moc"
