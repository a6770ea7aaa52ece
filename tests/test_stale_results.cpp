// Results of background work never land on the wrong slide (issue 17): counting runs on a worker thread while the
// user opens another folder, changes the settings or moves the threshold. Each result carries the generation of
// the folder and settings it was computed for, and the project drops one whose generation has passed. Driven
// through the real main window, offscreen, on copies of real FNC slides.
#include "test_support.h"
#include "core/heatmap_file.h"
#include "core/inference.h"
#include "ui/main_window.h"
#include "ui/model/exporter.h"
#include "ui/model/slide_analysis.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>

#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <functional>

using namespace fluocount;
using namespace fluocount::ui;

namespace {

const QStringList kRedSlides = {test::kRedSlide, test::kRedSlide2};
const QStringList kYellowSlides = {test::kYellowSlide, test::kYellowSlide2};

// Starts counting and returns once the first slide is counted, that is, while the worker counts the second.
void countUntilTheSecondSlideIsInProgress(MainWindow& window) {
  window.countAll();
  QVERIFY(window.isCounting());
  QTRY_VERIFY_WITH_TIMEOUT(window.project()->slide(0).status == SlideStatus::Counted, 600000);
  QVERIFY(window.isCounting());
}

void waitForCountingToEnd(MainWindow& window) {
  if (!window.isCounting()) return;
  QSignalSpy finished(&window, &MainWindow::countingFinished);
  QVERIFY(finished.wait(600000));
}

// Every slide of the project is counted, and each count and heatmap is that slide's own: the heatmap has the
// slide's size and the count equals a fresh analysis of the slide with the project's counter.
void verifyEverySlideHoldsItsOwnResult(Project& project) {
  const auto counter = project.counter();
  for (int i = 0; i < project.slideCount(); ++i) {
    const Slide& slide = project.slide(i);
    QCOMPARE(slide.status, SlideStatus::Counted);
    const SlideAnalysisResult fresh = analyseSlide(*counter, slide, project.userThreshold());
    QCOMPARE(slide.analysis->size, fresh.analysis->size);
    QCOMPARE(slide.count, fresh.count);
  }
}

// Counts every slide of an open project as the count worker would (without caching the heatmaps, which the save
// then writes) and saves the project.
void countEverySlideAndSave(Project& project) {
  for (int i = 0; i < project.slideCount(); ++i) {
    const SlideAnalysisResult result = analyseSlide(*project.counter(), project.slide(i), {});
    QVERIFY(project.acceptCounted({project.generation(), i, result.analysis, result.count, {}, {}, false}));
  }
  QString error;
  QVERIFY2(project.save(&error), qPrintable(error));
}

}  // namespace

class TestStaleResults : public QObject {
  Q_OBJECT
  QTemporaryDir scratch_;

  // Counts a slide in `precision`, saves, and opens the folder where that precision is turned off (the environment
  // variable `turnOff` set): the slide is counted again in float32, the user told why, the review mark kept; where
  // the precision runs, the same state restores the result.
  void resultsAreNotTakenWhereTheirPrecisionDoesNotRun(NetworkPrecision precision, const char* turnOff) {
    const std::string name = precisionName(precision);
    const QString red = test::writableSlideFolder(scratch_.path(), QString::fromStdString("red-" + name), kRedSlides);
    Project project;
    QString error;
    QVERIFY2(project.open(red, &error), qPrintable(error));
    ProjectSettings settings = project.settings();
    settings.precision = precision;
    project.setSettings(settings);
    const SlideAnalysisResult result = analyseSlide(*project.counter(), project.slide(0), {});
    QVERIFY(project.acceptCounted({project.generation(), 0, result.analysis, result.count, {}, {}, false}));
    project.setReviewed(0, true);
    QVERIFY2(project.save(&error), qPrintable(error));

    qputenv(turnOff, "1");
    Project elsewhere;
    QString warning;
    const bool opened = elsewhere.open(red, &error, &warning);
    qunsetenv(turnOff);
    QVERIFY2(opened, qPrintable(error));
    QVERIFY2(warning.contains(QString::fromStdString(name)) && warning.contains("counted again"), qPrintable(warning));
    QCOMPARE(elsewhere.settings().precision, NetworkPrecision::Float32);
    QCOMPARE(elsewhere.slide(0).status, SlideStatus::NotRun);
    QCOMPARE(elsewhere.slide(0).count, -1);
    QVERIFY(elsewhere.slide(0).reviewed);

    if (precisionAvailable(precision, DevicePreference::Automatic)) {
      Project here;
      QVERIFY2(here.open(red, &error), qPrintable(error));
      QCOMPARE(here.settings().precision, precision);
      QCOMPARE(here.slide(0).status, SlideStatus::Counted);
      QCOMPARE(here.slide(0).count, result.count);
    }
  }

private slots:
  void initTestCase() { FLUOCOUNT_REQUIRE_SHARED_DATA(); }

