#include "ui/training_panel.h"

#include "ui/plot_style.h"

#include <QGridLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

#include <qcustomplot.h>

namespace fluocount::ui {

namespace {

enum Graph { TrainLoss, ValidationLoss, ValidationF1 };

QString duration(double seconds) {
  if (seconds < 90) return QObject::tr("%1 s").arg(int(seconds));
  if (seconds < 5400) return QObject::tr("%1 min").arg(int(seconds / 60 + 0.5));
  return QObject::tr("%1 h %2 min").arg(int(seconds / 3600)).arg(int(seconds / 60) % 60);
}

}  // namespace

TrainingPanel::TrainingPanel(QWidget* parent) : QWidget(parent) {
  device_ = new QLabel;
  device_->setWordWrap(true);
  status_ = new QLabel(tr("Correct the masks of a few slides, then retrain the model on them."));
  status_->setWordWrap(true);
  progress_ = new QProgressBar;
  progress_->setTextVisible(true);
  figures_ = new QLabel;
  figures_->setWordWrap(true);
  heldOut_ = new QLabel;
  heldOut_->setWordWrap(true);
  heldOut_->setVisible(false);

  plot_ = makePlot(tr("epoch"), tr("loss"));
  plot_->yAxis2->setVisible(true);
  plot_->yAxis2->setLabel(tr("validation F1"));
  plot_->yAxis2->setRange(0, 1.02);
  plot_->xAxis->setRange(0, 1);
  const std::tuple<QString, QColor, bool> graphs[] = {{tr("training loss"), QColor(30, 120, 200), false},
                                                      {tr("validation loss"), QColor(230, 130, 20), false},
                                                      {tr("validation F1"), QColor(200, 40, 40), true}};
  for (const auto& [name, colour, right] : graphs) {
    QCPGraph* graph = plot_->addGraph(plot_->xAxis, right ? plot_->yAxis2 : plot_->yAxis);
    graph->setName(name);
    graph->setPen(QPen(colour, 2));
    if (graph != plot_->graph(TrainLoss))
      graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, colour, colour, 6));
  }

  log_ = new QPlainTextEdit;
  log_->setReadOnly(true);
  log_->setMaximumBlockCount(500);
  log_->setMaximumHeight(90);
  log_->setPlaceholderText(tr("Training messages"));

  retrain_ = new QPushButton(tr("Retrain..."));
  retrain_->setToolTip(tr("Train a new model version on the slides with masks"));
  cancel_ = new QPushButton(tr("Cancel"));
  cancel_->setToolTip(tr("Stop after the current step; a checkpoint is kept so that the run can be resumed"));
  resume_ = new QPushButton(tr("Resume"));
  resume_->setToolTip(tr("Continue the interrupted run from its last checkpoint"));
  recount_ = new QPushButton(tr("Count Again"));
  versions_ = new QPushButton(tr("Versions..."));
  versions_->setToolTip(tr("Compare model versions, choose the active one, roll back or delete"));

  auto* buttons = new QGridLayout;
  buttons->addWidget(retrain_, 0, 0);
  buttons->addWidget(cancel_, 0, 1);
  buttons->addWidget(resume_, 0, 2);
  buttons->addWidget(recount_, 1, 0, 1, 2);
  buttons->addWidget(versions_, 1, 2);

  auto* layout = new QVBoxLayout(this);
  layout->addWidget(device_);
  layout->addWidget(status_);
  layout->addWidget(progress_);
  layout->addWidget(figures_);
  layout->addWidget(heldOut_);
  layout->addWidget(plot_, 1);
  layout->addWidget(log_);
  layout->addLayout(buttons);

  connect(retrain_, &QPushButton::clicked, this, &TrainingPanel::retrainRequested);
  connect(cancel_, &QPushButton::clicked, this, &TrainingPanel::cancelRequested);
  connect(resume_, &QPushButton::clicked, this, &TrainingPanel::resumeRequested);
  connect(recount_, &QPushButton::clicked, this, &TrainingPanel::recountRequested);
  connect(versions_, &QPushButton::clicked, this, &TrainingPanel::versionsRequested);
  recount_->setVisible(false);
  progress_->setVisible(false);
  refreshButtons();
}

void TrainingPanel::setDevice(const QString& summary, bool gpu) {
  device_->setText(tr("<b>Device:</b> %1").arg(summary.toHtmlEscaped()));
  device_->setToolTip(gpu ? tr("Training and counting run on this GPU")
                          : tr("Training runs on the CPU: expect minutes per epoch with the default settings"));
}

