// Retraining as a user does it, offscreen, on a copy of real FNC slides with their masks: count the folder, start a
// short fine-tune of the bundled model in the background, watch progress arrive, cancel, close the app, reopen the
// folder and resume from the checkpoint, find a new model version that loads and counts, count the folder again
// with it (the slide list keeps the counts from before, and the Training panel compares both models on a third
// annotated slide the run left out), then roll back and delete the version.
#include "gui_events.h"
#include "test_support.h"
#include "core/model_file.h"
#include "core/model_versions.h"
#include "core/locations.h"
#include "ui/main_window.h"
#include "ui/model/slide_analysis.h"
#include "ui/model_versions_dialog.h"
#include "ui/retrain_dialog.h"
#include "ui/model/slide_list_model.h"
#include "ui/training_panel.h"

#include <QApplication>
#include <QCheckBox>
#include <QDockWidget>
#include <QFileInfo>
#include <QLabel>
#include <QPushButton>
#include <QRadioButton>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTableView>
#include <QTemporaryDir>

#include <qcustomplot.h>

using namespace fluocount;
using namespace fluocount::ui;
using fluocount::test::buttonLabelled;

namespace {

// A fine-tune small enough for a unit test on two CPU cores: a few tiny steps per epoch.
TrainingPlan shortPlan(MainWindow& window) {
  TrainingPlan plan = suggestedPlan(*window.project(), describeComputeDevice(true));
  plan.epochs = 3;
  plan.stepsPerEpoch = 3;
  plan.cropSize = 128;
  plan.batchSize = 2;
  plan.useGpu = false;
  return plan;
}

// A plan of one training and one validating slide, as the dialog tests start from.
TrainingPlan twoSlidePlan() {
  TrainingPlan plan;
  plan.trainingSlides = {"a.png"};
  plan.validationSlides = {"b.png"};
  return plan;
}

// The slide the test's run leaves out (test::kRedSlide).
QString heldOutSlide() { return QFileInfo(test::kRedSlide).fileName(); }

int slideIndex(const Project& project, const QString& name) {
  for (int i = 0; i < project.slideCount(); ++i)
    if (project.slide(i).name == name) return i;
  return -1;
}

// The slide's F1 at its model's threshold, from its sweep (the model's threshold is one of the sweep's).
double f1AtOwnThreshold(const SlideAnalysis& analysis) {
  for (const SweepPoint& point : analysis.sweep.points)
    if (std::abs(point.threshold - analysis.defaultThreshold) < 1e-9) return point.f1;
  return -1;
}

bool countFolder(MainWindow& window) {
  QSignalSpy finished(&window, &MainWindow::countingFinished);
  window.countAll(true);
  return finished.wait(600000) && !finished.first().first().toBool();
}

}  // namespace

class TestRetrainingGui : public QObject {
  Q_OBJECT
  QTemporaryDir scratch_;
  QString folder_, version_;
  std::vector<int> bundledCounts_;

private slots:
  void initTestCase() {
    FLUOCOUNT_REQUIRE_SHARED_DATA();
    QStandardPaths::setTestModeEnabled(true);
    // A third annotated slide that the run leaves out: the panel's before/after is measured on it.
    folder_ =
        test::writableSlideFolder(scratch_.path(), "fnc", {test::kYellowSlide, test::kYellowSlide2, test::kRedSlide});
  }

  // Each corrected slide trains at the diameter measured on its own mask unless the user unticks it.
  void retrainDialogTrainsEachSlideAtItsOwnDiameter() {
    RetrainDialog dialog(twoSlidePlan(), {"a.png", "b.png"}, {}, {}, describeComputeDevice(/*preferCpu=*/true));
    QCheckBox* own = buttonLabelled<QCheckBox>(dialog, "measured on its mask");
    QVERIFY(own);
    QVERIFY(own->isChecked());
    QVERIFY(dialog.plan().eachSlideOwnDiameter);
    own->setChecked(false);
    QVERIFY(!dialog.plan().eachSlideOwnDiameter);
  }

