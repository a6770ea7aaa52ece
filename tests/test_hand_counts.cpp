// Scoring the count against cells a person marked by hand (core/hand_counts; evaluate and sweep --hand-counts), in
// the files Fiji's multi-point tool, Fiji's Cell Counter and QuPath's Points tool save. The marks are placed where a
// person counting a real slide would click: on each annotated cell of its mask, at the cell's centre. And such marks
// made into a mask to train on (core/cells_of_marks).
#include "core/hand_counts.h"
#include "core/training_data.h"
#include "core/cells_of_marks.h"
#include "core/counter.h"
#include "core/model_file.h"
#include "core/image_io.h"
#include "core/imagej_roi.h"
#include "core/mask_edit.h"
#include "core/metrics.h"
#include "core/slide_folder.h"
#include "core/true_cells.h"
#include "core/zip_archive.h"
#include "core/postprocess.h"
#include "tests/cli_run.h"
#include "tests/test_support.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <opencv2/imgproc.hpp>

using namespace fluocount;
using namespace fluocount::test;

namespace {

// The centres evaluate matches a mask's cells by (their bounding boxes' centres), as a person's marks.
std::vector<cv::Point2d> cellCentresOfMask(const QString& slide) {
  const TrueCells truth = trueCells(maskFile(slide), "");
  return boxCentres(measureLabels(truth.labels));
}

// ImageJ's and QuPath's coordinates put a pixel's centre at +0.5.
std::vector<cv::Point2d> shiftedByHalfAPixel(std::vector<cv::Point2d> points) {
  for (cv::Point2d& p : points) p += cv::Point2d(0.5, 0.5);
  return points;
}

// Fiji's Cell Counter markers file: the marks split over two counter types, integer pixel coordinates.
std::string cellCounterXml(const std::string& imageName, const std::vector<cv::Point2d>& marks) {
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CellCounter_Marker_File>\n <Image_Properties>\n"
      "  <Image_Filename>" +
      imageName +
      "</Image_Filename>\n </Image_Properties>\n <Marker_Data>\n"
      "  <Current_Type>1</Current_Type>\n";
  for (int type = 1; type <= 2; ++type) {
    xml += "  <Marker_Type>\n   <Type>" + std::to_string(type) + "</Type>\n";
    for (std::size_t i = type - 1; i < marks.size(); i += 2)
      xml += "   <Marker>\n    <MarkerX>" + std::to_string(int(std::lround(marks[i].x))) + "</MarkerX>\n    <MarkerY>" +
             std::to_string(int(std::lround(marks[i].y))) + "</MarkerY>\n    <MarkerZ>1</MarkerZ>\n   </Marker>\n";
    xml += "  </Marker_Type>\n";
  }
  return xml + " </Marker_Data>\n</CellCounter_Marker_File>\n";
}

std::string qupathPoints(const std::vector<cv::Point2d>& marks) {
  std::string coordinates;
  for (const cv::Point2d& p : shiftedByHalfAPixel(marks))
    coordinates += (coordinates.empty() ? "[" : ",[") + std::to_string(p.x) + "," + std::to_string(p.y) + "]";
  return R"({"type":"FeatureCollection","features":[
    {"type":"Feature","geometry":{"type":"MultiPoint","coordinates":[)" +
         coordinates + R"(]},
     "properties":{"objectType":"annotation","classification":{"name":"cFos+"}}},
    {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[10,10],[500,10],[500,400],[10,10]]]},
     "properties":{"objectType":"annotation","name":"LHr"}}]})";
}

void expectRefused(const std::string& bytes, const char* what) {
  try {
    parseHandCount(bytes, {1600, 1200}, "count.file");
    QFAIL(qPrintable(QString("accepted, expected: ") + what));
  } catch (const RegionError& e) {
    QVERIFY2(QString(e.what()).contains("count.file") && QString(e.what()).contains(what), e.what());
  }
}

}  // namespace

class HandCountsTest : public QObject {
  Q_OBJECT
  QTemporaryDir temp;

private slots:
  void initTestCase() { FLUOCOUNT_REQUIRE_SHARED_DATA(); }

