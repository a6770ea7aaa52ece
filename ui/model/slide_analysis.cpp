#include "ui/model/slide_analysis.h"

#include "core/detections_at_thresholds.h"
#include "core/hand_counts.h"
#include "core/image_io.h"
#include "core/metrics.h"
#include "core/true_cells.h"

#include <QDir>
#include <QFileInfo>

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace fluocount::ui {

Detection truthFromMask(const QString& maskPath, cv::Size imageSize, const QString& imagePath) {
  const std::string mask = maskPath.toStdString();
  return measureLabels(trueCells(mask, labelsFileFor(mask), imageSize, imagePath.toStdString()).labels);
}

std::optional<Detection> annotatedCellsOf(const QString& maskPath, const QString& handCountPath, cv::Size imageSize,
                                          const QString& imagePath) {
  if (!maskPath.isEmpty()) return truthFromMask(maskPath, imageSize, imagePath);
  if (!handCountPath.isEmpty())
    return marksAsCells(loadHandCount(handCountPath.toStdString(), imageSize, imagePath.toStdString()).marks);
  return std::nullopt;
}

QVector<QPointF> handMarksOf(const QString& handCountPath, cv::Size imageSize, const QString& imagePath) {
  QVector<QPointF> marks;
  if (handCountPath.isEmpty()) return marks;
  try {
    for (const cv::Point2d& mark : loadHandCount(handCountPath.toStdString(), imageSize, imagePath.toStdString()).marks)
      marks.append(QPointF(mark.x + 0.5, mark.y + 0.5));
  } catch (const std::exception&) {  // said where the slide is matched (annotatedCellsOf)
    marks.clear();
  }
  return marks;
}

Detection truthFromEditedMask(const cv::Mat& mask, const QString& maskPath) {
  return measureLabels(trueCellsOf(mask, labelsFileFor(maskPath.toStdString())).labels);
}

SlideAnalysisResult analyseSlide(const CellCounter& counter, const Slide& slide, std::optional<double> threshold) {
  const QString stamp = imageStamp(slide.imagePath);
  return analyseCountedSlide(counter.count(slide.imagePath.toStdString()), slide, threshold, stamp);
}

SlideAnalysisResult analyseCountedSlide(const ImageCount& counted, const Slide& slide, std::optional<double> threshold,
                                        const QString& imageStamp) {
  auto analysis = std::make_shared<SlideAnalysis>();
  analysis->imageStamp = imageStamp;
  analysis->size = counted.size;
  analysis->heatmap = std::make_shared<SlideHeatmap>(counted.heatmap);
  analysis->postprocess = counted.postprocess;
  analysis->cellDiameterPx = counted.cellDiameterPx;
  analysis->diameterSource = counted.diameterSource;
  analysis->defaultThreshold = counted.threshold;
  analysis->seconds = counted.seconds;
  // Before the annotations are read: a later change is seen as one.
  analysis->truthStamp = truthStamp(slide.maskPath, slide.handCountPath);
  const std::optional<Detection> truth =
      annotatedCellsOf(slide.maskPath, slide.handCountPath, counted.size, slide.imagePath);
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

std::shared_ptr<const SlideAnalysis> rematchedAnalysis(const SlideAnalysis& analysis, const std::string& name,
                                                       const std::optional<Detection>& truth,
                                                       const QString& truthStamp) {
  auto updated = std::make_shared<SlideAnalysis>(analysis);
  // Kept objects need no heatmap: a slide whose heatmap left memory is not read back for a mask edit.
  SweepImage image{name, analysis.sweepObjects ? cv::Mat() : analysis.heatmap->pixels(), analysis.postprocess, truth};
  image.objects = updated->sweepObjects =
      analysis.sweepObjects ? analysis.sweepObjects : detectAtThresholds(image, defaultSweepThresholds());
  updated->sweep = sweepThresholds({image}, defaultSweepThresholds(), {analysis.cellDiameterPx});
  updated->truthStamp = truthStamp;
  return updated;
}

int countAt(const SlideAnalysis& analysis, double threshold) {
  // On a threshold the slide was swept at (the model's, the knee, the best F1, any multiple of 0.025 from 0.5),
  // the sweep has the count: a folder of hundreds of slides is recounted without reading a heatmap.
  if (const std::optional<int> swept = sweptCountAt(analysis.sweep, threshold)) return *swept;
  return int(countObjectsAt(analysis.heatmap->pixels(), threshold, analysis.postprocess));
}

QImage displayImage(const cv::Mat& rgb, double low, double high) {
  CV_Assert(rgb.channels() == 3 && (rgb.depth() == CV_32F || rgb.depth() == CV_8U || rgb.depth() == CV_16U));
  const double span = std::max(high - low, 1e-6);
  cv::Mat bytes;
  rgb.convertTo(bytes, CV_8UC3, 255.0 / span, -255.0 * low / span);
  QImage image(bytes.cols, bytes.rows, QImage::Format_RGB888);
  for (int y = 0; y < bytes.rows; ++y) std::memcpy(image.scanLine(y), bytes.ptr(y), std::size_t(bytes.cols) * 3);
  return image;
}

namespace {

// autoContrastRange of a float image: its pixels' brightest channels, finite ones only, sorted.
std::pair<double, double> floatAutoContrastRange(const cv::Mat& rgb, double lowPercentile, double highPercentile) {
  std::vector<cv::Mat> planes;
  cv::split(rgb, planes);
  const cv::Mat brightest = cv::max(cv::max(planes[0], planes[1]), planes[2]);
  std::vector<float> values = finiteSamples(brightest);
  if (values.empty()) return {0.0, 1.0};
  std::sort(values.begin(), values.end());
  const auto percentile = [&](double p) {
    const double wanted = p / 100.0 * double(values.size());
    return double(values[std::min(values.size(), std::max<std::size_t>(1, std::size_t(std::ceil(wanted)))) - 1]);
  };
  const double low = percentile(lowPercentile), high = percentile(highPercentile);
  // A flat image still gets a range: 2 % of its brightest value's magnitude.
  const double minimumSpan = std::max(1e-6, 0.02 * std::max(std::abs(values.front()), std::abs(values.back())));
  return {low, std::max(high, low + minimumSpan)};
}

}  // namespace

std::pair<double, double> autoContrastRange(const cv::Mat& rgb, double lowPercentile, double highPercentile) {
  CV_Assert(rgb.channels() == 3 && (rgb.depth() == CV_8U || rgb.depth() == CV_16U || rgb.depth() == CV_32F));
  if (rgb.depth() == CV_32F) return floatAutoContrastRange(rgb, lowPercentile, highPercentile);
  // Each pixel's brightest channel: a red or green stain keeps its own range (gray would take a third of it and
  // saturate the stain). One histogram bin per raw value.
  std::vector<cv::Mat> planes;
  cv::split(rgb, planes);
  cv::Mat brightest = cv::max(cv::max(planes[0], planes[1]), planes[2]);
  brightest.convertTo(brightest, CV_32S);
  std::vector<std::int64_t> histogram(rgb.depth() == CV_16U ? 65536 : 256, 0);
  for (int y = 0; y < brightest.rows; ++y) {
    const int* row = brightest.ptr<int>(y);
    for (int x = 0; x < brightest.cols; ++x) ++histogram[std::size_t(row[x])];
  }
  const double total = double(rgb.total());
  auto percentile = [&](double p) {
    std::int64_t seen = 0;
    for (std::size_t value = 0; value < histogram.size(); ++value)
      if ((seen += histogram[value]) >= p / 100.0 * total) return double(value);
    return double(histogram.size() - 1);
  };
  double low = percentile(lowPercentile), high = percentile(highPercentile);
  // A flat image still gets a range: 2 % of full scale (for 16-bit, of its brightest value: a 12-bit camera's
  // 4095), above its level where the type has room.
  const double fullScale = rgb.depth() == CV_8U ? 255.0 : std::max(1.0, percentile(100));
  const double minimumSpan = 0.02 * fullScale, typeTop = double(histogram.size() - 1);
  if (high - low < minimumSpan) {
    high = std::min(typeTop, low + minimumSpan);
    low = std::min(low, high - minimumSpan);
  }
  return {low, high};
}

}  // namespace fluocount::ui
