#pragma once
// Runs work off the GUI thread so that dragging a slider never blocks it: one job at a time, and requests that
// arrive meanwhile replace each other, so only the newest waiting one runs next (stale ones are dropped). Each
// finished job's result is delivered on the GUI thread, which shows progress while the user is still dragging.
#include <QFutureWatcher>
#include <QObject>

#include <atomic>
#include <functional>

namespace fluocount::ui {

class LatestOnly : public QObject {
  Q_OBJECT
public:
  // work runs on Qt's thread pool and returns what to do with its result on this object's thread.
  using Work = std::function<std::function<void()>()>;

  explicit LatestOnly(QObject* parent = nullptr);
  ~LatestOnly() override;
  void submit(Work work);
  bool busy() const { return running_; }
  // True while a newer request waits behind the running job (or it is being cancelled): long work, such as a
  // folder's recount, checks it between items and returns nothing, so that the newest request starts at once.
  bool superseded() const { return superseded_.load(); }
  // Drops the waiting request and waits for the running one (whose result is then not delivered).
  void cancelAndWait();

signals:
  void idle();  // nothing running and nothing waiting

private:
  void start(Work work);
  void finishedOne();

  QFutureWatcher<std::function<void()>> watcher_;
  Work pending_;
  bool running_ = false;
  bool discardRunning_ = false;
  std::atomic<bool> superseded_{false};
};

}  // namespace fluocount::ui