  // A slide whose mask FluoCount outlined from a count by hand, and nobody has reviewed, says so in the list, and
  // again under it while it trains or validates.
  void retrainDialogSaysWhichOutlinesNobodyReviewed() {
    RetrainDialog dialog(twoSlidePlan(), {"a.png", "b.png", "c.png"}, {"b.png"}, {"a.png"},
                         describeComputeDevice(/*preferCpu=*/true));
    auto* list = dialog.findChild<QTableWidget*>();
    QVERIFY(list);
    QCOMPARE(list->item(0, 1)->text(), QString("outlined, to review"));
    QCOMPARE(list->item(1, 1)->text(), QString("corrected here"));
    QCOMPARE(list->item(2, 1)->text(), QString("from file"));
    QLabel* split = nullptr;
    for (QLabel* label : dialog.findChildren<QLabel*>())
      if (label->text().contains("slide(s) train")) split = label;
    QVERIFY(split);
    QVERIFY2(split->text().contains("Not reviewed: the masks FluoCount outlined from counts by hand on 1 of these "
                                    "slide(s)"),
             qPrintable(split->text()));
    if (qEnvironmentVariableIsSet("FLUOCOUNT_SCREENSHOT_DIR")) {
      dialog.show();
      dialog.grab().save(qEnvironmentVariable("FLUOCOUNT_SCREENSHOT_DIR") + "/retrain-outlines-to-review.png");
    }
    QVERIFY2(dialog.sizeHint().width() < 1000, "the note widens the dialog instead of wrapping");
    dialog.setRole("a.png", RetrainDialog::NotUsed);
    dialog.setRole("c.png", RetrainDialog::Training);
    QVERIFY2(!split->text().contains("outlined"), qPrintable(split->text()));
  }

  // "Learn from the model's false detections": offered for a fine-tune only (there is no model to have detected
  // anything from scratch), off unless ticked, and carried into the plan.
  void retrainDialogLearnsFromFalseDetectionsOnlyWhenFineTuning() {
    TrainingPlan suggested = twoSlidePlan();
    suggested.startModel = "start.fcmodel";
    RetrainDialog dialog(suggested, {"a.png", "b.png"}, {}, {}, describeComputeDevice(/*preferCpu=*/true));
    QCheckBox* box = buttonLabelled<QCheckBox>(dialog, "false detections");
    QVERIFY(box);
    QVERIFY(box->isEnabled());
    QVERIFY(!dialog.plan().learnFromFalseDetections);
    box->setChecked(true);
    QVERIFY(dialog.plan().learnFromFalseDetections);
    QRadioButton* scratch = buttonLabelled<QRadioButton>(dialog, "from scratch");
    QVERIFY(scratch);
    scratch->setChecked(true);
    QVERIFY(!box->isEnabled());
    QVERIFY(!dialog.plan().learnFromFalseDetections);
  }

  // Retrain's "Faster arithmetic" box: offered where the device that trains computes bfloat16 natively (the GPU,
  // or a CPU with AVX512-BF16), ticked as the plan suggests, and carried into the plan only where it is offered.
  void retrainDialogOffersBfloat16WhereTheDeviceHasIt() {
    TrainingPlan suggested = twoSlidePlan();
    suggested.bfloat16 = true;
    const ComputeDevice cpu = describeComputeDevice(/*preferCpu=*/true);
    auto fasterArithmetic = [](RetrainDialog& dialog) {
      return buttonLabelled<QCheckBox>(dialog, "Faster arithmetic");
    };
    {
      RetrainDialog dialog(suggested, {"a.png", "b.png"}, {}, {}, cpu);
      QCheckBox* box = fasterArithmetic(dialog);
      QVERIFY(box);
      QCOMPARE(box->isEnabled(), cpuHasNativeBfloat16());
      QCOMPARE(dialog.plan().bfloat16, cpuHasNativeBfloat16());
      box->setChecked(false);
      QVERIFY(!dialog.plan().bfloat16);
      if (qEnvironmentVariableIsSet("FLUOCOUNT_SCREENSHOT_DIR")) {
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        dialog.grab().save(qEnvironmentVariable("FLUOCOUNT_SCREENSHOT_DIR") + "/retrain-dialog.png");
      }
    }
    qputenv("FLUOCOUNT_NO_BFLOAT16", "1");  // a CPU without it
    const auto unset = qScopeGuard([] { qunsetenv("FLUOCOUNT_NO_BFLOAT16"); });
    RetrainDialog dialog(suggested, {"a.png", "b.png"}, {}, {}, cpu);
    QVERIFY(!fasterArithmetic(dialog)->isEnabled());
    QVERIFY(!dialog.plan().bfloat16);
    QVERIFY(fasterArithmetic(dialog)->toolTip().contains("AVX512-BF16"));
  }

