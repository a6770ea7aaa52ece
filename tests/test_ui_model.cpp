// The app's model tier without widgets (QGuiApplication only, linked against fluocount_ui_model alone), on real FNC
// slides and their masks: every mask tool's gesture is one undo step that restores the mask exactly; a slide's
// history survives moving to another slide and back, and is dropped when its mask file changed meanwhile; the
// history is bounded by bytes, dropping the oldest edits first, and carries region edits along without
// re-applying them; heatmaps beyond their memory budget come back exact from the files they were written to; the
// slider's worker stops a job that a newer request supersedes; the same folder scan feeds the app, the CLI and
// training.
#include "test_support.h"
#include "core/counter.h"
#include "core/heatmap_file.h"
#include "core/image_io.h"
#include "core/imagej_roi.h"
#include "core/locations.h"
#include "core/mask_edit.h"
#include "core/model_file.h"
#include "core/postprocess.h"
#include "core/slide_folder.h"
#include "core/true_cells.h"
#include "ui/model/cell_diameter.h"
#include "ui/model/held_out_score.h"
#include "ui/model/latest_only.h"
#include "ui/model/mask_document.h"
#include "ui/model/mask_tool_controller.h"
#include "ui/model/region_document.h"
#include "ui/model/slide_analysis.h"
#include "ui/model/slide_heatmap.h"
#include "ui/model/slide_history.h"
#include "ui/model/training_plan.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QGuiApplication>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QThread>
#include <QUndoStack>

#include <opencv2/imgproc.hpp>

#include <filesystem>

using namespace fluocount;
using namespace fluocount::ui;

namespace {

bool same(const cv::Mat& a, const cv::Mat& b) { return a.size() == b.size() && cv::countNonZero(a != b) == 0; }

struct AnnotatedSlide {
  QString image, mask;
  cv::Size size;
};

// The centre of the largest object of a mask, and a background point far from every object.
cv::Point centreOfLargestObject(const cv::Mat& mask) {
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(mask > 0, labels, stats, centroids, 8, CV_32S);
  int best = 1;
  for (int i = 2; i < n; ++i)
    if (stats.at<int>(i, cv::CC_STAT_AREA) > stats.at<int>(best, cv::CC_STAT_AREA)) best = i;
  cv::Point centre(int(centroids.at<double>(best, 0)), int(centroids.at<double>(best, 1)));
  if (labels.at<int>(centre) != best) {  // a ring-shaped object: any of its pixels
    cv::Mat where;
    cv::findNonZero(labels == best, where);
    centre = where.at<cv::Point>(0);
  }
  return centre;
}

cv::Point emptyPoint(const cv::Mat& mask) {
  cv::Mat free = mask == 0, distance;
  cv::rectangle(free, cv::Rect(0, 0, mask.cols, mask.rows), cv::Scalar(0), 1);  // far from the edges too
  cv::distanceTransform(free, distance, cv::DIST_L2, 3);
  cv::Point far;
  cv::minMaxLoc(distance, nullptr, nullptr, nullptr, &far);
  return far;
}

QPointF at(cv::Point p) { return QPointF(p.x + 0.5, p.y + 0.5); }

}  // namespace

class TestUiModel : public QObject {
  Q_OBJECT
  QTemporaryDir scratch_;
  QString folder_;
  std::vector<AnnotatedSlide> slides_;

  void loadSlide(MaskDocument& document, int index) {
    QString error;
    QVERIFY2(document.load(slides_[index].image, slides_[index].size, slides_[index].mask, &error), qPrintable(error));
  }

private slots:
  void initTestCase() {
    FLUOCOUNT_REQUIRE_SHARED_DATA();
    folder_ = test::writableSlideFolder(scratch_.path(), "fnc-red", {test::kRedSlide, test::kRedSlide2});
    for (const SlideFiles& files : scanSlideFolder(folder_.toStdString()).slides) {
      QVERIFY2(!files.mask.empty(), files.image.c_str());
      slides_.push_back({QString::fromStdString(files.image), QString::fromStdString(files.mask),
                         loadImage(files.image).pixels.size()});
    }
    QCOMPARE(int(slides_.size()), 2);
  }