  void openingAnotherFolderWhileCountingKeepsEachFolderItsOwnResults() {
    const QString red = test::writableSlideFolder(scratch_.path(), "red", kRedSlides);
    const QString yellow = test::writableSlideFolder(scratch_.path(), "yellow", kYellowSlides);
    MainWindow window;
    QVERIFY(window.openFolder(red));
    countUntilTheSecondSlideIsInProgress(window);
    const int redFirstCount = window.project()->slide(0).count;

    QVERIFY(window.openFolder(yellow));
    waitForCountingToEnd(window);
    // The red slide that was in progress finished after the switch (the worker cached its heatmap in the red
    // folder), and nothing of it reached the yellow folder's slides.
    QVERIFY(QFileInfo::exists(red + "/.fluocount/heatmaps/RT353S2C1R5_r1.png.fchm"));
    for (int i = 0; i < window.project()->slideCount(); ++i) {
      QCOMPARE(window.project()->slide(i).status, SlideStatus::NotRun);
      QCOMPARE(window.project()->slide(i).count, -1);
    }

    window.countAll();
    waitForCountingToEnd(window);
    verifyEverySlideHoldsItsOwnResult(*window.project());

    // The red folder's state on disk is what was counted there: its first slide, with its own heatmap.
    Project reopened;
    QString error, warning;
    QVERIFY2(reopened.open(red, &error, &warning), qPrintable(error));
    QVERIFY2(warning.isEmpty(), qPrintable(warning));
    QCOMPARE(reopened.slide(0).status, SlideStatus::Counted);
    QCOMPARE(reopened.slide(0).count, redFirstCount);
    QCOMPARE(reopened.slide(0).analysis->size, analyseSlide(*reopened.counter(), reopened.slide(0), {}).analysis->size);
    QCOMPARE(reopened.slide(1).status, SlideStatus::NotRun);
  }

  void changingTheDiameterWhileCountingDropsTheOldSettingsResults() {
    const QString red = test::writableSlideFolder(scratch_.path(), "red-diameter", kRedSlides);
    MainWindow window;
    QVERIFY(window.openFolder(red));
    countUntilTheSecondSlideIsInProgress(window);

    ProjectSettings settings = window.project()->settings();
    settings.automaticDiameter = false;
    settings.cellDiameterPx = 40;
    window.project()->setSettings(settings);  // no cancel: the rest of the old run comes back stale
    waitForCountingToEnd(window);
    for (int i = 0; i < window.project()->slideCount(); ++i)
      QCOMPARE(window.project()->slide(i).status, SlideStatus::NotRun);

    window.countAll();
    waitForCountingToEnd(window);
    verifyEverySlideHoldsItsOwnResult(*window.project());
    for (int i = 0; i < window.project()->slideCount(); ++i)
      QCOMPARE(window.project()->slide(i).analysis->cellDiameterPx, 40.0);

    // What is saved and restored is the new settings' heatmap, although the old run also wrote a cache file.
    window.close();
    Project reopened;
    QString error;
    QVERIFY2(reopened.open(red, &error), qPrintable(error));
    for (int i = 0; i < reopened.slideCount(); ++i) {
      QCOMPARE(reopened.slide(i).status, SlideStatus::Counted);
      const cv::Mat restored = reopened.slide(i).analysis->heatmap->pixels();
      const cv::Mat counted = window.project()->slide(i).analysis->heatmap->pixels();
      QCOMPARE(cv::norm(restored, counted, cv::NORM_INF), 0.0);
    }
  }

