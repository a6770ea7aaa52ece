#include "ui/model/slide_analysis.h"

#include "core/metrics.h"
#include "core/true_cells.h"

#include <QDir>
#include <QFileInfo>

#include <opencv2/imgproc.hpp>

namespace fluocount::ui {

Detection truthFromMask(const QString& maskPath, cv::Size imageSize, const QString& imagePath) {
  const std::string mask = maskPath.toStdString();
  return measureLabels(trueCells(mask, labelsFileFor(mask), imageSize, imagePath.toStdString()).labels);
}

Detection truthFromEditedMask(const cv::Mat& mask, const QString& maskPath) {
  return measureLabels(trueCellsOf(mask, labelsFileFor(maskPath.toStdString())).labels);
}

SlideAnalysisResult analyseSlide(const CellCounter& counter, const Slide& slide, std::optional<double> threshold) {
  return analyseCountedSlide(counter.count(slide.imagePath.toStdString()), slide, threshold);
}

SlideAnalysisResult analyseCountedSlide(const ImageCount& counted, const Slide& slide,
                                        std::optional<double> threshold) {
  auto analysis = std::make_shared<SlideAnalysis>();
  analysis->size = counted.size;
  analysis->heatmap = counted.heatmap;
  analysis->postprocess = counted.postprocess;
  analysis->cellDiameterPx = counted.cellDiameterPx;
  analysis->defaultThreshold = counted.threshold;
  analysis->seconds = counted.seconds;
  std::optional<Detection> truth;
  if (slide.hasMask()) truth = truthFromMask(slide.maskPath, counted.size, slide.imagePath);
  SweepImage image{slide.name.toStdString(), counted.heatmap, counted.postprocess, truth};
  image.objects = analysis->sweepObjects = detectAtThresholds(image, defaultSweepThresholds());
  analysis->sweep = sweepThresholds({image}, defaultSweepThresholds(), {counted.cellDiameterPx});
  SlideAnalysisResult result;
  const double t = threshold.value_or(counted.threshold);
  result.count = t == counted.threshold ? counted.detection.count() : countAt(*analysis, t);
  const QImage full = displayImage(counted.rgb);
  result.thumbnail = full.scaled(160, 120, Qt::KeepAspectRatio, Qt::SmoothTransformation);
  result.analysis = std::move(analysis);
  return result;
}

int countAt(const SlideAnalysis& analysis, double threshold) {
  return detectObjects(analysis.heatmap, threshold, analysis.postprocess).count();
}

QImage displayImage(const cv::Mat& rgb, double low, double high) {
  CV_Assert(rgb.type() == CV_32FC3);
  const double span = std::max(high - low, 1e-6);
  cv::Mat bytes;
  rgb.convertTo(bytes, CV_8UC3, 255.0 / span, -255.0 * low / span);
  QImage image(bytes.cols, bytes.rows, QImage::Format_RGB888);
  for (int y = 0; y < bytes.rows; ++y) std::memcpy(image.scanLine(y), bytes.ptr(y), std::size_t(bytes.cols) * 3);
  return image;
}

std::pair<double, double> autoContrastRange(const cv::Mat& rgb, double lowPercentile, double highPercentile) {
  // Each pixel's brightest channel: a red or green stain keeps its own range (gray would take a third of it and
  // saturate the stain).
  std::vector<cv::Mat> planes;
  cv::split(rgb, planes);
  cv::Mat intensity = planes[0];
  for (std::size_t c = 1; c < planes.size(); ++c) intensity = cv::max(intensity, planes[c]);
  // A 1024-bin histogram of [0,1] is exact enough for a display range.
  constexpr int bins = 1024;
  std::vector<std::int64_t> histogram(bins, 0);
  for (int y = 0; y < intensity.rows; ++y) {
    const float* row = intensity.ptr<float>(y);
    for (int x = 0; x < intensity.cols; ++x) ++histogram[std::clamp(int(row[x] * (bins - 1) + 0.5f), 0, bins - 1)];
  }
  const double total = double(intensity.total());
  auto percentile = [&](double p) {
    std::int64_t seen = 0;
    for (int b = 0; b < bins; ++b)
      if ((seen += histogram[b]) >= p / 100.0 * total) return double(b) / (bins - 1);
    return 1.0;
  };
  double low = percentile(lowPercentile), high = percentile(highPercentile);
  if (high - low < 0.02) high = std::min(1.0, low + 0.02);
  return {low, high};
}

}  // namespace fluocount::ui