void TrainingPanel::startRun(const QString& description, bool resumed) {
  if (!resumed) clearCurves();
  recount_->setVisible(false);
  progress_->setVisible(true);
  progress_->setRange(0, 0);  // busy until the first step: data preparation
  progress_->setFormat(tr("preparing data"));
  figures_->clear();
  showHeldOutComparison(QString());
  appendMessage(description);
  setState(State::Running, description);
}

void TrainingPanel::showProgress(const TrainingProgress& p) {
  const int total = std::max(1, p.maxEpochs * p.stepsPerEpoch);
  const int done = (p.epochFinished ? p.epoch : p.epoch - 1) * p.stepsPerEpoch + (p.epochFinished ? 0 : p.step);
  progress_->setRange(0, total);
  progress_->setValue(std::min(done, total));
  progress_->setFormat(
      tr("epoch %1 of %2, step %3 of %4").arg(p.epoch).arg(p.maxEpochs).arg(p.step).arg(p.stepsPerEpoch));
  QString text = tr("Elapsed %1, about %2 left. Learning rate %3.")
                     .arg(duration(p.elapsedSeconds), duration(p.etaSeconds))
                     .arg(p.learningRate, 0, 'g', 3);
  if (p.validationF1 >= 0)
    text += tr(" Last validation: F1 %1, count error %2 cells per slide.")
                .arg(p.validationF1, 0, 'f', 3)
                .arg(p.validationMae, 0, 'f', 1);
  figures_->setText(text);
  if (p.epochFinished) {
    addEpoch(p.epoch, p.trainLoss, p.validationLoss, p.validationF1);
  } else if (p.stepsPerEpoch > 0) {
    plot_->graph(TrainLoss)->addData(p.epoch - 1 + double(p.step) / p.stepsPerEpoch, p.trainLoss);
    plot_->xAxis->setRange(0, std::max(1, p.epoch));
    plot_->graph(TrainLoss)->rescaleValueAxis(false, true);
    plot_->yAxis->setRangeLower(0);
    plot_->replot(QCustomPlot::rpQueuedReplot);
  }
}

void TrainingPanel::addEpoch(int epoch, double trainLoss, double validationLoss, double validationF1) {
  if (trainLoss >= 0) plot_->graph(TrainLoss)->addData(epoch, trainLoss);
  if (validationLoss >= 0) plot_->graph(ValidationLoss)->addData(epoch, validationLoss);
  if (validationF1 >= 0) plot_->graph(ValidationF1)->addData(epoch, validationF1);
  plot_->xAxis->setRange(0, std::max(1, epoch));
  plot_->graph(TrainLoss)->rescaleValueAxis(false, true);
  plot_->graph(ValidationLoss)->rescaleValueAxis(true, true);
  plot_->yAxis->setRangeLower(0);
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

void TrainingPanel::clearCurves() {
  for (int i = 0; i < plot_->graphCount(); ++i) plot_->graph(i)->data()->clear();
  plot_->xAxis->setRange(0, 1);
  plot_->replot();
}

void TrainingPanel::appendMessage(const QString& text) { log_->appendPlainText(text); }

QString TrainingPanel::statusText() const { return status_->text(); }

void TrainingPanel::setState(State state, const QString& text) {
  state_ = state;
  status_->setText(text);
  if (state != State::Running && state != State::Cancelling) progress_->setVisible(false);
  refreshButtons();
}

void TrainingPanel::offerRecount(const QString& versionName) {
  recount_->setText(tr("Count Folder with %1").arg(versionName));
  recount_->setToolTip(tr("Make %1 the active model and count every slide again; the slide list keeps the "
                          "previous counts beside the new ones")
                           .arg(versionName));
  recount_->setVisible(true);
}

void TrainingPanel::showHeldOutComparison(const QString& text) {
  heldOut_->setText(text);
  heldOut_->setVisible(!text.isEmpty());
}

QString TrainingPanel::heldOutComparison() const { return heldOut_->text(); }

void TrainingPanel::refreshButtons() {
  const bool busy = state_ == State::Running || state_ == State::Cancelling;
  retrain_->setEnabled(!busy);
  cancel_->setEnabled(state_ == State::Running);
  resume_->setEnabled(state_ == State::Resumable);
}

}  // namespace fluocount::ui