  void movingTheThresholdWhileCountingRecountsTheSlidesStillInProgress() {
    const QString red = test::writableSlideFolder(scratch_.path(), "red-threshold", kRedSlides);
    MainWindow window;
    QVERIFY(window.openFolder(red));
    countUntilTheSecondSlideIsInProgress(window);
    window.chooseThreshold(0.97);
    waitForCountingToEnd(window);
    Project& project = *window.project();
    for (int i = 0; i < project.slideCount(); ++i)
      QTRY_COMPARE_WITH_TIMEOUT(project.slide(i).count, countAt(*project.slide(i).analysis, 0.97), 60000);
  }

  void aResultOfAnOlderGenerationChangesNothing() {
    const QString red = test::writableSlideFolder(scratch_.path(), "red-model", kRedSlides.mid(0, 1));
    Project project;
    QString error;
    QVERIFY2(project.open(red, &error), qPrintable(error));
    const Generation old = project.generation();
    ProjectSettings settings = project.settings();
    settings.splitTouchingCells = !settings.splitTouchingCells.value_or(true);
    project.setSettings(settings);
    QVERIFY(!project.isCurrent(old));
    auto analysis = std::make_shared<SlideAnalysis>();
    QVERIFY(!project.acceptCounted({old, 0, analysis, 7, std::nullopt, {}, true}));
    QVERIFY(!project.setFailed(old, 0, "late"));
    QVERIFY(!project.setCounts(old, {7}));
    QCOMPARE(project.slide(0).status, SlideStatus::NotRun);
    QCOMPARE(project.slide(0).count, -1);
    QVERIFY(project.acceptCounted({project.generation(), 0, analysis, 7, std::nullopt, {}, true}));
    QCOMPARE(project.slide(0).count, 7);
    // A threshold change keeps the generation: heatmaps stay valid, only counts follow.
    const Generation current = project.generation();
    project.setThreshold(0.9);
    QVERIFY(project.isCurrent(current));
  }

  // A project state commits only what it has checked: a cached heatmap that is not of the size recorded for the
  // slide (another slide's, or an old run's) is not taken for the slide's own; that slide alone is counted again.
  void aCachedHeatmapOfTheWrongSizeIsNotRestored() {
    const QString red = test::writableSlideFolder(scratch_.path(), "red-cache", kRedSlides);
    Project project;
    QString error;
    QVERIFY2(project.open(red, &error), qPrintable(error));
    countEverySlideAndSave(project);
    const cv::Mat first = project.slide(0).analysis->heatmap->pixels();
    saveHeatmap(project.heatmapPath(1).toStdString(), first(cv::Rect(0, 0, first.cols / 2, first.rows / 2)).clone());

    Project reopened;
    QString warning;
    QVERIFY2(reopened.open(red, &error, &warning), qPrintable(error));
    QVERIFY2(warning.isEmpty(), qPrintable(warning));
    QCOMPARE(reopened.slide(0).status, SlideStatus::Counted);
    QCOMPARE(cv::norm(reopened.slide(0).analysis->heatmap->pixels(), first, cv::NORM_INF), 0.0);
    QCOMPARE(reopened.slide(0).count, project.slide(0).count);
    QCOMPARE(reopened.slide(1).status, SlideStatus::NotRun);
    QCOMPARE(reopened.slide(1).count, -1);
  }