  // The note after a count at the model's default diameter: only when the user never set one; louder when most
  // slides came out empty (cells far from the assumed size).
  void defaultDiameterNoteSaysWhatTheCountAssumed() {
    QVERIFY(!defaultDiameterNote(/*diameterSetByUser=*/true, 50, {0, 0, 0}));
    QVERIFY(!defaultDiameterNote(false, 50, {}));
    const std::optional<QString> empty = defaultDiameterNote(false, 50, {0, 3, 0});
    QVERIFY(empty);
    QVERIFY2(empty->contains("No cells found on 2 of 3 slides") && empty->contains("50 px"), qPrintable(*empty));
    const std::optional<QString> counted = defaultDiameterNote(false, 50, {0, 3, 7, 0});
    QVERIFY(counted);
    QVERIFY2(counted->startsWith("Counted at the model's default cell diameter (50 px)"), qPrintable(*counted));
    // Estimated per slide (set by the user, in effect), where some slides had too few cells to measure.
    QVERIFY(!defaultDiameterNote(true, 50, {0, 3, 7}, /*slidesNotEstimated=*/0));
    const std::optional<QString> notEstimated = defaultDiameterNote(true, 50, {0, 3, 7}, 1);
    QVERIFY(notEstimated);
    QVERIFY2(notEstimated->startsWith("Too few cells on 1 of 3 slides to measure their cell diameter: counted at the "
                                      "default 50 px"),
             qPrintable(*notEstimated));
  }

  // Each tool's gesture through the controller, as the canvas sends it: one undo step that changes the mask, and
  // undoing it gives back the mask exactly.
  void everyToolIsOneUndoableStep() {
    SlideHistory history;
    MaskDocument document(&history);
    loadSlide(document, 0);
    MaskToolController tools(&document);
    const cv::Mat original = document.mask().clone();
    const cv::Point object = centreOfLargestObject(original), empty = emptyPoint(original);
    cv::Mat detections;
    cv::connectedComponents(original > 0, detections, 8, CV_32S);

    struct Gesture {
      MaskTool tool;
      std::vector<QPointF> points;  // press, moves, release
      Qt::MouseButton button = Qt::LeftButton;
    };
    const QPointF e = at(empty), o = at(object);
    const std::vector<Gesture> gestures = {
        {MaskTool::Brush, {e, e + QPointF(12, 0), e + QPointF(24, 6)}},
        {MaskTool::Eraser, {o, o + QPointF(3, 0)}},
        {MaskTool::Fill, {o}},
        {MaskTool::Lasso, {e, e + QPointF(20, 0), e + QPointF(20, 20), e + QPointF(0, 20)}},
        {MaskTool::LassoSubtract, {o - QPointF(6, 6), o + QPointF(6, -6), o + QPointF(6, 6), o + QPointF(-6, 6)}},
        {MaskTool::DeleteObject, {o}},
        {MaskTool::DeleteInRectangle, {QPointF(0, 0), QPointF(original.cols, original.rows)}},
        {MaskTool::Cut, {o - QPointF(40, 0), o + QPointF(40, 0)}},
    };
    for (const Gesture& gesture : gestures) {
      tools.setTool(gesture.tool);
      const int steps = document.undoStack()->index();
      QVERIFY(tools.press(gesture.points.front(), gesture.button, {}));
      for (std::size_t i = 1; i + 1 < gesture.points.size(); ++i) tools.move(gesture.points[i]);
      tools.release(gesture.points.back());
      QVERIFY2(document.undoStack()->index() == steps + 1, qPrintable(toolName(gesture.tool)));
      QVERIFY2(!same(document.mask(), original), qPrintable(toolName(gesture.tool)));
      document.undoStack()->undo();
      QVERIFY2(same(document.mask(), original), qPrintable(toolName(gesture.tool)));
    }

    // A brush stroke then an eraser stroke are two steps, not one merged stroke.
    const int before = document.undoStack()->index();
    tools.setTool(MaskTool::Brush);
    tools.press(e, Qt::LeftButton, {});
    tools.release(e);
    tools.setTool(MaskTool::Eraser);
    tools.press(e, Qt::LeftButton, {});
    tools.release(e);
    QCOMPARE(document.undoStack()->index(), before + 2);
    document.undoStack()->undo();
    document.undoStack()->undo();
    QVERIFY(same(document.mask(), original));

    // Accepting detections on an emptied mask: a click takes one object, all of them restore the mask.
    tools.setTool(MaskTool::DeleteInRectangle);
    tools.press(QPointF(0, 0), Qt::LeftButton, {});
    tools.release(QPointF(original.cols, original.rows));
    QCOMPARE(cv::countNonZero(document.mask()), 0);
    tools.setDetections(detections);
    tools.setTool(MaskTool::AcceptDetection);
    tools.press(o, Qt::LeftButton, {});
    tools.release(o);
    QCOMPARE(cv::countNonZero(document.mask()), cv::countNonZero(detections == detections.at<int>(object)));
    tools.acceptAllDetections();
    QVERIFY(same(document.mask(), original));

    // Proposals: a right click rejects one without an edit, a left click accepts one.
    document.undoStack()->setIndex(document.undoStack()->index() - 2);  // back to the emptied mask
    QCOMPARE(cv::countNonZero(document.mask()), 0);
    tools.setProposals(detections);
    tools.setTool(MaskTool::Propose);
    const int pending = int(tools.pendingProposals().size()), steps = document.undoStack()->count();
    QVERIFY(pending > 2);
    tools.press(o, Qt::RightButton, {});
    QCOMPARE(int(tools.pendingProposals().size()), pending - 1);
    QCOMPARE(document.undoStack()->count(), steps);
    tools.acceptAllProposals();
    QVERIFY(tools.pendingProposals().empty());
    QCOMPARE(cv::countNonZero(document.mask()),
             cv::countNonZero(original) - cv::countNonZero(detections == detections.at<int>(object)));
  }

