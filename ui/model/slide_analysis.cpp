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
  CV_Assert(rgb.channels() == 3 && (rgb.depth() == CV_32F || rgb.depth() == CV_8U || rgb.depth() == CV_16U));
  const double span = std::max(high - low, 1e-6);
  cv::Mat bytes;
  rgb.convertTo(bytes, CV_8UC3, 255.0 / span, -255.0 * low / span);
  QImage image(bytes.cols, bytes.rows, QImage::Format_RGB888);
  for (int y = 0; y < bytes.rows; ++y) std::memcpy(image.scanLine(y), bytes.ptr(y), std::size_t(bytes.cols) * 3);
  return image;
}

namespace {

// The brightest channel's histogram: one bin per value of an 8- or 16-bit image, 1024 bins of [0,1] for a
// normalised one; `valueOf` turns a bin back into the image's own value.
struct BrightestHistogram {
  std::vector<std::int64_t> counts;
  double binWidth = 1;
  double fullScale = 1;  // 1 normalised, 255 for 8-bit, the brightest value present for 16-bit (a 12-bit camera's)
  double valueOf(std::size_t bin) const { return double(bin) * binWidth; }
};

BrightestHistogram brightestChannelHistogram(const cv::Mat& rgb) {
  // Each pixel's brightest channel: a red or green stain keeps its own range (gray would take a third of it and
  // saturate the stain).
  std::vector<cv::Mat> planes;
  cv::split(rgb, planes);
  cv::Mat brightest = planes[0];
  for (std::size_t c = 1; c < planes.size(); ++c) brightest = cv::max(brightest, planes[c]);
  BrightestHistogram histogram;
  if (rgb.depth() == CV_32F) {
    constexpr int bins = 1024;  // exact enough for a display range
    histogram.counts.assign(bins, 0);
    histogram.binWidth = 1.0 / (bins - 1);
    histogram.fullScale = 1;
    for (int y = 0; y < brightest.rows; ++y) {
      const float* row = brightest.ptr<float>(y);
      for (int x = 0; x < brightest.cols; ++x)
        ++histogram.counts[std::clamp(int(row[x] * (bins - 1) + 0.5f), 0, bins - 1)];
    }
    return histogram;
  }
  const bool sixteen = rgb.depth() == CV_16U;
  histogram.counts.assign(sixteen ? 65536 : 256, 0);
  for (int y = 0; y < brightest.rows; ++y)
    for (int x = 0; x < brightest.cols; ++x)
      ++histogram.counts[sixteen ? brightest.ptr<std::uint16_t>(y)[x] : brightest.ptr<std::uint8_t>(y)[x]];
  histogram.fullScale = 255;
  if (sixteen) {
    std::size_t top = histogram.counts.size() - 1;
    while (top > 1 && histogram.counts[top] == 0) --top;
    histogram.fullScale = double(top);
  }
  return histogram;
}

}  // namespace

std::pair<double, double> autoContrastRange(const cv::Mat& rgb, double lowPercentile, double highPercentile) {
  const BrightestHistogram histogram = brightestChannelHistogram(rgb);
  const double total = double(rgb.total());
  auto percentile = [&](double p) {
    std::int64_t seen = 0;
    for (std::size_t b = 0; b < histogram.counts.size(); ++b)
      if ((seen += histogram.counts[b]) >= p / 100.0 * total) return histogram.valueOf(b);
    return histogram.valueOf(histogram.counts.size() - 1);
  };
  double low = percentile(lowPercentile), high = percentile(highPercentile);
  // A flat image still gets a range: 2 % of full scale, above its level where the type has room.
  const double minimumSpan = 0.02 * histogram.fullScale;
  const double typeTop = rgb.depth() == CV_32F ? 1.0 : rgb.depth() == CV_8U ? 255.0 : 65535.0;
  if (high - low < minimumSpan) {
    high = std::min(typeTop, low + minimumSpan);
    low = std::min(low, high - minimumSpan);
  }
  return {low, high};
}

}  // namespace fluocount::ui