  // Results saved by a FluoCount that read the image otherwise (before kImageReaderVersion 2, a z-stack was its first
  // slice, not its maximum projection) are not this reading's: the slide whose stamp lacks the reader is counted
  // again; the other keeps its results.
  void aSlideCountedByAnEarlierReaderIsCountedAgain() {
    const QString red = test::writableSlideFolder(scratch_.path(), "red-reader", kRedSlides);
    Project project;
    QString error, warning;
    QVERIFY2(project.open(red, &error), qPrintable(error));
    countEverySlideAndSave(project);
    const std::string statePath = (red + "/.fluocount/project.json").toStdString();
    QJsonObject root = QJsonDocument::fromJson(QByteArray::fromStdString(test::readBytes(statePath))).object();
    QJsonObject slides = root["slides"].toObject();
    const QString earlier = project.slide(1).name;
    QJsonObject slide = slides[earlier].toObject();
    const QString stamp = slide["stamp"].toString();
    QVERIFY2(stamp.endsWith(", read " + QString::number(kImageReaderVersion)), qPrintable(stamp));
    slide["stamp"] = fileStamp(project.slide(1).imagePath);  // as saved before the reader was part of the stamp
    slides[earlier] = slide;
    root["slides"] = slides;
    test::writeBytes(statePath, QJsonDocument(root).toJson().toStdString());

    Project reopened;
    QVERIFY2(reopened.open(red, &error, &warning), qPrintable(error));
    QCOMPARE(reopened.slide(0).status, SlideStatus::Counted);
    QCOMPARE(reopened.slide(1).status, SlideStatus::NotRun);
    QVERIFY2(warning.contains("counted by an earlier FluoCount"), qPrintable(warning));
  }

  // A counted folder opens without reading its heatmaps: each cache file is only opened and checked to be the one
  // the state was saved with (its CRC-32, which project.json records), and its values are read when the slide needs
  // them. A file replaced by another heatmap of the same size (another window's, an older run's) is not taken for the
  // slide's. One damaged since it was written is found when it is read: the app marks that slide failed, says why,
  // and Count Folder counts it again. A state saved before the CRC-32 was recorded reads its heatmaps whole.
  void savedHeatmapsAreReadWhenNeededAndOnlyIfTheyAreTheFilesSaved() {
    const QString red = test::writableSlideFolder(scratch_.path(), "red-lazy", kRedSlides);
    QString error, warning;
    cv::Mat first, second;
    int firstCount = -1;
    std::string firstFile, secondFile;
    {
      Project project;
      QVERIFY2(project.open(red, &error), qPrintable(error));
      countEverySlideAndSave(project);
      first = project.slide(0).analysis->heatmap->pixels();
      second = project.slide(1).analysis->heatmap->pixels();
      firstCount = project.slide(0).count;
      firstFile = project.heatmapPath(0).toStdString();
      secondFile = project.heatmapPath(1).toStdString();
    }
    const std::string statePath = (red + "/.fluocount/project.json").toStdString();
    const std::string savedState = test::readBytes(statePath);
    QCOMPARE(int(QByteArray::fromStdString(savedState).count("\"heatmap_crc32\"")), 2);
    saveHeatmap(secondFile, cv::Mat(second * 0.5));

    auto reopen = [&](Project& reopened) {
      QVERIFY2(reopened.open(red, &error, &warning), qPrintable(error));
      QVERIFY2(warning.isEmpty(), qPrintable(warning));
    };
    {
      Project reopened;
      reopen(reopened);
      QCOMPARE(reopened.slide(0).status, SlideStatus::Counted);
      QVERIFY(!reopened.slide(0).analysis->heatmap->inMemory());
      QCOMPARE(cv::norm(reopened.slide(0).analysis->heatmap->pixels(), first, cv::NORM_INF), 0.0);
      QVERIFY(reopened.slide(0).analysis->heatmap->inMemory());
      QCOMPARE(reopened.slide(1).status, SlideStatus::NotRun);  // the file is not the one saved
    }

    // Damaged in the middle since it was written: same size, same CRC-32 at its end.
    std::string bytes = test::readBytes(firstFile);
    bytes[bytes.size() / 2] = char(bytes[bytes.size() / 2] ^ 0x40);
    test::writeBytes(firstFile, bytes);
    {
      Project reopened;
      reopen(reopened);
      QCOMPARE(reopened.slide(0).status, SlideStatus::Counted);
      QVERIFY_THROWS_EXCEPTION(HeatmapFileError, reopened.slide(0).analysis->heatmap->pixels());
      // Exported as an error row, not with a figure; the summary names it for the app to count again.
      const QString out = scratch_.filePath("damaged-heatmap-export");
      const std::atomic<bool> cancel{false};
      const ExportSummary summary =
          exportResults({{reopened.slide(0), reopened.thresholdFor(0), {}}}, *reopened.counter(), {out}, {}, cancel);
      QCOMPARE(summary.unreadableHeatmaps.size(), std::size_t(1));
      const QString table = QString::fromStdString(test::readBytes((out + "/counts.csv").toStdString()));
      QVERIFY2(table.contains(",error,") && table.contains("cannot be read back"), qPrintable(table));
    }
    {
      MainWindow window;
      QVERIFY(window.openFolder(red));
      QTRY_COMPARE_WITH_TIMEOUT(window.project()->slide(0).status, SlideStatus::Failed, 60000);
      QVERIFY2(window.project()->slide(0).error.contains("cannot be read back"),
               qPrintable(window.project()->slide(0).error));
      window.countAll();
      waitForCountingToEnd(window);
      QCOMPARE(window.project()->slide(0).status, SlideStatus::Counted);
      QCOMPARE(window.project()->slide(0).count, firstCount);
    }

    // As a state saved before the CRC-32 was recorded: the heatmap is read whole when the folder opens.
    test::writeBytes(firstFile, serialiseHeatmap(first));
    QJsonObject root = QJsonDocument::fromJson(QByteArray::fromStdString(savedState)).object();
    QJsonObject slides = root["slides"].toObject();
    for (const QString& name : slides.keys()) {
      QJsonObject slide = slides[name].toObject();
      slide.remove("heatmap_crc32");
      slides[name] = slide;
    }
    root["slides"] = slides;
    test::writeBytes(statePath, QJsonDocument(root).toJson().toStdString());
    {
      Project reopened;
      reopen(reopened);
      QCOMPARE(reopened.slide(0).status, SlideStatus::Counted);
      QVERIFY(reopened.slide(0).analysis->heatmap->inMemory());
      QCOMPARE(cv::norm(reopened.slide(0).analysis->heatmap->pixels(), first, cv::NORM_INF), 0.0);
    }
    // A CRC-32 that is not one: that slide's results are not used.
    QByteArray state = QByteArray::fromStdString(savedState);
    state.replace(state.indexOf("\"heatmap_crc32\": \"") + 18, 8, "zz");
    test::writeBytes(statePath, state.toStdString());
    {
      Project reopened;
      reopen(reopened);
      QCOMPARE(reopened.slide(0).status, SlideStatus::NotRun);
    }
  }

