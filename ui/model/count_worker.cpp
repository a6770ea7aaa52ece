#include "ui/model/count_worker.h"

#include "ui/model/slide_analysis.h"
#include "core/count_pipeline.h"
#include "core/heatmap_file.h"

#include <QDir>
#include <QFileInfo>

namespace fluocount::ui {

CountWorker::CountWorker(QObject* parent) : QObject(parent) { qRegisterMetaType<CountedSlide>(); }

void CountWorker::run(std::vector<Job> jobs, std::shared_ptr<const CellCounter> counter,
                      std::optional<double> threshold, std::optional<double> othersMedianPx) {
  const int total = int(jobs.size());
  std::vector<std::string> paths;
  for (Job& job : jobs) {
    paths.push_back(job.slide.imagePath.toStdString());
    job.imageStamp = imageStamp(job.slide.imagePath);  // before the pipeline reads it: a later change shows
  }
  if (!jobs.empty()) emit progress(0, total, jobs.front().slide.name);
  // The slides go through core's pipeline: while the network counts one, the next is read and the previous one
  // analysed (sweep, thumbnail, heatmap cache) and reported.
  int done = 0;
  PipelineSettings pipeline;
  pipeline.othersMedianPx = othersMedianPx;
  countInOrder(
      *counter, paths,
      [&](CountOutcome&& outcome) {
        report(jobs[outcome.index], outcome, threshold);
        ++done;
        emit progress(done, total, done < total ? jobs[std::size_t(done)].slide.name : QString());
      },
      pipeline, &cancelled_);
  emit progress(done, total, {});
  emit finished(bool(cancelled_));
}

void CountWorker::report(const Job& job, const CountOutcome& outcome, std::optional<double> threshold) {
  if (!outcome.count) {
    emit slideFailed(job.generation, job.index, QString::fromStdString(outcome.error));
    return;
  }
  try {
    const SlideAnalysisResult result = analyseCountedSlide(*outcome.count, job.slide, threshold, job.imageStamp);
    CountedSlide counted{job.generation, job.index, result.analysis, result.count, threshold, result.thumbnail, false};
    if (!job.heatmapCache.isEmpty()) {
      try {
        QDir().mkpath(QFileInfo(job.heatmapCache).path());
        const std::string file = job.heatmapCache.toStdString();
        result.analysis->heatmap->cachedIn(file, saveHeatmap(file, result.analysis->heatmap->pixels()));
        counted.heatmapCached = true;
      } catch (const std::exception&) {
        // Only a cache (e.g. a full disk): the project's next save tries again and reports a failure.
      }
    }
    emit slideCounted(counted);
  } catch (const std::exception& e) {  // e.g. a mask of the wrong size
    emit slideFailed(job.generation, job.index, QString::fromStdString(e.what()));
  }
}

}  // namespace fluocount::ui
