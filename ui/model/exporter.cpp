#include "ui/model/exporter.h"

#include "core/atomic_file.h"
#include "core/count_journal.h"
#include "core/export.h"
#include "core/heatmap_file.h"
#include "core/imagej_roi.h"
#include "core/run_lock.h"

#include <QDir>
#include <QFileInfo>

#include <algorithm>
#include <optional>
#include <tuple>

namespace fluocount::ui {

namespace {

void refuseExisting(const QString& path, const ExportPlan& plan) {
  if (!plan.overwrite && QFileInfo::exists(path))
    throw std::runtime_error(path.toStdString() + " already exists; choose another folder or allow replacing files");
}

}  // namespace

ExportSummary exportResults(const std::vector<ExportSlide>& slides, const CellCounter& counter, const ExportPlan& plan,
                            const std::function<void(int, int)>& progress, const std::atomic<bool>& cancel) {
  const QDir out(plan.folder);
  if (!QDir().mkpath(plan.folder)) throw std::runtime_error("cannot create the folder " + plan.folder.toStdString());
  // Its tables and files would race a batch count writing the same names there; and while it writes, it holds the
  // folder as a count does, so that a count started meanwhile is refused.
  if (const auto counting = countRunWritingTo(plan.folder.toStdString()))
    throw std::runtime_error(plan.folder.toStdString() + " is in use by " + *counting +
                             ": export to another folder, or once that run has ended");
  std::optional<RunLock> exporting;
  try {
    exporting.emplace(countRunLockFile(plan.folder.toStdString(), "run"), "FluoCount's Export",
                      plan.folder.toStdString());
  } catch (const RunLockError& e) {
    throw std::runtime_error(e.what());
  }
  if ((plan.labels && !out.mkpath("labels")) || (plan.overlays && !out.mkpath("overlays")) ||
      (plan.geojson && !out.mkpath("geojson")) || (plan.imagej && !out.mkpath("roisets")))
    throw std::runtime_error("cannot create folders in " + plan.folder.toStdString());
  // Check every target first, and read every regions file, so that a refused export writes nothing at all.
  refuseExisting(out.filePath("counts.csv"), plan);
  refuseExisting(out.filePath("regions.csv"), plan);
  if (plan.objects) refuseExisting(out.filePath("objects.csv"), plan);
  std::vector<std::vector<Region>> regionsBySlide;
  std::vector<QString> stems;  // of each slide's own files: a.png and a.tif must not write one overlays/a.png
  std::set<std::string> usedStems;
  for (const ExportSlide& s : slides) {
    const QString stem = QString::fromStdString(uniqueOutputStem(s.slide.name.toStdString(), usedStems));
    stems.push_back(stem);
    if (plan.labels) refuseExisting(out.filePath("labels/" + stem + ".png"), plan);
    if (plan.overlays) refuseExisting(out.filePath("overlays/" + stem + ".png"), plan);
    if (plan.geojson) refuseExisting(out.filePath("geojson/" + stem + ".geojson"), plan);
    if (plan.imagej) refuseExisting(out.filePath("roisets/" + stem + ".zip"), plan);
    regionsBySlide.push_back(s.slide.analysis && !s.regionsPath.isEmpty() && QFileInfo::exists(s.regionsPath)
                                 ? loadRegions(s.regionsPath.toStdString(), s.slide.analysis->size)
                                 : std::vector<Region>{});
  }
  const Overwrite overwrite = plan.overwrite ? Overwrite::Allow : Overwrite::Refuse;

  ExportSummary summary;
  std::vector<CountRow> rows;
  TableLayout layout;
  layout.markerColumns = counter.markerColumns();
  // Where a slide is counted per region, objects.csv says which regions each cell is in.
  layout.regions = std::any_of(regionsBySlide.begin(), regionsBySlide.end(),
                               [](const std::vector<Region>& regions) { return !regions.empty(); });
  std::string regions = regionsCsvHeader(layout);
  // objects.csv has a column per channel of the slide with the most: its rows wait for the last slide.
  std::vector<std::tuple<CountRow, Detection, std::vector<Region>>> objectRows;
  const bool needImages = plan.objects || plan.overlays;
  std::vector<std::string> images;
  for (const ExportSlide& s : slides) images.push_back(s.slide.imagePath.toStdString());
  const std::string run = counter.runFingerprint(images);
  layout.run = run;
  for (std::size_t i = 0; i < slides.size(); ++i) {
    if (cancel) throw std::runtime_error("export cancelled; counts.csv was not written");
    const ExportSlide& s = slides[i];
    CountRow row = counter.rowFor(s.slide.imagePath.toStdString());
    row.run = run;
    if (!s.slide.analysis) {
      row.status = "error";
      row.error = s.slide.error.isEmpty() ? "not counted" : s.slide.error.toStdString();
      rows.push_back(row);
      continue;
    }
    if (imageStamp(s.slide.imagePath) != s.slide.analysis->imageStamp) {  // its results are the earlier file's
      row.status = "error";
      row.error = "the image changed since it was counted; count it again";
      rows.push_back(row);
      continue;
    }
    const SlideAnalysis& a = *s.slide.analysis;
    // The image again, for what the tables say besides the cells (pixel size, channels): as the CLI's count does.
    const RawImage raw = loadImage(row.file, counter.settings().limits);
    const ImageFacts facts = counter.factsOf(raw);
    const cv::Mat rgb = needImages ? counter.normalisedImage(raw) : cv::Mat();
    Detection detection;
    try {
      detection =
          detectObjects(a.heatmap->pixels(), s.threshold, a.postprocess, needImages ? intensityOf(rgb) : cv::Mat());
    } catch (const HeatmapFileError& e) {  // its cache file damaged since the count: no figure rather than a wrong one
      row.status = "error";
      row.error = std::string("its saved result cannot be read back (") + e.what() + "); Count Folder counts it again";
      summary.unreadableHeatmaps.emplace_back(i, QString::fromUtf8(e.what()));
      rows.push_back(row);
      continue;
    }
    counter.measureChannels(detection, facts);
    const CellExportContext cellContext{facts.pixelSize ? facts.pixelSize->micrometres : 0,
                                        counter.settings().positivity};
    counter.recordResult(row, detection, a.size, s.threshold, a.cellDiameterPx, a.seconds, facts, a.diameterSource);
    layout.channels = std::max(layout.channels, static_cast<int>(facts.channels.size()));
    rows.push_back(row);
    summary.cells += row.count;
    ++summary.slides;
    const QString& stem = stems[i];
    if (plan.objects) objectRows.emplace_back(row, Detection{cv::Mat(), detection.objects}, regionsBySlide[i]);
    regions += regionsCsvRows(row, countByRegion(detection, regionsBySlide[i], a.size, counter.settings().positivity));
    if (plan.geojson) {
      const QString path = out.filePath("geojson/" + stem + ".geojson");
      writeFileAtomically(path.toStdString(), detectionsGeoJson(detection, cellContext), overwrite);
      summary.files << path;
    }
    if (plan.imagej) {
      const QString path = out.filePath("roisets/" + stem + ".zip");
      writeFileAtomically(path.toStdString(), detectionsRoiSet(detection, cellContext), overwrite);
      summary.files << path;
    }
    if (plan.labels) {
      const QString path = out.filePath("labels/" + stem + ".png");
      writeFileAtomically(path.toStdString(), labelsPng(detection.labels), overwrite);
      summary.files << path;
    }
    if (plan.overlays) {
      const QString path = out.filePath("overlays/" + stem + ".png");
      writeFileAtomically(path.toStdString(), overlayPng(rgb, detection, row.pixelSizeUm), overwrite);
      summary.files << path;
    }
    if (progress) progress(int(i + 1), int(slides.size()));
  }
  writeFileAtomically(out.filePath("counts.csv").toStdString(), countsCsv(rows, layout), overwrite);
  writeFileAtomically(out.filePath("regions.csv").toStdString(), regions, overwrite);
  summary.files.prepend(out.filePath("regions.csv"));
  summary.files.prepend(out.filePath("counts.csv"));
  if (plan.objects) {
    std::string objects = objectsCsvHeader(layout);
    for (const auto& [objectRow, objectDetection, objectRegions] : objectRows)
      objects += objectsCsvRows(objectRow.file, objectDetection, objectRow.pixelSizeUm, counter.settings().positivity,
                                layout, objectRegions);
    writeFileAtomically(out.filePath("objects.csv").toStdString(), objects, overwrite);
    summary.files << out.filePath("objects.csv");
  }
  return summary;
}

}  // namespace fluocount::ui
