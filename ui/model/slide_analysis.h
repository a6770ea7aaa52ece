#pragma once
// Counting one slide for the GUI: the same CellCounter::count the CLI calls, plus what the panels need from it
// (the threshold sweep against the slide's mask, the count at the chosen threshold, a thumbnail). No widgets.
#include "ui/model/project.h"

#include <QImage>
#include <QPointF>
#include <QVector>

namespace fluocount::ui {

struct SlideAnalysisResult {
  std::shared_ptr<const SlideAnalysis> analysis;
  int count = 0;  // at the given threshold (the analysis' default when none)
  QImage thumbnail;
};

// The annotated cells of a slide's mask, by the one rule of core/true_cells.h that evaluate also follows.
// Throws ImageError for a mask of the wrong size.
Detection truthFromMask(const QString& maskPath, cv::Size imageSize, const QString& imagePath);
// The annotated cells a slide is matched against: its mask's (truthFromMask), else the cells marked in its count by
// hand (core/hand_counts: each mark a true cell), else none. Throws what reading them throws.
std::optional<Detection> annotatedCellsOf(const QString& maskPath, const QString& handCountPath, cv::Size imageSize,
                                          const QString& imagePath);
// The marks of a slide's count by hand, where it has one, as the canvas draws them (image coordinates, a pixel's
// centre at +0.5); none when there is no file or it cannot be read (annotatedCellsOf says why).
QVector<QPointF> handMarksOf(const QString& handCountPath, cv::Size imageSize, const QString& imagePath);
// The same for a mask being edited (in memory, saved at maskPath).
Detection truthFromEditedMask(const cv::Mat& mask, const QString& maskPath);

SlideAnalysisResult analyseSlide(const CellCounter& counter, const Slide& slide, std::optional<double> threshold);
// The same for a slide already counted (CellCounter::count or core/count_pipeline.h); imageStamp is the image's
// imageStamp taken before the count read it.
SlideAnalysisResult analyseCountedSlide(const ImageCount& counted, const Slide& slide, std::optional<double> threshold,
                                        const QString& imageStamp);

// The analysis with its sweep matched again against `truth` (none: no mask), which was read from the annotations of
// `truthStamp`. The objects do not change with the mask: they are the analysis' own, detected once if not kept yet.
std::shared_ptr<const SlideAnalysis> rematchedAnalysis(const SlideAnalysis& analysis, const std::string& name,
                                                       const std::optional<Detection>& truth,
                                                       const QString& truthStamp);

// The count of an analysed slide at another threshold (no intensities: only the number of objects); read off its
// sweep where that has the threshold.
int countAt(const SlideAnalysis& analysis, double threshold);

// An 8-bit RGB QImage of an RGB image (RGB order: normalised CV_32FC3, or raw 8- or 16-bit) with the display range
// [low, high], in the image's own values, stretched to full scale.
QImage displayImage(const cv::Mat& rgb, double low = 0, double high = 1);
// The display range, in raw values, that clips the given percentiles of each pixel's brightest channel of a raw 8- or
// 16-bit RGB image: by default 0.35 % of the pixels saturate, split between both ends, as ImageJ's Auto does.
std::pair<double, double> autoContrastRange(const cv::Mat& rgb, double lowPercentile = 0.175,
                                            double highPercentile = 99.825);

}  // namespace fluocount::ui
