#pragma once
// Runs the core trainer on a worker thread (moved to a QThread by its owner): progress and messages arrive by
// signal, cancel() stops it within one training step and leaves a checkpoint to resume from.
#include "core/trainer.h"

#include <QMetaType>
#include <QObject>
#include <QString>

#include <atomic>
#include <optional>

namespace fluocount::ui {

struct TrainingResult {
  bool cancelled = false;
  QString error;      // the run failed (bad data, unreadable model, full disk...)
  QString modelPath;  // the new version, when it finished
  int epochs = 0;
  double threshold = 0, validationF1 = 0, validationMae = 0;
  std::optional<double> startingF1, startingMae;  // the model it was fine-tuned from, same validation slides
  bool keptStartingModel = false;                 // no epoch validated better: the version is the starting model itself
};

class TrainingWorker : public QObject {
  Q_OBJECT
public:
  explicit TrainingWorker(QObject* parent = nullptr);
  void cancel() { cancelled_ = true; }  // thread-safe
  // Runs on the worker's thread (call through QMetaObject::invokeMethod).
  void run(fluocount::TrainingSettings settings);

signals:
  void progress(fluocount::TrainingProgress progress);
  void message(QString text);
  void finished(fluocount::ui::TrainingResult result);

private:
  std::atomic<bool> cancelled_{false};
};

}  // namespace fluocount::ui

Q_DECLARE_METATYPE(fluocount::TrainingProgress)
Q_DECLARE_METATYPE(fluocount::ui::TrainingResult)