  // The same marks, saved by each tool, read back as the same cells (to the precision the file keeps).
  void eachToolsFileGivesTheMarks() {
    const std::vector<cv::Point2d> marks = cellCentresOfMask(kRedSlide);
    const cv::Size size = loadImage(dataFile(kRedSlide)).pixels.size();
    QVERIFY(marks.size() > 50);
    const std::string region = encodeRoi("PVHr", {{{10, 10}, {500, 20}, {300, 400}}});
    const std::string fiji =
        zipArchive({{"PVHr.roi", region}, {"count.roi", encodePointRoi("count", shiftedByHalfAPixel(marks))}});
    const HandCount fromFiji = parseHandCount(fiji, size, "RoiSet.zip");
    const HandCount fromCellCounter = parseHandCount(cellCounterXml("MAR32C2R3_PVHr_200x_r.png", marks), size, "x.xml");
    const HandCount fromQuPath = parseHandCount(qupathPoints(marks), size, "points.geojson");
    QCOMPARE(fromFiji.otherObjects, 1);  // the region beside the marks
    QCOMPARE(fromQuPath.otherObjects, 1);
    QCOMPARE(fromCellCounter.imageNamed, std::string("MAR32C2R3_PVHr_200x_r.png"));
    for (const HandCount* count : {&fromFiji, &fromCellCounter, &fromQuPath}) {
      QCOMPARE(count->marks.size(), marks.size());
      // The Cell Counter's two types are read type by type: compare as sets, by the nearest mark. Its integer
      // coordinates keep a mark to half a pixel in x and in y.
      for (const cv::Point2d& mark : count->marks) {
        double nearest = 1e9;
        for (const cv::Point2d& cell : marks) nearest = std::min(nearest, cv::norm(mark - cell));
        QVERIFY2(nearest <= (count == &fromCellCounter ? std::sqrt(0.5) : 1e-3), qPrintable(QString::number(nearest)));
      }
    }
    // As true cells their boxes' centres are the marks (to half a pixel).
    const std::vector<cv::Point2d> centres = boxCentres(marksAsCells(fromFiji.marks));
    for (std::size_t i = 0; i < marks.size(); ++i) QVERIFY(cv::norm(centres[i] - marks[i]) < 1e-4);
  }

