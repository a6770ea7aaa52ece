#pragma once
// Counts slides on a worker thread (Qt's Mandelbrot-example pattern): results arrive one slide at a time by
// signal, a cancel flag stops it between slides (those already past the network are still reported). Every job carries the project generation it was made in, and so
// does its result: a slide still being counted when the folder or the settings change comes back stale, and the
// project drops it.
#include "ui/model/project.h"

#include "core/count_pipeline.h"

#include <QObject>
#include <QVector>

#include <atomic>

namespace fluocount::ui {

class CountWorker : public QObject {
  Q_OBJECT
public:
  explicit CountWorker(QObject* parent = nullptr);
  // Thread-safe: the slide being counted finishes, the rest are skipped.
  void cancel() { cancelled_ = true; }
  // Runs on the worker's thread (call through QMetaObject::invokeMethod). Slides are copied: the project may
  // change meanwhile.
  struct Job {
    Generation generation = 0;
    int index = 0;
    Slide slide;
    QString heatmapCache;  // where to keep the heatmap (empty: nowhere)
    QString imageStamp;    // the image's imageStamp when the run started (set by run)
  };
  // `othersMedianPx`: the folder's second pass (core/counter.h, SecondPass) over slides whose estimate found too few
  // cells: each is counted at this, the median of the other slides' estimates.
  void run(std::vector<Job> jobs, std::shared_ptr<const CellCounter> counter, std::optional<double> threshold,
           std::optional<double> othersMedianPx = std::nullopt);
  void resetCancel() { cancelled_ = false; }

signals:
  void slideCounted(fluocount::ui::CountedSlide counted);
  void slideFailed(fluocount::ui::Generation generation, int index, QString error);
  void progress(int done, int total, QString current);
  void finished(bool cancelled);

private:
  // One slide's outcome as the signals below (on the pipeline's post-processing thread).
  void report(const Job& job, const CountOutcome& outcome, std::optional<double> threshold);

  std::atomic<bool> cancelled_{false};
};

}  // namespace fluocount::ui

Q_DECLARE_METATYPE(fluocount::ui::CountedSlide)
