#include "ui/model/training_worker.h"

#include <QFile>

namespace fluocount::ui {

namespace {

// Forwards the trainer's reports as the worker's signals (queued to the GUI thread by the connections).
class SignalObserver : public TrainingObserver {
public:
  explicit SignalObserver(TrainingWorker& worker) : worker_(worker) {}
  void progress(const TrainingProgress& p) override { emit worker_.progress(p); }
  void message(const std::string& text) override { emit worker_.message(QString::fromStdString(text)); }

private:
  TrainingWorker& worker_;
};

}  // namespace

TrainingWorker::TrainingWorker(QObject* parent) : QObject(parent) {
  qRegisterMetaType<fluocount::TrainingProgress>();
  qRegisterMetaType<fluocount::ui::TrainingResult>();
}

void TrainingWorker::run(TrainingSettings settings) {
  cancelled_ = false;
  SignalObserver observer(*this);
  TrainingResult result;
  try {
    const TrainingOutcome outcome = trainModel(settings, observer, cancelled_);
    result.cancelled = outcome.status == TrainingOutcome::Status::Cancelled;
    result.epochs = outcome.epochs;
    if (!result.cancelled) {
      result.modelPath = QString::fromStdString(outcome.modelPath);
      result.threshold = outcome.threshold;
      result.validationF1 = outcome.validation.f1;
      result.validationMae = outcome.validation.meanAbsoluteError;
      result.startingF1 = outcome.startingF1;
      result.startingMae = outcome.startingMae;
      result.keptStartingModel = outcome.keptStartingWeights;
      // The model holds everything the checkpoint did that is still needed; the checkpoint is three times larger.
      QFile::remove(QString::fromStdString(outcome.checkpointPath));
    }
  } catch (const std::exception& e) {
    result.error = QString::fromUtf8(e.what());
  }
  emit finished(result);
}

}  // namespace fluocount::ui