  // Results counted in bfloat16 are that precision's: opened where the network runs in float32 (here forced with
  // FLUOCOUNT_NO_BFLOAT16), none is taken for a float32 result. The slides are counted again, the settings say
  // float32, the user is told why, and their review marks stay.
  void resultsCountedInBfloat16AreNotTakenWhereTheNetworkRunsInFloat32() {
    resultsAreNotTakenWhereTheirPrecisionDoesNotRun(NetworkPrecision::BFloat16, "FLUOCOUNT_NO_BFLOAT16");
  }

  // The same for int8 (the faster arithmetic on CPUs without native bfloat16), forced off with FLUOCOUNT_NO_INT8.
  void resultsCountedInInt8AreNotTakenWhereInt8DoesNotRun() {
    resultsAreNotTakenWhereTheirPrecisionDoesNotRun(NetworkPrecision::Int8, "FLUOCOUNT_NO_INT8");
  }

  // Issue 16: a new folder measures each slide's cell diameter, and a reopened slide comes back at the diameter it
  // was counted at (an estimating counter has no one diameter to assume); a result whose diameter was not recorded
  // is counted again rather than given one. A state saved before the automatic diameter existed (no
  // automatic_cell_diameter, no per-slide diameter) keeps its old meaning, the model's fixed 50 px, under which its
  // counts were made, so they stay.
  void eachSlideComesBackAtTheDiameterItWasCountedAt() {
    const QString red = test::writableSlideFolder(scratch_.path(), "red-auto", kRedSlides.mid(0, 1));
    const std::string statePath = (red + "/.fluocount/project.json").toStdString();
    auto editState = [&](const std::function<void(QJsonObject & settings, QJsonObject & slide)>& edit) {
      QJsonObject root = QJsonDocument::fromJson(QByteArray::fromStdString(test::readBytes(statePath))).object();
      QJsonObject settings = root["settings"].toObject(), slides = root["slides"].toObject();
      QJsonObject slide = slides[slides.keys().first()].toObject();
      edit(settings, slide);
      slides[slides.keys().first()] = slide;
      root["settings"] = settings;
      root["slides"] = slides;
      test::writeBytes(statePath, QJsonDocument(root).toJson().toStdString());
    };
    QString error;
    Project project;
    QVERIFY2(project.open(red, &error), qPrintable(error));
    QVERIFY(project.settings().automaticDiameter);
    const SlideAnalysisResult measured = analyseSlide(*project.counter(), project.slide(0), {});
    const double diameter = measured.analysis->cellDiameterPx;
    QVERIFY2(std::abs(diameter - 33) < 33 * 0.25, qPrintable(QString::number(diameter)));  // annotated: 33 px
    QVERIFY(project.acceptCounted({project.generation(), 0, measured.analysis, measured.count, {}, {}, false}));
    QVERIFY2(project.save(&error), qPrintable(error));
    {
      Project reopened;
      QVERIFY2(reopened.open(red, &error), qPrintable(error));
      QVERIFY(reopened.settings().automaticDiameter);
      QCOMPARE(reopened.slide(0).status, SlideStatus::Counted);
      QCOMPARE(reopened.slide(0).analysis->cellDiameterPx, diameter);
      QCOMPARE(reopened.slide(0).analysis->diameterSource, std::optional(DiameterSource::Estimated));
      QCOMPARE(countAt(*reopened.slide(0).analysis, reopened.thresholdFor(0)), measured.count);
    }
    // Where the diameter came from, not recorded (before 2026-12-07) or not a word FluoCount writes: the result is
    // kept, its source unknown (an estimate may have found too few cells), not guessed.
    for (const QJsonValue& source : {QJsonValue(), QJsonValue("measured by eye")}) {
      editState([&](QJsonObject&, QJsonObject& slide) {
        if (source.isNull())
          slide.remove("cell_diameter_source");
        else
          slide["cell_diameter_source"] = source;
      });
      Project unrecordedSource;
      QVERIFY2(unrecordedSource.open(red, &error), qPrintable(error));
      QCOMPARE(unrecordedSource.slide(0).status, SlideStatus::Counted);
      QCOMPARE(unrecordedSource.slide(0).analysis->cellDiameterPx, diameter);
      QVERIFY(!unrecordedSource.slide(0).analysis->diameterSource);
    }
    editState([](QJsonObject&, QJsonObject& slide) { slide.remove("cell_diameter_px"); });
    {
      Project unrecorded;
      QVERIFY2(unrecorded.open(red, &error), qPrintable(error));
      QCOMPARE(unrecorded.slide(0).status, SlideStatus::NotRun);
    }

    // The fixed default, its settings and slide entry as an older FluoCount saved them (the model recorded).
    ProjectSettings fixed = project.settings();
    fixed.automaticDiameter = false;
    project.setSettings(fixed);
    const SlideAnalysisResult atDefault = analyseSlide(*project.counter(), project.slide(0), {});
    QCOMPARE(atDefault.analysis->cellDiameterPx, 50.0);
    QVERIFY(project.acceptCounted({project.generation(), 0, atDefault.analysis, atDefault.count, {}, {}, false}));
    QVERIFY2(project.save(&error), qPrintable(error));
    editState([](QJsonObject& settings, QJsonObject& slide) {
      settings.remove("automatic_cell_diameter");
      slide.remove("cell_diameter_px");
    });
    Project old;
    QVERIFY2(old.open(red, &error), qPrintable(error));
    QVERIFY(!old.settings().automaticDiameter);
    QCOMPARE(old.slide(0).status, SlideStatus::Counted);
    QCOMPARE(old.slide(0).analysis->cellDiameterPx, 50.0);
    QCOMPARE(old.slide(0).analysis->diameterSource, std::optional(DiameterSource::Default));  // its settings say so
    QCOMPARE(old.slide(0).count, atDefault.count);
  }