  void startsShowsProgressAndCancelsWithinAStep() {
    MainWindow window;
    window.show();
    QVERIFY(window.openFolder(folder_));
    QVERIFY(countFolder(window));
    for (int i = 0; i < window.project()->slideCount(); ++i) bundledCounts_.push_back(window.project()->slide(i).count);

    TrainingPlan plan = shortPlan(window);
    QCOMPARE(plan.trainingSlides.size() + plan.validationSlides.size(), 3);  // every slide with a mask
    QCOMPARE(plan.validationSlides.size(), 1);
    QVERIFY(plan.trainingSlides.removeOne(heldOutSlide()));  // the user sets its role to "not used"
    QVERIFY(!plan.startModel.isEmpty());                     // fine-tunes the bundled model

    QSignalSpy progress(window.trainingWorker(), &TrainingWorker::progress);
    QSignalSpy finished(&window, &MainWindow::trainingFinished);
    QVERIFY(window.startTraining(plan));
    QVERIFY(window.isTraining());
    QCOMPARE(window.trainingPanel()->state(), TrainingPanel::State::Running);
    version_ = window.trainingJob()->plan.outputModel;
    QCOMPARE(QFileInfo(version_).fileName(), QString("v1.fcmodel"));

    // The GUI thread stays free while the worker trains: progress arrives by signal. Wait for the first epoch to
    // finish (its curves point) and one step of the second, then cancel.
    QTRY_VERIFY_WITH_TIMEOUT(!progress.isEmpty() && progress.last().first().value<TrainingProgress>().epoch == 2,
                             600000);
    const int beforeCancel = int(progress.size());
    window.cancelTraining();
    QVERIFY(finished.wait(120000));
    const auto result = finished.first().first().value<TrainingResult>();
    QVERIFY2(result.error.isEmpty(), qPrintable(result.error));
    QVERIFY(result.cancelled);
    QVERIFY2(progress.size() - beforeCancel <= 1, "training went on for more than one step after Cancel");
    QCOMPARE(result.epochs, 1);

    // Validation loss and F1 of the starting model ("epoch 0") and of epoch 1.
    QCOMPARE(window.trainingPanel()->plot()->graph(1)->dataCount(), 2);
    QCOMPARE(window.trainingPanel()->plot()->graph(2)->dataCount(), 2);
    QVERIFY(window.trainingPanel()->plot()->graph(0)->dataCount() >= 3);  // training loss, step by step
    QCOMPARE(window.trainingPanel()->state(), TrainingPanel::State::Resumable);
    QVERIFY(window.trainingPanel()->resumeButton()->isEnabled());
    QVERIFY(QFileInfo::exists(version_ + ".checkpoint"));
    QVERIFY(!QFileInfo::exists(version_));
    window.close();
  }