  // Undo is kept per slide for the session: edits on slide 1, a visit to slide 2 with its own edit, and back on
  // slide 1 its edits still undo, each state saved to the mask file.
  void historyIsKeptPerSlide() {
    SlideHistory history;
    MaskDocument document(&history);
    MaskToolController tools(&document);
    tools.setTool(MaskTool::Brush);
    loadSlide(document, 0);
    const cv::Mat first = document.mask().clone();
    const QPointF e = at(emptyPoint(first));
    tools.press(e, Qt::LeftButton, {});
    tools.release(e);
    tools.press(e + QPointF(30, 0), Qt::LeftButton, {});
    tools.release(e + QPointF(30, 0));
    QCOMPARE(document.undoStack()->count(), 2);

    loadSlide(document, 1);
    QCOMPARE(document.undoStack()->count(), 0);
    const QPointF e2 = at(emptyPoint(document.mask()));
    tools.press(e2, Qt::LeftButton, {});
    tools.release(e2);
    QCOMPARE(document.undoStack()->count(), 1);

    loadSlide(document, 0);
    QCOMPARE(document.undoStack()->count(), 2);
    document.undoStack()->undo();
    document.undoStack()->undo();
    QVERIFY(same(document.mask(), first));
    QCoreApplication::processEvents();  // an undo saves once the event loop is back
    QVERIFY(same(loadMask(slides_[0].mask.toStdString()), first));

    // All slides together are bounded as well: over the total, the slide visited longest ago loses its history.
    loadSlide(document, 1);
    QCOMPARE(int(history.slidesWithHistory().size()), 2);
    history.setTotalBudgetBytes(history.activeBytes() + 1);
    tools.press(e2 + QPointF(0, 30), Qt::LeftButton, {});
    tools.release(e2 + QPointF(0, 30));
    QVERIFY(history.slidesWithHistory() == std::vector<QString>{slides_[1].mask});
    QVERIFY(history.totalBytes() <= history.activeBytes());
    loadSlide(document, 0);
    QCOMPARE(document.undoStack()->count(), 0);
    history.setTotalBudgetBytes(SlideHistory::kDefaultTotalBudgetBytes);

    // Slide 2's mask file is changed outside the app while slide 1 is on screen: its history no longer fits it.
    saveMask(slides_[1].mask.toStdString(), cv::Mat::zeros(slides_[1].size, CV_8U));
    loadSlide(document, 1);
    QCOMPARE(document.undoStack()->count(), 0);
  }