  // A folder's saved results are the model's that counted them: reopened after the model file changed (FluoCount
  // updated with a new bundled model, or a model file replaced under the same name), none is taken for the
  // current model's. Each slide is counted again, its earlier count shown beside (Before), the user told why, and
  // its review mark kept. A state that does not say which model counted it (saved by a FluoCount before
  // 2026-12-05) cannot show it was this one, so it is treated alike.
  void resultsOfAnotherModelFileAreNotTaken() {
    const QString red = test::writableSlideFolder(scratch_.path(), "red-model", kRedSlides.mid(0, 1));
    const std::string statePath = (red + "/.fluocount/project.json").toStdString();
    QString error;
    Project project;
    QVERIFY2(project.open(red, &error), qPrintable(error));
    const SlideAnalysisResult result = analyseSlide(*project.counter(), project.slide(0), {});
    QVERIFY(project.acceptCounted({project.generation(), 0, result.analysis, result.count, {}, {}, false}));
    project.setReviewed(0, true);
    QVERIFY2(project.save(&error), qPrintable(error));
    const QByteArray saved = QByteArray::fromStdString(test::readBytes(statePath));
    QVERIFY(saved.contains(QByteArray::fromStdString("\"model_sha256\": \"" + project.counter()->modelSha256())));

    for (const QString& recorded : {QString(64, '0'), QString()}) {
      QJsonObject root = QJsonDocument::fromJson(saved).object();
      QJsonObject slides = root["slides"].toObject();
      QJsonObject slide = slides[slides.keys().first()].toObject();
      if (recorded.isEmpty())
        slide.remove("model_sha256");
      else
        slide["model_sha256"] = recorded;
      slides[slides.keys().first()] = slide;
      root["slides"] = slides;
      test::writeBytes(statePath, QJsonDocument(root).toJson().toStdString());

      Project reopened;
      QString warning;
      QVERIFY2(reopened.open(red, &error, &warning), qPrintable(error));
      QVERIFY2(warning.contains("another model file"), qPrintable(warning));
      QCOMPARE(reopened.slide(0).status, SlideStatus::NotRun);
      QCOMPARE(reopened.slide(0).count, -1);
      QCOMPARE(reopened.slide(0).previousCount, result.count);
      QVERIFY(!reopened.previousModel().isEmpty());  // the Before column shows
      QVERIFY(reopened.slide(0).reviewed);
    }
  }

