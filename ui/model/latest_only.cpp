#include "ui/model/latest_only.h"

#include <QtConcurrent/QtConcurrentRun>

namespace fluocount::ui {

LatestOnly::LatestOnly(QObject* parent) : QObject(parent) {
  connect(&watcher_, &QFutureWatcher<std::function<void()>>::finished, this, &LatestOnly::finishedOne);
}

LatestOnly::~LatestOnly() { cancelAndWait(); }

void LatestOnly::submit(Work work) {
  if (running_) {
    pending_ = std::move(work);
    superseded_ = true;
    return;
  }
  start(std::move(work));
}

void LatestOnly::start(Work work) {
  running_ = true;
  discardRunning_ = false;
  superseded_ = false;
  // A job that throws (a disk failing under a heatmap read back from its cache) delivers nothing, rather than
  // rethrowing on the GUI thread, where nothing could catch it.
  watcher_.setFuture(QtConcurrent::run([work = std::move(work)]() -> std::function<void()> {
    try {
      return work();
    } catch (const std::exception& e) {
      qWarning("fluocount: background work failed: %s", e.what());
      return nullptr;
    }
  }));
}

void LatestOnly::finishedOne() {
  running_ = false;
  if (!discardRunning_) {
    const std::function<void()> deliver = watcher_.future().result();
    if (deliver) deliver();
  }
  if (pending_) {
    Work next = std::move(pending_);
    pending_ = nullptr;
    start(std::move(next));
  } else {
    emit idle();
  }
}

void LatestOnly::cancelAndWait() {
  pending_ = nullptr;
  if (running_) {
    discardRunning_ = true;
    superseded_ = true;
    watcher_.waitForFinished();
  }
}

}  // namespace fluocount::ui
