// The main window's retraining wiring (issue 7): the Model menu, the Training panel, the worker thread that runs
// the core trainer, the job file that lets a run be resumed after the app was closed, model versions, and counting
// again with a new version. The training itself is core/trainer; the plan and job are ui/training_plan.
#include "ui/main_window.h"

#include "core/locations.h"
#include "core/model_versions.h"
#include "ui/model_versions_dialog.h"
#include "ui/retrain_dialog.h"
#include "ui/model/slide_list_model.h"
#include "ui/training_panel.h"

#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QStatusBar>
#include <QTimer>
#include <QTableView>

namespace fluocount::ui {

namespace {

QString versionName(const QString& path) { return QFileInfo(path).completeBaseName(); }

// What counts the folder, as the Training panel names it.
QString countingMethodName(const ProjectSettings& settings) {
  if (settings.classical) return QObject::tr("the classical method");
  return settings.modelPath.isEmpty() ? QObject::tr("the bundled model") : versionName(settings.modelPath);
}

QString bundledModel() {
  const auto path = defaultModelPath();
  return path ? QString::fromStdString(*path) : QString();
}

}  // namespace

void MainWindow::buildTraining() {
  device_ = describeComputeDevice();
  trainingPanel_ = new TrainingPanel;
  trainingPanel_->setDevice(QString::fromStdString(device_.summary()), device_.gpu);
  auto* dock = new QDockWidget(tr("Training"));
  dock->setObjectName("training");
  dock->setWidget(trainingPanel_);
  addDockWidget(Qt::RightDockWidgetArea, dock);
  // Beside the layers, as a tab: the right column then gives each panel room for its plot.
  if (auto* layers = findChild<QDockWidget*>("layers")) {
    tabifyDockWidget(layers, dock);
    layers->raise();  // the layers first; a run brings the Training tab forward
  }
  trainingDock_ = dock;

  QMenu* model = menuBar()->addMenu(tr("&Model"));
  menuBar()->insertMenu(menuBar()->actions().at(3), model);
  retrainAction_ = model->addAction(tr("&Retrain..."), this, &MainWindow::openRetrainDialog);
  retrainAction_->setShortcut(QKeySequence(tr("Ctrl+T")));
  cancelTrainingAction_ = model->addAction(tr("&Cancel Training"), this, &MainWindow::cancelTraining);
  resumeTrainingAction_ = model->addAction(tr("Re&sume Training"), this, &MainWindow::resumeTraining);
  model->addSeparator();
  model->addAction(tr("Model &Versions..."), this, &MainWindow::openModelVersions);
  model->addAction(tr("Show Training &Panel"), this, [this] {
    trainingDock_->show();
    trainingDock_->raise();
  });

  trainer_ = new TrainingWorker;
  trainer_->moveToThread(&trainingThread_);
  connect(&trainingThread_, &QThread::finished, trainer_, &QObject::deleteLater);
  connect(trainer_, &TrainingWorker::progress, this, &MainWindow::onTrainingProgress);
  connect(trainer_, &TrainingWorker::message, trainingPanel_, &TrainingPanel::appendMessage);
  connect(trainer_, &TrainingWorker::finished, this, &MainWindow::onTrainingFinished);
  trainingThread_.start();

  connect(trainingPanel_, &TrainingPanel::retrainRequested, this, &MainWindow::openRetrainDialog);
  connect(trainingPanel_, &TrainingPanel::cancelRequested, this, &MainWindow::cancelTraining);
  connect(trainingPanel_, &TrainingPanel::resumeRequested, this, &MainWindow::resumeTraining);
  connect(trainingPanel_, &TrainingPanel::versionsRequested, this, &MainWindow::openModelVersions);
  connect(trainingPanel_, &TrainingPanel::recountRequested, this, &MainWindow::countWithNewVersion);
  connect(this, &MainWindow::countingFinished, this, &MainWindow::compareHeldOutSlides);
  connect(project_, &Project::slidesReset, this,
          [this] { slideList_->setColumnHidden(SlideListModel::BeforeColumn, project_->previousModel().isEmpty()); });
}

void MainWindow::saveJob() {
  QString error;
  if (job_ && !fluocount::ui::saveJob(*project_, *job_, &error))
    trainingPanel_->appendMessage(tr("Could not save the training job: %1").arg(error));
}

void MainWindow::openRetrainDialog() {
  if (!project_->isOpen() || training_) return;
  QStringList annotated, edited, outlinesToReview;
  int countedByHandOnly = 0;
  for (int i = 0; i < project_->slideCount(); ++i) {
    if (project_->slide(i).hasMask()) annotated.append(project_->slide(i).name);
    if (project_->slide(i).edited) edited.append(project_->slide(i).name);
    if (project_->slide(i).outlinesToReview()) outlinesToReview.append(project_->slide(i).name);
    if (!project_->slide(i).hasMask() && !project_->slide(i).handCountPath.isEmpty()) ++countedByHandOnly;
  }
  if (annotated.size() < 2) {
    QMessageBox box(QMessageBox::Information, tr("Retrain"),
                    tr("Retraining needs masks on at least two slides (one to train on, one to validate). "
                       "Draw or correct masks with the tools on the left; %1 slide(s) have one now.")
                        .arg(annotated.size()),
                    QMessageBox::Ok, this);
    QPushButton* outline = nullptr;
    if (countedByHandOnly > 0) {  // marks say where cells are, not their outlines: training needs the outlines
      box.setInformativeText(
          tr("%n slide(s) are counted by hand but have no mask. Outline Them outlines a cell at every mark on "
             "the network's heatmap and saves the masks (Edit > Outline Every Count by Hand as a Mask); look them "
             "over, and Retrain again.",
             nullptr, countedByHandOnly));
      outline = box.addButton(tr("Outline Them..."), QMessageBox::ActionRole);
    }
    box.exec();
    if (outline && box.clickedButton() == outline) askToOutlineCountsByHand();
    return;
  }
  RetrainDialog dialog(suggestedPlan(*project_, device_), annotated, edited, outlinesToReview, device_, this);
  if (dialog.exec() == QDialog::Accepted) startTraining(dialog.plan());
}

bool MainWindow::startTraining(TrainingPlan plan) {
  if (training_ || !project_->isOpen()) return false;
  if (job_ && job_->resumable() &&
      QMessageBox::question(this, tr("Retrain"),
                            tr("An interrupted run (%1) can still be resumed. Start a new run instead?")
                                .arg(versionName(job_->plan.outputModel))) != QMessageBox::Yes)
    return false;
  QDir().mkpath(modelsFolder(*project_));
  plan.outputModel = QString::fromStdString(nextModelVersionPath(modelsFolder(*project_).toStdString()));
  TrainingSettings settings;
  try {
    settings = trainingSettingsFor(plan, *project_, false);
  } catch (const std::exception& e) {
    QMessageBox::warning(this, tr("Cannot retrain"), QString::fromUtf8(e.what()));
    return false;
  }
  job_ = TrainingJob{plan, {}, TrainingJobState::Running, {}};
  saveJob();
  launchTraining(settings, false);
  return true;
}

bool MainWindow::resumeTraining() {
  if (training_ || !job_ || !job_->resumable()) return false;
  // Without a checkpoint (cancelled while preparing data) the run simply starts again.
  const bool fromCheckpoint = QFileInfo::exists(job_->plan.outputModel + ".checkpoint");
  TrainingSettings settings;
  try {
    settings = trainingSettingsFor(job_->plan, *project_, fromCheckpoint);
  } catch (const std::exception& e) {
    QMessageBox::warning(this, tr("Cannot resume"), QString::fromUtf8(e.what()));
    return false;
  }
  if (!fromCheckpoint) job_->history.clear();
  job_->state = TrainingJobState::Running;
  saveJob();
  launchTraining(settings, true);
  return true;
}

void MainWindow::launchTraining(const TrainingSettings& settings, bool resumed) {
  training_ = true;
  const TrainingPlan& plan = job_->plan;
  if (resumed) {
    trainingPanel_->clearCurves();
    for (const EpochFigures& e : job_->history)
      trainingPanel_->addEpoch(e.epoch, e.trainLoss, e.validationLoss, e.validationF1);
  }
  trainingPanel_->startRun(tr("%1 %2 from %3: %4 training and %5 validation slide(s), %6 epochs")
                               .arg(resumed ? tr("Resuming") : tr("Training"), versionName(plan.outputModel),
                                    plan.startModel.isEmpty() ? tr("scratch") : plan.startModelName)
                               .arg(plan.trainingSlides.size())
                               .arg(plan.validationSlides.size())
                               .arg(plan.epochs),
                           resumed);
  trainingDock_->show();
  trainingDock_->raise();
  retrainAction_->setEnabled(false);
  cancelTrainingAction_->setEnabled(true);
  resumeTrainingAction_->setEnabled(false);
  QMetaObject::invokeMethod(trainer_, [worker = trainer_, settings] { worker->run(settings); });
}

void MainWindow::onTrainingProgress(const TrainingProgress& progress) {
  trainingPanel_->showProgress(progress);
  if (progress.epochFinished && job_) {
    job_->addEpoch({progress.epoch, progress.trainLoss, progress.validationLoss, progress.validationF1});
    saveJob();
  }
}

void MainWindow::cancelTraining() {
  if (!training_) return;
  trainer_->cancel();
  trainingPanel_->setState(TrainingPanel::State::Cancelling, tr("Cancelling after the current step..."));
}

void MainWindow::onTrainingFinished(const TrainingResult& result) {
  training_ = false;
  if (reloadWaiting_) QTimer::singleShot(0, this, &MainWindow::reloadFolder);  // files came and went meanwhile
  retrainAction_->setEnabled(true);
  cancelTrainingAction_->setEnabled(false);
  if (!job_) return;
  const QString name = versionName(job_->plan.outputModel);
  if (!result.error.isEmpty()) {
    job_->state = TrainingJobState::Failed;
    job_->message = result.error;
    trainingPanel_->appendMessage(result.error);
    trainingPanel_->setState(TrainingPanel::State::Idle, tr("Training %1 failed: %2").arg(name, result.error));
  } else if (result.cancelled) {
    job_->state = TrainingJobState::Cancelled;
    trainingPanel_->setState(TrainingPanel::State::Resumable,
                             tr("Training %1 cancelled after %2 finished epoch(s). Resume continues from the last "
                                "checkpoint, now or after restarting FluoCount.")
                                 .arg(name)
                                 .arg(result.epochs));
  } else {
    job_->state = TrainingJobState::Finished;
    // The threshold is the starting model's when its weights were kept, else the knee over every corrected slide
    // (trainingSettingsFor).
    QString text = tr("%1 is ready: on the validation slides F1 %2 and count error %3 cells per slide, at threshold "
                      "%4%5.")
                       .arg(name)
                       .arg(result.validationF1, 0, 'f', 3)
                       .arg(result.validationMae, 0, 'f', 1)
                       .arg(result.threshold, 0, 'f', 3)
                       .arg(result.keptStartingModel ? QString() : tr(" (Kneedle, on all the corrected slides)"));
    if (result.startingF1)
      text += tr(" The model it started from: F1 %1, count error %2.")
                  .arg(*result.startingF1, 0, 'f', 3)
                  .arg(result.startingMae.value_or(0), 0, 'f', 1);
    if (result.keptStartingModel)
      text += tr(" No epoch validated better than that model (lower loss, F1 at least %2 higher at its own "
                 "threshold, and fewer errors than chance could explain), so %1 is that model unchanged (weights "
                 "and threshold): training on these slides did not help. More corrected slides, or other ones, "
                 "may.")
                  .arg(name)
                  .arg(kRetrainMinimumF1GainOverStart, 0, 'f', 2);
    // The "Count Folder with vN" button below says what comes next; the text stays true after it was clicked.
    trainingPanel_->setState(TrainingPanel::State::Finished, text);
    trainingPanel_->offerRecount(name);
  }
  resumeTrainingAction_->setEnabled(job_->resumable());
  saveJob();
  statusBar()->showMessage(!result.error.isEmpty() ? tr("Training %1 failed").arg(name)
                           : result.cancelled      ? tr("Training %1 cancelled").arg(name)
                                                   : tr("Training %1 finished").arg(name),
                           8000);
  emit trainingFinished(result);
}

// Counts the folder with the version the run wrote, and scores the annotated slides the run did not use with the
// model it started from first, so that the panel can say what the version does to slides it has not seen.
void MainWindow::countWithNewVersion() {
  if (!job_ || job_->state != TrainingJobState::Finished) return;
  trainingPanel_->recountButton()->setVisible(false);
  const QStringList used = job_->plan.trainingSlides + job_->plan.validationSlides;
  const HeldOutScore before = scoreHeldOutSlides(*project_, used, countingMethodName(project_->settings()));
  useModel(job_->plan.outputModel, true);
  if (project_->settings().modelPath != job_->plan.outputModel) return;  // the version could not be used
  pendingHeldOut_ = PendingHeldOutComparison{before, used, project_->generation()};
  compareHeldOutSlides();  // none counted yet: says what will appear, and when
}

void MainWindow::compareHeldOutSlides() {
  if (!pendingHeldOut_) return;
  if (!project_->isCurrent(pendingHeldOut_->generation)) {  // another folder, model or setting since
    pendingHeldOut_.reset();
    trainingPanel_->showHeldOutComparison(QString());
    return;
  }
  const PendingHeldOutComparison& pending = *pendingHeldOut_;
  const HeldOutScore after =
      scoreHeldOutSlides(*project_, pending.usedInRun, countingMethodName(project_->settings()), pending.before.slides);
  trainingPanel_->showHeldOutComparison(describeHeldOutChange(pending.before, after));
  // Counting was cancelled before every held-out slide had its result: the next count of this folder completes it.
  if (after.slides == pending.before.slides) pendingHeldOut_.reset();
}

void MainWindow::useModel(const QString& modelPath, bool recount) {
  if (counting_) cancelCounting();
  project_->switchModel(modelPath);
  try {
    modelLabel_->setText(QString::fromStdString(project_->counter()->methodDescription()));
  } catch (const std::exception& e) {
    QMessageBox::warning(this, tr("Cannot use this model"), QString::fromUtf8(e.what()));
    return;
  }
  saveProjectState();
  statusBar()->showMessage(tr("Active model: %1").arg(modelPath.isEmpty() ? tr("bundled") : versionName(modelPath)),
                           5000);
  if (recount) {
    // The count worker may still be winding down a cancelled run; count as soon as it has.
    if (counting_)
      connect(
          this, &MainWindow::countingFinished, this, [this] { countAll(true); }, Qt::SingleShotConnection);
    else
      countAll(true);
  }
}

void MainWindow::openModelVersions() {
  if (!project_->isOpen()) return;
  ModelVersionsDialog dialog(
      bundledModel(), modelsFolder(*project_),
      project_->settings().classical ? QStringLiteral("classical") : project_->settings().modelPath, this);
  connect(&dialog, &ModelVersionsDialog::activeModelChosen, this, [this](const QString& path) {
    const bool recount = project_->countedSlides() > 0;
    useModel(path, recount);
  });
  dialog.exec();
}

void MainWindow::restoreTrainingJob() {
  job_ = loadJob(*project_);
  pendingHeldOut_.reset();  // a comparison of the folder that was open before
  trainingPanel_->showHeldOutComparison(QString());
  trainingPanel_->clearCurves();
  resumeTrainingAction_->setEnabled(job_ && job_->resumable());
  cancelTrainingAction_->setEnabled(false);
  if (!job_) {
    trainingPanel_->setState(TrainingPanel::State::Idle,
                             tr("Correct the masks of a few slides, then retrain the model on them."));
    return;
  }
  for (const EpochFigures& e : job_->history)
    trainingPanel_->addEpoch(e.epoch, e.trainLoss, e.validationLoss, e.validationF1);
  const QString name = versionName(job_->plan.outputModel);
  if (job_->resumable())
    trainingPanel_->setState(
        TrainingPanel::State::Resumable,
        tr("Training %1 was interrupted after %2 epoch(s). Resume continues from its last checkpoint.")
            .arg(name)
            .arg(job_->history.size()));
  else if (job_->state == TrainingJobState::Failed)
    trainingPanel_->setState(TrainingPanel::State::Idle,
                             tr("The last training run (%1) failed: %2").arg(name, job_->message));
  else
    trainingPanel_->setState(TrainingPanel::State::Idle, tr("The last training run wrote %1.").arg(name));
}

// Closing the app or the folder mid-run: stop at the next step and wait, so that the checkpoint is complete. The
// job is saved as cancelled, which the next session offers to resume.
void MainWindow::stopTrainingForClose() {
  if (!training_) return;
  trainer_->cancel();
  QApplication::setOverrideCursor(Qt::WaitCursor);
  while (training_) QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 100);
  QApplication::restoreOverrideCursor();
}

}  // namespace fluocount::ui