  // A slide saved over by another program after it was counted (Fiji writing a corrected export under the same
  // name) keeps the earlier file's results only as that: the export gives it an error row instead of the old
  // count under the new file, the saved state does not restore them as the new file's, and Count Folder counts
  // it again.
  void aSlideSavedOverSinceItWasCountedIsCountedAgain() {
    const QString red = test::writableSlideFolder(scratch_.path(), "red-saved-over", kRedSlides);
    QString error;
    MainWindow window;
    QVERIFY(window.openFolder(red));
    Project& project = *window.project();
    for (int i = 0; i < 2; ++i) {
      const SlideAnalysisResult result = analyseSlide(*project.counter(), project.slide(i), {});
      QVERIFY(project.acceptCounted({project.generation(), i, result.analysis, result.count, {}, {}, false}));
    }
    QVERIFY(!project.imageChangedSinceCounted(0));
    const QString image = project.slide(0).imagePath;
    cv::Mat pixels = cv::imread(image.toStdString(), cv::IMREAD_COLOR);
    cv::flip(pixels, pixels, 1);  // the same size, other pixels: another file
    QVERIFY(cv::imwrite(image.toStdString(), pixels));
    QVERIFY(project.imageChangedSinceCounted(0));
    QVERIFY(!project.imageChangedSinceCounted(1));

    const QString out = scratch_.filePath("saved-over-export");
    const std::atomic<bool> cancel{false};
    exportResults({{project.slide(0), project.thresholdFor(0), {}}, {project.slide(1), project.thresholdFor(1), {}}},
                  *project.counter(), {out}, {}, cancel);
    const QStringList rows =
        QString::fromStdString(test::readBytes((out + "/counts.csv").toStdString())).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(rows.size(), 3);
    QVERIFY2(rows[1].contains(",error,") && rows[1].contains("changed since it was counted"), qPrintable(rows[1]));
    QVERIFY2(rows[2].contains(",ok,"), qPrintable(rows[2]));

    QVERIFY2(project.save(&error), qPrintable(error));
    {
      Project reopened;
      QVERIFY2(reopened.open(red, &error), qPrintable(error));
      QCOMPARE(reopened.slide(0).status, SlideStatus::NotRun);
      QCOMPARE(reopened.slide(1).status, SlideStatus::Counted);
    }
    const int before = project.slide(1).count;
    QSignalSpy finished(&window, &MainWindow::countingFinished);
    window.countAll();
    QVERIFY(finished.wait(600000));
    QVERIFY(!project.imageChangedSinceCounted(0));
    QCOMPARE(project.slide(1).count, before);  // not counted again: its file is the one counted
  }