  void filesThatAreNoCountByHandAreRefused() {
    const std::string outside = encodePointRoi("count", {{100, 100}, {1700.5, 20}});
    expectRefused(outside, "lies outside the 1600x1200 image (a count of another image?)");
    expectRefused(zipArchive({{"LHr.roi", encodeRoi("LHr", {{{10, 10}, {500, 20}, {300, 400}}})}}),
                  "holds no point ROI (Fiji's multi-point tool makes one) but 1 other ROI(s)");
    expectRefused(R"({"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[1,1],[9,1],[9,9],[1,1]]]}})",
                  "holds no points but 1 other object(s)");
    expectRefused(
        "<CellCounter_Marker_File><Marker_Data><Marker_Type><Marker><MarkerX>1,5</MarkerX><MarkerY>2"
        "</MarkerY></Marker></Marker_Type></Marker_Data></CellCounter_Marker_File>",
        "a marker coordinate '1,5' is not a number");
    expectRefused("x,y\n10,20\n", "not a count by hand");
    // A slide the person found no cell on is a count of 0, not an error.
    QCOMPARE(parseHandCount(cellCounterXml("a.png", {}), {1600, 1200}, "x.xml").marks.size(), std::size_t(0));
    QCOMPARE(parseHandCount(R"({"type":"FeatureCollection","features":[]})", {1600, 1200}, "x").marks.size(),
             std::size_t(0));
  }

  // A slide folder's hand-counts/: a file named after no slide, and two files that name one slide, are not used
  // (the slide is matched against neither), and the folder's note says so rather than pass them over.
  void countsByHandNotUsedAreSaid() {
    const QString folder = writableSlideFolder(temp.path(), "not-used", {kYellowSlide, kYellowSlide2});
    const std::string counts = folder.toStdString() + "/hand-counts/";
    QDir().mkpath(QString::fromStdString(counts));
    const std::string stem1 = QFileInfo(kYellowSlide).completeBaseName().toStdString();
    const std::string stem2 = QFileInfo(kYellowSlide2).completeBaseName().toStdString();
    const std::string marks = encodePointRoi("count", {{100.5, 100.5}});
    writeBytes(counts + stem1 + ".roi", marks);
    writeBytes(counts + "CellCounter_" + stem1 + ".xml", cellCounterXml(stem1 + ".png", {{100, 100}}));
    writeBytes(counts + stem2 + ".roi", marks);
    writeBytes(counts + "slide 9 (renamed).roi", marks);
    writeBytes(counts + "readme.txt", "marks by A.B.");
    const SlideFolder scan = scanSlideFolder(folder.toStdString());
    QVERIFY(scan.slides.at(0).handCount.empty());  // two files name it: neither is used
    QCOMPARE(QFileInfo(QString::fromStdString(scan.slides.at(1).handCount)).fileName(),
             QString::fromStdString(stem2 + ".roi"));
    QCOMPARE(scan.handCountsNotUsed.size(), std::size_t(3));
    const QString said = QString::fromStdString(describeHandCountsNotUsed(scan.handCountsNotUsed));
    QVERIFY2(said.startsWith("3 counts by hand are not used: hand-counts/") && said.contains("slide 9 (renamed).roi") &&
                 said.contains("two files name one slide"),
             qPrintable(said));
  }

  // evaluate and sweep score against marks on the annotated cells exactly as against the masks.
  void evaluateAndSweepAgainstMarksEqualTheMasks() {
    const QString dataset = writableSlideFolder(temp.path(), "fnc-yellow", {kYellowSlide, kYellowSlide2});
    const QString counts = temp.filePath("counted-by-hand");
    QDir().mkpath(counts);
    const std::string stem1 = QFileInfo(kYellowSlide).completeBaseName().toStdString();
    const std::string stem2 = QFileInfo(kYellowSlide2).completeBaseName().toStdString();
    writeBytes(counts.toStdString() + "/" + stem1 + ".roi",
               encodePointRoi("count", shiftedByHalfAPixel(cellCentresOfMask(kYellowSlide))));
    writeBytes(counts.toStdString() + "/CellCounter_" + stem2 + ".xml",
               cellCounterXml(stem2 + ".tif", cellCentresOfMask(kYellowSlide2)));
    const QStringList common{"--classical", "--diameter", "50"};
    const Run masks = runCli(QStringList{"evaluate", dataset} + common);
    const Run marks = runCli(QStringList{"evaluate", dataset + "/images", "--hand-counts", counts} + common);
    QCOMPARE(masks.exitCode, 0);
    QCOMPARE(marks.exitCode, 0);
    const QRegularExpression pooled("images 2 +TP \\d+ +FP \\d+ +FN \\d+");
    QVERIFY2(pooled.match(masks.out).hasMatch(), qPrintable(masks.out));
    // The Cell Counter's integer coordinates move some marks by half a pixel: the same matches all the same.
    QCOMPARE(pooled.match(marks.out).captured(), pooled.match(masks.out).captured());
    const Run sweepMasks = runCli(QStringList{"sweep", dataset} + common);
    const Run sweepMarks = runCli(QStringList{"sweep", dataset + "/images", "--hand-counts", counts} + common);
    QCOMPARE(sweepMarks.exitCode, 0);
    QCOMPARE(sweepMarks.out, sweepMasks.out);

    // A slide without a file is named; a markers file that names another image is that slide's error.
    writeBytes(counts.toStdString() + "/CellCounter_" + stem2 + ".xml", cellCounterXml("other slide.tif", {}));
    const Run wrong = runCli(QStringList{"evaluate", dataset + "/images", "--hand-counts", counts} + common);
    QCOMPARE(wrong.exitCode, 1);
    QVERIFY2(wrong.err.contains("counts the cells of other slide.tif, not of " + QFileInfo(kYellowSlide2).fileName()),
             qPrintable(wrong.err));
    QFile::remove(counts + "/" + QString::fromStdString(stem1) + ".roi");
    const Run none = runCli(QStringList{"evaluate", dataset + "/images", "--hand-counts", counts} + common);
    QVERIFY2(none.err.contains("skipped (no count by hand): ") && none.err.contains(QFileInfo(kYellowSlide).fileName()),
             qPrintable(none.err));
    QVERIFY(runCli(QStringList{"evaluate", dataset, "--hand-counts", counts, "--min-true-area", "200"}).exitCode != 0);
  }

  // A count by hand made into a mask to train on: on a real slide counted by the bundled model, each mark on an
  // annotated cell gets one cell of the mask, where the mark is, apart from the others, and the mask is closer to the
  // one drawn by hand than the count's own objects or discs would make it.
  void aCountByHandBecomesAMaskOfOneCellPerMark() {
    const std::vector<cv::Point2d> marks = cellCentresOfMask(kRedSlide);
    const double diameter = 33;  // measured on this slide's mask (models/README.md)
    CountSettings settings;
    settings.cellDiameterPx = diameter;
    const ImageCount counted =
        CellCounter::withModel(loadModel(FLUOCOUNT_SOURCE_MODELS_DIR "/default.fcmodel"), settings)
            .count(dataFile(kRedSlide));
    const MarkedCells cells = cellsOfMarksOnHeatmap(counted.heatmap, marks, diameter);
    QCOMPARE(cells.withoutPixels, 0);
    QCOMPARE(cells.fromDetections + cells.splitDetections + cells.drawnAsDiscs, int(marks.size()));
    QVERIFY2(cells.drawnAsDiscs < int(marks.size()) / 4, qPrintable(QString::number(cells.drawnAsDiscs)));

    // One 8-connected component per mark, each scored against its mark as a true positive.
    cv::Mat components;
    QCOMPARE(labelComponents(cells.labels > 0, components), int(marks.size()));
    const ImageEvaluation scored =
        evaluateImage("slide", measureLabels(cells.labels), marksAsCells(marks), MatchingSettings{diameter});
    QCOMPARE(scored.counts.truePositives, int(marks.size()));
    // Each mark's cell is where the mark is: within one diameter of it, and at or near the mark.
    std::vector<double> nearest(marks.size(), 1e9);
    for (int y = 0; y < cells.labels.rows; ++y)
      for (int x = 0; x < cells.labels.cols; ++x)
        if (const int label = cells.labels.at<int>(y, x)) {
          const double distance = cv::norm(cv::Point2d(x, y) - marks[std::size_t(label - 1)]);
          QVERIFY2(distance <= diameter, qPrintable(QString("cell %1 reaches %2 px").arg(label).arg(distance)));
          nearest[std::size_t(label - 1)] = std::min(nearest[std::size_t(label - 1)], distance);
        }
    QVERIFY(*std::max_element(nearest.begin(), nearest.end()) <= diameter / 2);
    // Cells the model detected far from every mark (the annotator did not count them) stay out of the mask.
    int leftOut = 0;
    for (const DetectedObject& object : counted.detection.objects) {
      double toMark = 1e9;
      for (const cv::Point2d& mark : marks) toMark = std::min(toMark, cv::norm(object.boxCentre() - mark));
      if (toMark < 2 * diameter) continue;
      ++leftOut;
      QCOMPARE(cv::countNonZero((cells.labels > 0) & (counted.detection.labels == object.label)), 0);
    }
    QVERIFY(leftOut > 0);
    // Against the mask drawn by hand: closer than the count's objects at its threshold, or discs (0.70 against 0.55
    // and 0.60 when written).
    const cv::Mat drawn = loadMask(maskFile(kRedSlide)) > 0;
    const auto overlap = [&](const MarkedCells& proposed) {
      const cv::Mat mask = proposed.labels > 0;
      return cv::countNonZero(drawn & mask) / double(cv::countNonZero(drawn | mask));
    };
    const double outlined = overlap(cells);
    const double detected = overlap(cellsOfMarks(counted.detection, marks, counted.size, diameter));
    const double discs = overlap(cellsOfMarks(Detection{}, marks, counted.size, diameter));
    qInfo(
        "%zu marks: %d from the heatmap's outlines, %d split, %d discs; pixel IoU with the drawn mask %.3f "
        "(the count's objects %.3f, discs %.3f)",
        marks.size(), cells.fromDetections, cells.splitDetections, cells.drawnAsDiscs, outlined, detected, discs);
    QVERIFY2(outlined > 0.65 && outlined > detected + 0.05 && outlined > discs + 0.05,
             qPrintable(QString::number(outlined)));
  }

  // fluocount-cli masks: the batch form of the app's Propose Cells from the Count by Hand. Two real slides counted by
  // hand (a Fiji multi-point ROI and a Cell Counter file) become a dataset with one mask cell per mark, which evaluate
  // reads; masks that exist are never replaced without --overwrite.
  void masksCommandMakesADatasetFromCountsByHand() {
    const QString dataset = writableSlideFolder(temp.path(), "masks-from-marks", {kYellowSlide, kYellowSlide2});
    const QString counts = temp.filePath("masks-from-marks-counts");
    QDir().mkpath(counts);
    const std::string stem1 = QFileInfo(kYellowSlide).completeBaseName().toStdString();
    const std::string stem2 = QFileInfo(kYellowSlide2).completeBaseName().toStdString();
    const std::vector<cv::Point2d> marks1 = cellCentresOfMask(kYellowSlide), marks2 = cellCentresOfMask(kYellowSlide2);
    writeBytes(counts.toStdString() + "/" + stem1 + ".roi", encodePointRoi("count", shiftedByHalfAPixel(marks1)));
    writeBytes(counts.toStdString() + "/CellCounter_" + stem2 + ".xml", cellCounterXml(stem2 + ".png", marks2));
    QVERIFY(QDir(dataset + "/masks").removeRecursively() && QDir(dataset + "/labels").removeRecursively());

    const QStringList common{"masks", dataset + "/images", "--hand-counts", counts, "--out", dataset + "/masks"};
    const Run made = runCli(common);
    QVERIFY2(made.exitCode == 0, qPrintable(made.err));
    for (const auto& [stem, marks] : {std::pair{stem1, marks1}, std::pair{stem2, marks2}}) {
      const QString mask = dataset + "/masks/" + QString::fromStdString(stem) + ".png";
      cv::Mat cells;
      QCOMPARE(labelComponents(loadMask(mask.toStdString()) > 0, cells), int(marks.size()));
      QVERIFY2(made.out.contains(QRegularExpression(QString::fromStdString(stem).left(20) + ".* " +
                                                    QString::number(marks.size()) + " .*" + mask)),
               qPrintable(made.out));
    }
    // The masks say in their files that they are the network's outlines of the marks, not reviewed yet; what scores
    // against them or trains on them says so.
    for (const std::string& stem : {stem1, stem2})
      QCOMPARE(maskOriginOfFile(dataset.toStdString() + "/masks/" + stem + ".png"), MaskOrigin::OutlinedFromMarks);
    QVERIFY2(made.err.contains("outlines to review"), qPrintable(made.err));
    const Run evaluated = runCli({"evaluate", dataset, "--classical", "--diameter", "50"});
    QCOMPARE(evaluated.exitCode, 0);
    QVERIFY2(evaluated.err.contains("2 masks were outlined by FluoCount from counts by hand and nobody has reviewed "
                                    "them since: masks/") &&
                 evaluated.err.contains("scored against as they are"),
             qPrintable(evaluated.err));
    const DatasetScan scan = scanDatasets({{dataset.toStdString()}});
    QCOMPARE(scan.examples.size(), std::size_t(2));
    QVERIFY(std::any_of(scan.notes.begin(), scan.notes.end(), [](const std::string& note) {
      return note.find("2 masks were outlined") != std::string::npos && note.find("trained on") != std::string::npos;
    }));
    const QRegularExpressionMatch pooled =
        QRegularExpression("images 2 +TP (\\d+) +FP \\d+ +FN (\\d+)").match(evaluated.out);
    QVERIFY2(pooled.hasMatch(), qPrintable(evaluated.out));
    QCOMPARE(pooled.captured(1).toInt() + pooled.captured(2).toInt(), int(marks1.size() + marks2.size()));

    // A mask that exists is kept (one drawn by hand is never written over); a slide that lost its mask gets it again.
    const QString mask1 = dataset + "/masks/" + QString::fromStdString(stem1) + ".png";
    const QString mask2 = dataset + "/masks/" + QString::fromStdString(stem2) + ".png";
    const std::string made1 = readBytes(mask1.toStdString()), made2 = readBytes(mask2.toStdString());
    const Run again = runCli(common);
    QCOMPARE(again.exitCode, 2);
    QVERIFY2(again.err.contains("has its mask in") && again.err.contains("kept: " + mask1), qPrintable(again.err));
    saveMask(mask1.toStdString(), cv::Mat::zeros(loadMask(mask1.toStdString()).size(), CV_8U));  // "drawn by hand"
    const std::string drawn1 = readBytes(mask1.toStdString());
    QCOMPARE(maskOriginOfFile(mask1.toStdString()), MaskOrigin::Drawn);
    QVERIFY(QFile::remove(mask2));
    const Run rest = runCli(common);
    QVERIFY2(rest.exitCode == 0 && rest.err.contains("kept: " + mask1), qPrintable(rest.err));
    QCOMPARE(readBytes(mask1.toStdString()), drawn1);
    QCOMPARE(readBytes(mask2.toStdString()), made2);
    QVERIFY(runCli(common + QStringList{"--overwrite"}).exitCode == 0);
    QCOMPARE(readBytes(mask1.toStdString()), made1);
    const Run classical = runCli(common + QStringList{"--overwrite", "--classical"});
    QCOMPARE(classical.exitCode, 2);
    QVERIFY2(classical.err.contains("no heatmap"), qPrintable(classical.err));
  }

  // The ways a mark gets its cell, among the real cells of a slide counted by the classical method: two marks in one
  // detected object split it, a mark beside an object no mark holds takes it, a mark far from every object gets a
  // disc, and a second mark on the same pixel gets nothing.
  void marksSplitMergedCellsAndGetDiscsWhereNothingWasDetected() {
    CountSettings settings;
    settings.cellDiameterPx = 33;
    const Detection detected = CellCounter::classical(settings).count(dataFile(kRedSlide)).detection;
    const cv::Size size = detected.labels.size();
    const auto distance = [](const DetectedObject& a, const DetectedObject& b) {
      return cv::norm(a.boxCentre() - b.boxCentre());
    };
    // Two neighbouring cells made one object, as a count that did not split them would give.
    const DetectedObject& first = detected.objects.at(0);
    const DetectedObject* second = nullptr;
    for (const DetectedObject& object : detected.objects)
      if (&object != &first && (!second || distance(object, first) < distance(*second, first))) second = &object;
    cv::Mat joined = detected.labels.clone();
    joined.setTo(first.label, detected.labels == second->label);
    cv::line(joined, cv::Point(first.boxCentre()), cv::Point(second->boxCentre()), first.label, 3);
    // A small cell well away from both, to be marked just below its box.
    const DetectedObject* third = nullptr;
    for (const DetectedObject& object : detected.objects)
      if (object.boundingBox.height <= 26 && distance(object, first) > 100 && distance(object, *second) > 100 &&
          joined.at<int>(cv::Point(object.boxCentre())) == object.label) {
        third = &object;
        break;
      }
    QVERIFY(third);
    const cv::Point2d beside = third->boxCentre() + cv::Point2d(0, third->boundingBox.height / 2.0 + 1);
    const cv::Point2d far(5, 5);
    QCOMPARE(joined.at<int>(cv::Point(beside)), 0);
    QCOMPARE(joined.at<int>(cv::Point(far)), 0);
    const Detection merged = measureLabels(joined);
    const cv::Mat mergedPixels = merged.labels == merged.labels.at<int>(cv::Point(first.boxCentre()));
    const cv::Mat thirdPixels = merged.labels == merged.labels.at<int>(cv::Point(third->boxCentre()));

    const std::vector<cv::Point2d> marks{first.boxCentre(), second->boxCentre(), beside, far, far};
    const MarkedCells cells = cellsOfMarks(merged, marks, size, 33);
    QCOMPARE(cells.splitDetections, 2);
    QCOMPARE(cells.fromDetections, 1);
    QCOMPARE(cells.drawnAsDiscs, 2);
    QCOMPARE(cells.withoutPixels, 1);  // one of the two marks at `far`
    const cv::Mat firstCell = cells.labels == 1, secondCell = cells.labels == 2, besideCell = cells.labels == 3;
    QVERIFY(cv::countNonZero(firstCell) > 0 && cv::countNonZero(secondCell) > 0);
    QCOMPARE(cv::countNonZero((firstCell | secondCell) & ~mergedPixels), 0);
    QVERIFY(cv::countNonZero(firstCell | secondCell) > cv::countNonZero(mergedPixels) * 8 / 10);
    QCOMPARE(cv::countNonZero(besideCell & ~thirdPixels), 0);
    QVERIFY(cv::countNonZero(besideCell) > cv::countNonZero(thirdPixels) * 9 / 10);
    cv::Mat components;
    QCOMPARE(labelComponents(cells.labels > 0, components), 4);
    // The disc in the corner: every pixel within 16.5 px of (5, 5) that the image holds.
    int inDisc = 0;
    for (int y = 0; y < 40; ++y)
      for (int x = 0; x < 40; ++x) inDisc += (x - 5) * (x - 5) + (y - 5) * (y - 5) <= 16.5 * 16.5 ? 1 : 0;
    QCOMPARE(cv::countNonZero(cells.labels == 4) + cv::countNonZero(cells.labels == 5), inDisc);
  }

  // evaluate --predictions scores another tool's detections as it scores FluoCount's own: FluoCount's label masks of
  // its count give its own figures, and so do the same objects as Fiji points; a binary mask (the annotation itself)
  // finds every cell; a slide with no file or two files is an error row; there is no diameter to estimate.
  void predictionsOfAnotherToolAreScoredAsFluoCountsOwn() {
    const QString dataset = writableSlideFolder(temp.path(), "fnc-yellow-predicted", {kYellowSlide, kYellowSlide2});
    const QString counted = temp.filePath("counted"), predictions = counted + "/labels";
    const QStringList common{"--classical", "--diameter", "50"};
    QCOMPARE(runCli(QStringList{"count", dataset + "/images", "--out", counted, "--labels"} + common).exitCode, 0);
    const Run own = runCli(QStringList{"evaluate", dataset} + common);
    const Run scored = runCli(QStringList{"evaluate", dataset, "--predictions", predictions, "--diameter", "50"});
    QCOMPARE(scored.exitCode, 0);
    QVERIFY2(scored.err.contains("against the predictions in " + predictions), qPrintable(scored.err));
    const QRegularExpression pooled("images 2 +TP (\\d+) +FP \\d+ +FN \\d+\nF1 [0-9.]+ .*\nMAE .*\n");
    QVERIFY2(pooled.match(own.out).hasMatch(), qPrintable(own.out));
    QCOMPARE(pooled.match(scored.out).captured(), pooled.match(own.out).captured());

    const std::string stem1 = QFileInfo(kYellowSlide).completeBaseName().toStdString();
    const std::string stem2 = QFileInfo(kYellowSlide2).completeBaseName().toStdString();
    const QString masks = temp.filePath("mask-predictions");
    QDir().mkpath(masks);
    for (const std::string& stem : {stem1, stem2})
      QVERIFY(QFile::copy(dataset + "/masks/" + QString::fromStdString(stem) + ".png",
                          masks + "/" + QString::fromStdString(stem) + ".png"));
    const Run perfect = runCli({"evaluate", dataset, "--predictions", masks, "--match-distance", "10"});
    QVERIFY2(perfect.out.contains(QRegularExpression("FP 0 +FN 0\nF1 1.0000 ")), qPrintable(perfect.out));

    // The first slide's objects as Fiji points instead (ImageJ's coordinates: +0.5): the same matches.
    const std::string labels1 = predictions.toStdString() + "/" + stem1 + ".png";
    cv::Mat labels;
    loadImage(labels1).pixels.convertTo(labels, CV_32S);
    writeBytes(predictions.toStdString() + "/" + stem1 + ".roi",
               encodePointRoi("fiji", shiftedByHalfAPixel(boxCentres(measureLabels(labels)))));
    QVERIFY(QFile::rename(QString::fromStdString(labels1), temp.filePath("labels1.png")));
    const Run points = runCli(QStringList{"evaluate", dataset, "--predictions", predictions, "--diameter", "50"});
    QCOMPARE(pooled.match(points.out).captured(), pooled.match(own.out).captured());
    QVERIFY(QFile::copy(temp.filePath("labels1.png"), predictions + "/" + QString::fromStdString(stem1) + ".tif"));
    const Run twoFiles = runCli(QStringList{"evaluate", dataset, "--predictions", predictions, "--diameter", "50"});
    QCOMPARE(twoFiles.exitCode, 1);
    QVERIFY2(twoFiles.err.contains("2 prediction files (" + QString::fromStdString(stem1) + ".roi, " +
                                   QString::fromStdString(stem1) + ".tif): keep one"),
             qPrintable(twoFiles.err));
    QFile::remove(predictions + "/" + QString::fromStdString(stem2) + ".png");
    const Run missing = runCli(QStringList{"evaluate", dataset, "--predictions", predictions, "--diameter", "50"});
    QCOMPARE(missing.exitCode, 1);
    QVERIFY2(missing.err.contains(QFileInfo(kYellowSlide2).fileName() + ": no predictions for it in "),
             qPrintable(missing.err));
    const Run noDiameter = runCli({"evaluate", dataset, "--predictions", predictions});
    QVERIFY(noDiameter.exitCode != 0);
    QVERIFY2(noDiameter.err.contains("give the cell diameter in px"), qPrintable(noDiameter.err));
  }
};

QTEST_GUILESS_MAIN(HandCountsTest)
#include "test_hand_counts.moc"
