#include "ui/model/count_worker.h"

#include "ui/model/slide_analysis.h"
#include "core/heatmap_file.h"

#include <QDir>
#include <QFileInfo>

namespace fluocount::ui {

CountWorker::CountWorker(QObject* parent) : QObject(parent) { qRegisterMetaType<CountedSlide>(); }

void CountWorker::run(std::vector<Job> jobs, std::shared_ptr<const CellCounter> counter,
                      std::optional<double> threshold) {
  const int total = int(jobs.size());
  int done = 0;
  for (const Job& job : jobs) {
    if (cancelled_) break;
    emit progress(done, total, job.slide.name);
    try {
      const SlideAnalysisResult result = analyseSlide(*counter, job.slide, threshold);
      CountedSlide counted{job.generation,   job.index, result.analysis, result.count, threshold,
                           result.thumbnail, false};
      if (!job.heatmapCache.isEmpty()) {
        try {
          QDir().mkpath(QFileInfo(job.heatmapCache).path());
          saveHeatmap(job.heatmapCache.toStdString(), result.analysis->heatmap);
          counted.heatmapCached = true;
        } catch (const std::exception&) {
          // Only a cache (e.g. a full disk): the project's next save tries again and reports a failure.
        }
      }
      emit slideCounted(counted);
    } catch (const std::exception& e) {
      emit slideFailed(job.generation, job.index, QString::fromStdString(e.what()));
    }
    ++done;
  }
  emit progress(done, total, {});
  emit finished(bool(cancelled_));
}

}  // namespace fluocount::ui
