#pragma once
// Exporting a project's results: counts.csv with the same columns and numbers as `fluocount-cli count` (plus the
// options that reproduce each row), and on request objects.csv, 16-bit label masks and overlay PNGs. Objects are
// re-detected from the cached heatmaps, so exporting never re-runs the network. No widgets.
#include "ui/model/project.h"

#include <atomic>
#include <functional>
#include <utility>
#include <vector>

namespace fluocount::ui {

struct ExportPlan {
  QString folder;
  bool objects = false, labels = false, overlays = false;
  bool overwrite = false;                // by default an existing file is an error and nothing is written
  bool geojson = false, imagej = false;  // each slide's cells for QuPath (geojson/) and Fiji (roisets/)
};

struct ExportSlide {
  Slide slide;
  double threshold = 0;
  QString regionsPath;  // the slide's regions file (need not exist: the whole slide is one region)
};

struct ExportSummary {
  int slides = 0, cells = 0;
  QStringList files;  // written
  // Slides (by index) whose saved heatmap could not be read back: exported as error rows, with why.
  std::vector<std::pair<std::size_t, QString>> unreadableHeatmaps;
};

// Throws std::runtime_error naming the file on failure (files written before stay complete: every write is
// atomic). progress(done, total) is called from the calling thread; a set cancel flag stops between slides.
ExportSummary exportResults(const std::vector<ExportSlide>& slides, const CellCounter& counter, const ExportPlan& plan,
                            const std::function<void(int, int)>& progress, const std::atomic<bool>& cancel);

}  // namespace fluocount::ui