  // A tight budget: each stroke holds a few KB; the history keeps the newest strokes that fit, and undoing all it
  // holds gives the mask as it was after the dropped ones. A region edit among them moves along and is not applied
  // again (its file is not rewritten by the move).
  void historyIsBoundedByBytes() {
    SlideHistory history;
    MaskDocument document(&history);
    RegionDocument regions(&history);
    MaskToolController tools(&document);
    loadSlide(document, 0);
    const QString regionsFile = scratch_.filePath("regions.geojson");
    QString error;
    QVERIFY(regions.load(regionsFile, slides_[0].size, &error));
    tools.setTool(MaskTool::Brush);
    tools.setBrushRadius(10);
    history.setBudgetBytes(40'000);

    // The mask after each push (a region edit leaves it as it was).
    std::vector<cv::Mat> states{document.mask().clone()};
    const cv::Point start = emptyPoint(document.mask());
    for (int i = 0; i < 30; ++i) {
      const QPointF p(20 + (i * 37) % (slides_[0].size.width - 40), 20 + (i * 53) % (slides_[0].size.height - 40));
      tools.press(p, Qt::LeftButton, {});
      tools.release(p);
      if (!same(document.mask(), states.back())) states.push_back(document.mask().clone());
      if (i == 25) {
        Region region;
        region.name = "square";
        region.polygons = {{{{double(start.x), double(start.y)},
                             {start.x + 10.0, double(start.y)},
                             {start.x + 10.0, start.y + 10.0}}}};
        regions.add(region);
        QCOMPARE(int(regions.regions().size()), 1);
        QVERIFY(QFile::remove(regionsFile));  // written by the edit; moving the edit must not write it again
        states.push_back(states.back());
      }
      QVERIFY(history.activeBytes() <= history.budgetBytes());
    }
    const int pushed = int(states.size()) - 1, held = document.undoStack()->count();
    QVERIFY2(pushed > 20 && held > 3 && held < pushed, qPrintable(QString("%1 of %2").arg(held).arg(pushed)));
    QVERIFY(!QFileInfo::exists(regionsFile));
    QCOMPARE(int(regions.regions().size()), 1);

    // Undo everything held: the region goes, and the mask is the state after the dropped strokes.
    while (document.undoStack()->canUndo()) document.undoStack()->undo();
    QVERIFY(regions.regions().empty());
    QVERIFY(same(document.mask(), states[pushed - held]));
    while (document.undoStack()->canRedo()) document.undoStack()->redo();
    QVERIFY(same(document.mask(), states.back()));
    QCOMPARE(int(regions.regions().size()), 1);
  }

  // What the Training panel says of a new version on the annotated slides its run did not use: a before/after only
  // where both models scored the same slides against the same annotated cells.
  void heldOutComparisonNeedsTheSameSlidesAndCells() {
    const auto scored = [](QString model, QStringList slides, QStringList uncounted, MatchCounts counts,
                           std::optional<double> threshold) {
      return HeldOutScore{model, slides, uncounted, counts, threshold};
    };
    HeldOutScore before = scored("the bundled model", {"a.png", "b.png"}, {}, {40, 10, 10}, 0.85);
    HeldOutScore after = scored("v1", {"a.png"}, {"b.png"}, {20, 2, 5}, 0.875);
    QVERIFY(describeHeldOutChange(before, after).contains("appears when v1 has counted them (1 to go)"));
    after = scored("v1", {"a.png", "b.png"}, {}, {45, 5, 5}, 0.875);  // 50 annotated cells, as before
    const QString better = describeHeldOutChange(before, after);
    QVERIFY2(better.startsWith("On the 2 annotated slides not used in this run: F1 0.800 with the bundled model "
                               "(threshold 0.850), 0.900 with v1 (threshold 0.875), +0.100."),
             qPrintable(better));
    QVERIFY(!better.contains("Model Versions"));
    after.counts = {35, 15, 15};
    QVERIFY(describeHeldOutChange(before, after).contains("-0.100"));
    QVERIFY(describeHeldOutChange(before, after).contains("Model Versions makes the bundled model active again"));
    after.counts = {45, 5, 6};  // 51 annotated cells: a mask was edited in between
    QVERIFY(describeHeldOutChange(before, after).contains("changed"));
    const HeldOutScore none = scored("v1", {}, {}, {}, std::nullopt);
    QVERIFY(describeHeldOutChange(scored("the bundled model", {}, {}, {}, std::nullopt), none)
                .startsWith("Every slide with a mask was used in this run, and no slide is counted by hand"));
    QVERIFY(describeHeldOutChange(scored("the bundled model", {}, {"b.png"}, {}, std::nullopt), none)
                .contains("had no result with the bundled model"));
  }

  // A slide counted by hand (Fiji's multi-point tool; no mask) is one the run could not learn from: the held-out
  // score includes it, matched against its marks, beside the slides with masks the run did not use.
  void slidesCountedByHandAreScoredAsHeldOut() {
    const QString folder =
        test::writableSlideFolder(scratch_.path(), "held-out-by-hand", {test::kRedSlide, test::kRedSlide2});
    const QString byHand = QFileInfo(test::kRedSlide2).fileName();
    std::vector<cv::Point2d> marks = boxCentres(measureLabels(trueCells(test::maskFile(test::kRedSlide2), "").labels));
    for (cv::Point2d& mark : marks) mark += cv::Point2d(0.5, 0.5);  // ImageJ's pixel centres
    QVERIFY(QDir(folder).mkpath("hand-counts"));
    test::writeBytes((folder + "/hand-counts/" + QFileInfo(byHand).completeBaseName() + ".roi").toStdString(),
                     encodePointRoi("count", marks));
    QVERIFY(QFile::remove(folder + "/masks/" + QFileInfo(byHand).completeBaseName() + ".png"));
    Project project;
    QString error;
    QVERIFY2(project.open(folder, &error), qPrintable(error));
    CountSettings settings;
    settings.cellDiameterPx = 50;
    const CellCounter counter = CellCounter::classical(settings);
    for (int i = 0; i < project.slideCount(); ++i) {
      CountedSlide counted;
      counted.generation = project.generation();
      counted.index = i;
      counted.analysis = analyseSlide(counter, project.slide(i), std::nullopt).analysis;
      QVERIFY(counted.analysis->sweep.hasTruth);
      QVERIFY(project.acceptCounted(counted));
    }
    const int other = project.slide(0).name == byHand ? 1 : 0;
    const HeldOutScore bothUnseen = scoreHeldOutSlides(project, {}, "the classical method");
    QCOMPARE(bothUnseen.slides.size(), 2);
    const HeldOutScore score = scoreHeldOutSlides(project, {project.slide(other).name}, "the classical method");
    QCOMPARE(score.slides, QStringList{byHand});
    const MatchCounts& counts = score.counts;
    QCOMPARE(counts.truePositives + counts.falseNegatives, int(marks.size()));
    QVERIFY(counts.truePositives > 0);
  }

  // Before a slide is counted, its threshold is the one its count will use: the model's, read from the model file
  // without loading the network; the classical method's is each image's own, so 0.5 stands in for it.
  void aSlideNotCountedYetHasTheModelsThreshold() {
    Project project;
    QString error;
    QVERIFY2(project.open(folder_, &error), qPrintable(error));
    QVERIFY(!project.slide(0).analysis);
    QVERIFY(defaultModelPath());
    const double modelThreshold = readModelInfo(*defaultModelPath()).threshold;
    QVERIFY(modelThreshold != 0.5);
    QCOMPARE(project.thresholdFor(0), modelThreshold);
    QCOMPARE(project.counter()->defaultThreshold().value_or(-1), modelThreshold);  // the counter agrees
    ProjectSettings classical = project.settings();
    classical.classical = true;
    project.setSettings(classical);
    QCOMPARE(project.thresholdFor(0), 0.5);
    QVERIFY(!project.counter()->defaultThreshold());
  }

  // A retraining run keeps the arithmetic it was set up with, in its job file (a resumed run continues as it began)
  // and in what the trainer is given; a job file written before the option trains in float32.
  void retrainingPlanKeepsItsArithmeticAndDiameters() {
    Project project;
    QString error;
    QVERIFY2(project.open(folder_, &error), qPrintable(error));
    TrainingJob job;
    job.plan = suggestedPlan(project, describeComputeDevice(true));
    QVERIFY(!job.plan.bfloat16);  // Settings' faster arithmetic is off in a new folder
    QVERIFY(job.plan.eachSlideOwnDiameter);
    QVERIFY(trainingSettingsFor(job.plan, project, false).explicitExamplesAtOwnDiameter);
    // A retrained version replaces the user's model only when it counts the validating slide clearly better.
    QCOMPARE(trainingSettingsFor(job.plan, project, false).minimumF1GainOverStart, kRetrainMinimumF1GainOverStart);
    QVERIFY(kRetrainMinimumF1GainOverStart > 0);
    QVERIFY(trainingSettingsFor(job.plan, project, false).requireFewerErrorsBeyondChance);
    job.plan.bfloat16 = true;
    QVERIFY2(saveJob(project, job, &error), qPrintable(error));
    const auto removeJob = qScopeGuard([&] { QFile::remove(jobPath(project)); });
    std::optional<TrainingJob> restored = loadJob(project);
    QVERIFY(restored && restored->plan.bfloat16);
    QCOMPARE(trainingSettingsFor(restored->plan, project, true).stepPrecision, NetworkPrecision::BFloat16);
    QVERIFY(restored->plan.eachSlideOwnDiameter);

    QFile file(jobPath(project));
    QVERIFY(file.open(QIODevice::ReadOnly));
    QJsonObject saved = QJsonDocument::fromJson(file.readAll()).object();
    file.close();
    QJsonObject plan = saved["plan"].toObject();
    QCOMPARE(plan["step_precision"].toString(), QString("bfloat16"));
    plan.remove("step_precision");
    QCOMPARE(plan["each_slide_own_diameter"].toBool(), true);
    plan.remove("each_slide_own_diameter");  // a job saved before the option resumes as it began
    saved["plan"] = plan;
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(QJsonDocument(saved).toJson());
    file.close();
    restored = loadJob(project);
    QVERIFY(restored && !restored->plan.bfloat16);
    QCOMPARE(trainingSettingsFor(restored->plan, project, true).stepPrecision, NetworkPrecision::Float32);
    QVERIFY(!trainingSettingsFor(restored->plan, project, true).explicitExamplesAtOwnDiameter);
  }

  // The one folder rule: images/ when present, masks/<stem>.png, labels/<stem>.png where they exist.
  // An open folder's heatmaps beyond the memory budget leave memory and come back exact, least recently used first;
  // one out of memory keeps its values when its cache file is replaced or removed (another window, another count);
  // one whose file was replaced before it could leave, or that was never written to a file, stays in memory.
  void heatmapsBeyondTheBudgetComeBackExactFromTheirFiles() {
    const auto budget = SlideHeatmap::memoryBudget();
    const auto restoreBudget = qScopeGuard([budget] { SlideHeatmap::setMemoryBudget(budget); });
    const CellCounter counter = CellCounter::classical({});
    std::vector<cv::Mat> values;  // the classical method's maps of the four FNC slides (real values, two sizes)
    for (const QString& slide : {test::kRedSlide, test::kRedSlide2, test::kYellowSlide, test::kYellowSlide2})
      values.push_back(counter.count(test::dataFile(slide)).heatmap);
    const std::size_t oneMap = values[0].total() * sizeof(float);
    SlideHeatmap::setMemoryBudget(values[1].total() * sizeof(float) + 2 * oneMap);  // the last three
    std::vector<std::unique_ptr<SlideHeatmap>> heatmaps;
    std::vector<std::string> files;
    for (std::size_t i = 0; i < values.size(); ++i) {
      files.push_back(QString("%1/%2.fchm").arg(scratch_.path()).arg(i).toStdString());
      heatmaps.push_back(std::make_unique<SlideHeatmap>(values[i].clone()));
      heatmaps[i]->cachedIn(files[i], saveHeatmap(files[i], values[i]));
    }
    QVERIFY(!heatmaps[0]->inMemory());
    QVERIFY(heatmaps[1]->inMemory() && heatmaps[2]->inMemory() && heatmaps[3]->inMemory());
    QVERIFY(SlideHeatmap::cachedBytesInMemory() <= SlideHeatmap::memoryBudget());
    // Its file replaced by another heatmap of that size, then removed: it still comes back as it was.
    saveHeatmap(files[0], values[2]);
    QVERIFY(QFile::remove(QString::fromStdString(files[0])));
    QVERIFY(same(heatmaps[0]->pixels(), values[0]));
    QVERIFY(heatmaps[0]->inMemory() && !heatmaps[1]->inMemory());  // the least recently used left for it
    heatmaps[2]->pixels();                                         // used: the next to leave is 3
    // A file replaced while its heatmap was in memory is no longer its file: that heatmap stays in memory.
    saveHeatmap(files[3], values[2]);
    SlideHeatmap::setMemoryBudget(0);
    QVERIFY(heatmaps[3]->inMemory() && !heatmaps[2]->inMemory() && !heatmaps[0]->inMemory());
    for (std::size_t i = 0; i < values.size(); ++i) QVERIFY2(same(heatmaps[i]->pixels(), values[i]), files[i].c_str());
    // Never written to a file (a read-only share): in memory whatever the budget.
    SlideHeatmap unwritten(values[2].clone());
    SlideHeatmap::setMemoryBudget(0);
    QVERIFY(unwritten.inMemory());
    QVERIFY(same(unwritten.pixels(), values[2]));
  }

  // The worker behind the threshold slider: a request that arrives while a long job runs supersedes it, the job
  // sees that between its items and stops without delivering (a folder's counts of a threshold no longer asked
  // for), and the newest request runs next and delivers; a job that throws delivers nothing and blocks nothing.
  void aNewerRequestStopsTheLongJobItSupersedes() {
    LatestOnly worker;
    std::atomic<bool> started{false}, sawSuperseded{false};
    QStringList delivered;
    worker.submit([&]() -> std::function<void()> {
      started = true;
      for (int i = 0; i < 60000 && !worker.superseded(); ++i) QThread::msleep(1);  // a long recount, item by item
      sawSuperseded = worker.superseded();
      if (sawSuperseded) return nullptr;
      return [&] { delivered << "first"; };
    });
    QTRY_VERIFY(started.load());
    worker.submit([]() -> std::function<void()> { throw std::runtime_error("a disk failing"); });
    worker.submit([&]() -> std::function<void()> { return [&] { delivered << "newest"; }; });
    QSignalSpy idle(&worker, &LatestOnly::idle);
    QVERIFY(idle.wait(30000));
    QVERIFY(sawSuperseded.load());
    QCOMPARE(delivered, QStringList{"newest"});
    QVERIFY(!worker.superseded());

    worker.submit([]() -> std::function<void()> { throw std::runtime_error("a disk failing"); });
    QVERIFY(idle.wait(30000));
    worker.submit([&]() -> std::function<void()> { return [&] { delivered << "after the failure"; }; });
    QVERIFY(idle.wait(30000));
    QCOMPARE(delivered, (QStringList{"newest", "after the failure"}));
  }

  // A folder named in Latin-1 on an old share reaches Qt with U+FFFD in its name: the error says why it cannot
  // be opened and what to do, not merely that it is no folder.
  void aFolderNamedInAnotherEncodingSaysSo() {
    const std::string latin1 = scratch_.path().toStdString() + "/Versuch_\xe4";
    std::filesystem::create_directories(latin1 + "/images");
    // QTemporaryDir cannot remove a name Qt cannot spell.
    const auto removeIt = qScopeGuard([&] { std::filesystem::remove_all(latin1); });
    std::filesystem::copy_file(test::dataFile(test::kRedSlide), latin1 + "/images/slide.png");
    Project project;
    QString error;
    QVERIFY(!project.open(QFile::decodeName(latin1.c_str()), &error));
    QVERIFY2(error.contains("in another encoding than UTF-8") && error.contains("Rename it"), qPrintable(error));
    QVERIFY(!project.open(scratch_.path() + "/no such folder", &error));
    QVERIFY2(error.endsWith("no such folder is not a folder"), qPrintable(error));
  }

  void folderScanFollowsTheFncLayout() {
    const SlideFolder dataset = scanAnnotatedDataset(test::dataFile("bbbc039"));
    QVERIFY(dataset.slides.size() > 10);
    for (const SlideFiles& slide : dataset.slides) {
      QVERIFY(QFileInfo(QString::fromStdString(slide.image)).path().endsWith("bbbc039/images"));
      if (!slide.mask.empty()) QVERIFY(QFileInfo::exists(QString::fromStdString(slide.mask)));
    }
    QVERIFY(std::any_of(dataset.slides.begin(), dataset.slides.end(),
                        [](const SlideFiles& s) { return !s.labels.empty(); }));
    QVERIFY_THROWS_EXCEPTION(ImageError, scanAnnotatedDataset(test::dataFile("bbbc039/images")));
    // An image opened on its own ("Open with FluoCount") opens the folder above images/, where its mask is found.
    const std::string image = dataset.slides.front().image;
    QVERIFY(QFileInfo(QString::fromStdString(slideFolderOfImage(image))) ==
            QFileInfo(QString::fromStdString(test::dataFile("bbbc039"))));
    QCOMPARE(maskFileFor(slideFolderOfImage(image), image), dataset.slides.front().mask);
  }
};

int main(int argc, char** argv) {
  QGuiApplication app(argc, argv);
  TestUiModel test;
  return QTest::qExec(&test, argc, argv);
}

#include "test_ui_model.moc"
