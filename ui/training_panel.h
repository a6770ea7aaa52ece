#pragma once
// The Training panel: where retraining is started, watched and stopped. It shows the device, the run's epoch and
// step with an ETA and the learning rate, and live QCustomPlot curves of training and validation loss and
// validation F1; Cancel, Resume and "count again with the new version" are one click each. It only displays and
// asks: the main window runs the worker.
#include "core/trainer.h"

#include <QWidget>

class QCustomPlot;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;

namespace fluocount::ui {

class TrainingPanel : public QWidget {
  Q_OBJECT
public:
  enum class State { Idle, Running, Cancelling, Resumable, Finished };
  explicit TrainingPanel(QWidget* parent = nullptr);

  void setDevice(const QString& summary, bool gpu);
  // A run begins (resumed: the curves so far are kept or were restored with addEpoch).
  void startRun(const QString& description, bool resumed);
  void showProgress(const TrainingProgress& progress);
  // One finished epoch's figures, live or restored from the job file after a restart.
  void addEpoch(int epoch, double trainLoss, double validationLoss, double validationF1);
  void clearCurves();
  void appendMessage(const QString& text);
  void setState(State state, const QString& text);
  // After a finished run: the new version's name on the "count again" button.
  void offerRecount(const QString& versionName);
  // What the version does to the annotated slides the run did not use, once it has counted them (empty: hidden).
  void showHeldOutComparison(const QString& text);
  QString heldOutComparison() const;
  State state() const { return state_; }
  QString statusText() const;  // what the panel says of the run

  QCustomPlot* plot() const { return plot_; }
  QPushButton* cancelButton() const { return cancel_; }
  QPushButton* resumeButton() const { return resume_; }
  QPushButton* recountButton() const { return recount_; }

signals:
  void retrainRequested();
  void cancelRequested();
  void resumeRequested();
  void recountRequested();
  void versionsRequested();

private:
  void refreshButtons();

  State state_ = State::Idle;
  QLabel* device_;
  QLabel* status_;
  QProgressBar* progress_;
  QLabel* figures_;
  QLabel* heldOut_;
  QCustomPlot* plot_;
  QPlainTextEdit* log_;
  QPushButton *retrain_, *cancel_, *resume_, *recount_, *versions_;
};

}  // namespace fluocount::ui