  void resumesAfterTheAppWasClosedAndWritesAVersionThatCounts() {
    MainWindow window;
    window.show();
    QVERIFY(window.openFolder(folder_));
    // The job and its curves come back with the folder.
    QVERIFY(window.trainingJob() && window.trainingJob()->resumable());
    QCOMPARE(window.trainingPanel()->state(), TrainingPanel::State::Resumable);
    QCOMPARE(window.trainingPanel()->plot()->graph(2)->dataCount(), 2);

    QSignalSpy progress(window.trainingWorker(), &TrainingWorker::progress);
    QSignalSpy finished(&window, &MainWindow::trainingFinished);
    QVERIFY(window.resumeTraining());
    QVERIFY(finished.wait(600000));
    const auto result = finished.first().first().value<TrainingResult>();
    QVERIFY2(result.error.isEmpty(), qPrintable(result.error));
    QVERIFY(!result.cancelled);
    QCOMPARE(result.modelPath, version_);
    QCOMPARE(result.epochs, 3);
    // It continued at epoch 2 rather than starting again.
    QCOMPARE(progress.first().first().value<TrainingProgress>().epoch, 2);
    QCOMPARE(window.trainingPanel()->plot()->graph(2)->dataCount(), 4);
    QVERIFY(result.startingF1.has_value());  // the bundled model on the same validation slide, for comparison
    // The panel says whether the version is the starting model unchanged (no epoch validated better).
    qInfo("starting F1 %.3f, new %.3f, starting model kept: %d", *result.startingF1, result.validationF1,
          int(result.keptStartingModel));
    QCOMPARE(window.trainingPanel()->statusText().contains("unchanged"), result.keptStartingModel);
    QVERIFY(!QFileInfo::exists(version_ + ".checkpoint"));

    // The version is a complete model file that records how it was made.
    const Model model = loadModel(version_.toStdString());
    QCOMPARE(model.info.provenance.at("trained_by").get<std::string>(), std::string("FluoCount retraining"));
    QCOMPARE(model.info.provenance.at("split").at("validation").size(), std::size_t(1));
    // Retrain's default: each corrected slide at the cell diameter measured on its own mask.
    QVERIFY(model.info.provenance.at("settings").at("each_image_own_diameter").get<bool>());
    QCOMPARE(model.info.threshold, result.threshold);
    // New weights get their threshold from every corrected slide, not the one that validates (training_plan.cpp).
    QCOMPARE(model.info.provenance.at("threshold_curve_images").get<std::string>(),
             std::string(result.keptStartingModel ? "validation" : "training and validation"));
    const ModelVersion described = describeModel(version_.toStdString());
    QVERIFY(described.validationF1.has_value());
    QCOMPARE(*described.validationF1, result.validationF1);

    // One click counts the folder again with it; the previous counts stay beside the new ones.
    Project* project = window.project();
    const int heldOut = slideIndex(*project, heldOutSlide());
    QVERIFY(project->slide(heldOut).analysis);  // restored with the folder: counted by the bundled model
    const double bundledF1 = f1AtOwnThreshold(*project->slide(heldOut).analysis);
    QPushButton* recount = window.trainingPanel()->recountButton();
    QVERIFY(recount->isVisibleTo(window.trainingPanel()));
    QSignalSpy counted(&window, &MainWindow::countingFinished);
    recount->click();
    QVERIFY(window.trainingPanel()->heldOutComparison().contains("appears when v1 has counted"));
    window.reloadFolder();  // a slide arrives while v1 counts: the folder is read again when counting ends
    QVERIFY(counted.wait(600000));
    // The panel compares the two models on the slide the run did not use, each at its own threshold.
    const double versionF1 = f1AtOwnThreshold(*project->slide(heldOut).analysis);
    const QString comparison = window.trainingPanel()->heldOutComparison();
    qInfo("%s", qPrintable(comparison));
    QVERIFY2(comparison.startsWith(QString("On the 1 annotated slide not used in this run: F1 %1 with the bundled "
                                           "model (threshold 0.850), %2 with v1")
                                       .arg(bundledF1, 0, 'f', 3)
                                       .arg(versionF1, 0, 'f', 3)),
             qPrintable(comparison));
    if (qEnvironmentVariableIsSet("FLUOCOUNT_SCREENSHOT_DIR")) {
      window.trainingDock()->raise();
      QTest::qWait(100);
      window.grab().save(qEnvironmentVariable("FLUOCOUNT_SCREENSHOT_DIR") + "/retrained.png");
    }
    // Where the version counts the unseen slide worse, the panel says how to go back.
    QCOMPARE(comparison.contains("Model Versions makes the bundled model active again"), versionF1 < bundledF1);
    QCOMPARE(project->settings().modelPath, version_);
    QCOMPARE(project->countedSlides(), project->slideCount());
    const QAbstractItemModel* list = window.slideList()->model();
    QVERIFY(!window.slideList()->isColumnHidden(SlideListModel::BeforeColumn));
    for (int i = 0; i < project->slideCount(); ++i) {
      QCOMPARE(project->slide(i).previousCount, bundledCounts_[i]);
      QCOMPARE(list->data(list->index(i, SlideListModel::BeforeColumn)).toInt(), bundledCounts_[i]);
      // Counted with the new version: the count of a fresh analysis with the project's (new) counter.
      QCOMPARE(project->slide(i).count,
               analyseSlide(*project->counter(), project->slide(i), project->userThreshold()).count);
    }
    QVERIFY(
        list->headerData(SlideListModel::BeforeColumn, Qt::Horizontal, Qt::ToolTipRole).toString().contains("default"));
    // Reading the folder again (a slide added or removed) keeps it.
    window.reloadFolder();
    QCOMPARE(window.trainingPanel()->heldOutComparison(), comparison);
    // The comparison belongs to the folder it was made in: opening a folder clears it.
    QVERIFY(window.openFolder(folder_));
    QVERIFY(window.trainingPanel()->heldOutComparison().isEmpty());
    window.close();
  }

