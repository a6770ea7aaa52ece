#include "core/count_pipeline.h"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

namespace fluocount {
namespace {

// A blocking hand-over between two stages, holding at most `capacity` items. close() ends it from either side:
// the producer when it has no more (the consumer still takes what is queued), the consumer when it stops early
// (the producer's next push fails).
template <typename T>
class HandOver {
public:
  explicit HandOver(std::size_t capacity) : capacity_(capacity) {}

  bool push(T item) {
    std::unique_lock<std::mutex> lock(mutex_);
    notFull_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
    if (closed_) return false;
    items_.push_back(std::move(item));
    notEmpty_.notify_one();
    return true;
  }

  std::optional<T> pop() {
    std::unique_lock<std::mutex> lock(mutex_);
    notEmpty_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    notFull_.notify_one();
    return item;
  }

  void close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    notFull_.notify_all();
    notEmpty_.notify_all();
  }

private:
  std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable notFull_, notEmpty_;
  std::deque<T> items_;
  bool closed_ = false;
};

// The pixels of the images read and not yet delivered; the reader waits while they reach the budget.
class PixelBudget {
public:
  explicit PixelBudget(std::int64_t limit) : limit_(limit) {}

  // Returns false when the run stops meanwhile.
  bool waitForRoom(const std::atomic<bool>& stop) {
    std::unique_lock<std::mutex> lock(mutex_);
    returned_.wait(lock, [&] { return stop || used_ < limit_; });
    return !stop;
  }
  void take(std::int64_t pixels) {
    std::lock_guard<std::mutex> lock(mutex_);
    used_ += pixels;
  }
  void giveBack(std::int64_t pixels) {
    std::lock_guard<std::mutex> lock(mutex_);
    used_ -= pixels;
    returned_.notify_all();
  }
  void wake() {
    std::lock_guard<std::mutex> lock(mutex_);
    returned_.notify_all();
  }

private:
  std::int64_t limit_, used_ = 0;
  std::mutex mutex_;
  std::condition_variable returned_;
};

bool cancelled(const std::atomic<bool>* cancel) { return cancel && cancel->load(); }

// Runs one stage on an outcome that has a count so far; a failure replaces the count by its message.
template <typename Stage>
void runStage(CountOutcome& outcome, Stage&& stage) {
  if (!outcome.count) return;
  try {
    stage(*outcome.count);
  } catch (const std::exception& e) {
    outcome.count.reset();
    outcome.error = e.what();
  }
}

CountOutcome preparedOutcome(const CellCounter& counter, const std::vector<std::string>& paths, std::size_t index) {
  CountOutcome outcome{index, paths[index], std::nullopt, {}};
  try {
    outcome.count = counter.prepareCount(loadImage(paths[index], counter.settings().limits));
  } catch (const std::exception& e) {
    outcome.error = e.what();
  }
  return outcome;
}

std::size_t countOneAtATime(const CellCounter& counter, const std::vector<std::string>& paths,
                            const std::function<void(CountOutcome&&)>& deliver, const PipelineSettings& settings,
                            const std::atomic<bool>* cancel) {
  std::size_t delivered = 0;
  for (std::size_t i = 0; i < paths.size() && !cancelled(cancel); ++i) {
    CountOutcome outcome = preparedOutcome(counter, paths, i);
    runStage(outcome, [&](ImageCount& image) { counter.computeHeatmap(image, settings.othersMedianPx); });
    runStage(outcome, [&](ImageCount& image) { counter.finishCount(image); });
    deliver(std::move(outcome));
    ++delivered;
  }
  return delivered;
}

}  // namespace

bool overlapsStages(const CellCounter& counter, const PipelineSettings& settings) {
  switch (settings.overlap) {
    case Overlap::Always: return true;
    case Overlap::Never: return false;
    case Overlap::Automatic: break;
  }
  return counter.leavesCoresIdle();
}

std::size_t countInOrder(const CellCounter& counter, const std::vector<std::string>& paths,
                         const std::function<void(CountOutcome&&)>& deliver, const PipelineSettings& settings,
                         const std::atomic<bool>* cancel) {
  if (!overlapsStages(counter, settings) || paths.size() < 2)
    return countOneAtATime(counter, paths, deliver, settings, cancel);

  struct InFlight {
    CountOutcome outcome;
    std::int64_t pixels = 0;  // taken from the budget when read, given back when delivered or dropped
  };
  HandOver<InFlight> read(1), computed(1);
  PixelBudget budget(settings.maxPixelsInFlight);
  std::atomic<bool> stopReading{false};  // no more images will be computed
  std::atomic<bool> deliverFailed{false};
  std::exception_ptr deliverFailure;
  std::size_t delivered = 0;

  std::thread reader([&] {
    for (std::size_t i = 0; i < paths.size(); ++i) {
      if (cancelled(cancel) || !budget.waitForRoom(stopReading)) break;
      InFlight item{preparedOutcome(counter, paths, i), 0};
      item.pixels = item.outcome.count ? std::int64_t(item.outcome.count->size.area()) : 0;
      budget.take(item.pixels);
      const std::int64_t pixels = item.pixels;
      if (!read.push(std::move(item))) {
        budget.giveBack(pixels);
        break;
      }
    }
    read.close();
  });

  std::thread finisher([&] {
    while (std::optional<InFlight> item = computed.pop()) {
      runStage(item->outcome, [&](ImageCount& image) { counter.finishCount(image); });
      try {
        deliver(std::move(item->outcome));
        ++delivered;
      } catch (...) {
        deliverFailure = std::current_exception();
        deliverFailed = true;
        stopReading = true;
        computed.close();
      }
      budget.giveBack(item->pixels);
      if (deliverFailed) break;
    }
  });

  // The network stage, on the caller's thread: the only one that runs the network.
  while (std::optional<InFlight> item = read.pop()) {
    const std::int64_t pixels = item->pixels;
    if (cancelled(cancel) || deliverFailed) {
      budget.giveBack(pixels);
      break;
    }
    runStage(item->outcome, [&](ImageCount& image) { counter.computeHeatmap(image, settings.othersMedianPx); });
    if (!computed.push(std::move(*item))) {
      budget.giveBack(pixels);
      break;
    }
  }
  stopReading = true;
  read.close();  // a reader waiting to hand over, or for room, ends
  budget.wake();
  computed.close();
  reader.join();
  finisher.join();
  if (deliverFailure) std::rethrow_exception(deliverFailure);
  return delivered;
}

}  // namespace fluocount