  // Two windows on one folder (the second opened although the first holds it): each saves the folder's state, and
  // neither drops what the other saved. Results the other window counted for slides this one has not, and its
  // review marks, are merged in; a state saved with other settings, whose results are not this window's, is set
  // aside before it is written over, and the window is told where.
  void twoWindowsOnOneFolderKeepEachOthersResults() {
    const QString red = test::writableSlideFolder(scratch_.path(), "red-two-windows", kRedSlides);
    QString error, note;
    Project first, second;
    QVERIFY2(first.open(red, &error), qPrintable(error));
    QVERIFY2(second.open(red, &error), qPrintable(error));
    const auto countSlide = [](Project& project, int index) {
      const SlideAnalysisResult result = analyseSlide(*project.counter(), project.slide(index), {});
      QVERIFY(project.acceptCounted({project.generation(), index, result.analysis, result.count, {}, {}, false}));
    };
    countSlide(first, 0);
    first.setReviewed(0, true);
    QVERIFY2(first.save(&error, &note), qPrintable(error));
    countSlide(second, 1);
    QVERIFY2(second.save(&error, &note), qPrintable(error));
    QVERIFY2(note.isEmpty(), qPrintable(note));
    first.setReviewed(1, true);
    QVERIFY2(first.save(&error, &note), qPrintable(error));  // after the second window's save: merges it
    QVERIFY2(note.isEmpty(), qPrintable(note));
    QVERIFY(first.slide(0).reviewed);                        // its own mark, and
    QVERIFY2(first.save(&error, &note), qPrintable(error));  // the next save keeps the other window's results too
    {
      Project reopened;
      QVERIFY2(reopened.open(red, &error), qPrintable(error));
      for (int i = 0; i < 2; ++i) {
        QCOMPARE(reopened.slide(i).status, SlideStatus::Counted);
        QVERIFY(reopened.slide(i).reviewed);
      }
      QCOMPARE(reopened.slide(0).count, first.slide(0).count);
      QCOMPARE(reopened.slide(1).count, second.slide(1).count);
    }

    // The second window counts with another minimum object area: the first window's state (its settings and the
    // results of its settings) is kept aside, not merged, and not lost.
    const std::string firstState = test::readBytes((red + "/.fluocount/project.json").toStdString());
    ProjectSettings settings = second.settings();
    settings.minObjectAreaPx = 400;
    second.setSettings(settings);
    QVERIFY2(second.save(&error, &note), qPrintable(error));
    QVERIFY2(note.contains("other settings"), qPrintable(note));
    const QStringList setAside = QDir(red + "/.fluocount/set-aside").entryList({"project.*.json"}, QDir::Files);
    QCOMPARE(setAside.size(), 1);
    QCOMPARE(test::readBytes((red + "/.fluocount/set-aside/" + setAside.first()).toStdString()), firstState);
    QVERIFY2(note.contains(setAside.first()), qPrintable(note));
    // Its own state, once written, is its own to write again: no further copy.
    QVERIFY2(second.save(&error, &note), qPrintable(error));
    QCOMPARE(QDir(red + "/.fluocount/set-aside").entryList({"project.*.json"}, QDir::Files).size(), 1);
  }
};

QTEST_MAIN(TestStaleResults)
#include "test_stale_results.moc"