  void versionsCompareRollBackAndDelete() {
    MainWindow window;
    QVERIFY(window.openFolder(folder_));
    QCOMPARE(window.project()->settings().modelPath, version_);
    const QString bundled = QString::fromStdString(*defaultModelPath());
    ModelVersionsDialog dialog(bundled, modelsFolder(*window.project()), version_);
    connect(&dialog, &ModelVersionsDialog::activeModelChosen, &window,
            [&window](const QString& path) { window.useModel(path, false); });
    ModelVersionTable* table = dialog.table();
    QCOMPARE(table->rowCount(), 2);  // bundled, v1
    QCOMPARE(table->data(table->index(1, ModelVersionTable::NameColumn)).toString(), QString("v1"));
    QCOMPARE(table->data(table->index(1, ModelVersionTable::ActiveColumn)).toString(), QString("active"));
    QVERIFY(!table->data(table->index(1, ModelVersionTable::F1Column)).toString().isEmpty());
    QVERIFY(!table->data(table->index(0, ModelVersionTable::F1Column)).toString().isEmpty());
    QVERIFY(!table->data(table->index(1, ModelVersionTable::StartF1Column)).toString().isEmpty());
    QCOMPARE(table->data(table->index(1, ModelVersionTable::StartColumn)).toString(), QString("bundled"));

    // The active version cannot be deleted; rolling back makes the bundled model active again.
    dialog.selectRow(1);
    QVERIFY(!dialog.deleteSelected(false));
    dialog.rollBack();
    QVERIFY(window.project()->settings().modelPath.isEmpty());
    QVERIFY(window.project()->modelDescription().endsWith("default.fcmodel"));
    QCOMPARE(table->data(table->index(0, ModelVersionTable::ActiveColumn)).toString(), QString("active"));

    // Deleting moves the file aside; its name is never reused.
    dialog.selectRow(1);
    QVERIFY(dialog.deleteSelected(false));
    QVERIFY(!QFileInfo::exists(version_));
    QVERIFY(QFileInfo::exists(QFileInfo(version_).path() + "/deleted/v1.fcmodel"));
    QCOMPARE(table->rowCount(), 1);
    QCOMPARE(QFileInfo(QString::fromStdString(nextModelVersionPath(modelsFolder(*window.project()).toStdString())))
                 .fileName(),
             QString("v2.fcmodel"));
  }
};

QTEST_MAIN(TestRetrainingGui)
#include "test_retraining_gui.moc"
