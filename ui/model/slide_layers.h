#pragma once
// The canvas layers of one slide as images, built off the GUI thread: the heatmap in a colour map, detection
// outlines, the user's mask, and the TP/FP/FN markers of the matching (docs/method.md section 7). No widgets.
#include "core/metrics.h"
#include "core/postprocess.h"

#include <QColor>
#include <QImage>
#include <QPointF>
#include <QVector>

namespace fluocount::ui {

// The colour the user's mask is drawn in (detections are cyan, proposals orange).
inline QColor userMaskColour() { return QColor(255, 60, 200); }

QImage heatmapLayer(const cv::Mat& heatmap);                // CV_32F [0,1] -> ARGB32, "inferno"-like colours
QImage outlineLayer(const cv::Mat& labels, QColor colour);  // object boundaries, transparent elsewhere
QImage maskLayer(const cv::Mat& mask, QColor colour);       // CV_8U non-zero -> colour, transparent elsewhere

struct MatchMarkers {
  QVector<QPointF> truePositives;  // at the predicted object's centre
  QVector<QPointF> falsePositives;
  QVector<QPointF> falseNegatives;  // at the annotated object's centre
};
MatchMarkers matchMarkers(const Detection& predicted, const Detection& truth, double maxDistancePx);

// What the canvas shows of the detections at one threshold.
struct DetectionOverlay {
  int slide = -1;
  double threshold = 0;
  int count = 0;
  cv::Mat labels;  // the detections (CV_32S), for "accept detections"
  QImage outlines;
  QVector<QPointF> centres;  // object i + 1 at centres[i]
  bool hasTruth = false;
  MatchMarkers markers;
  MatchCounts matchCounts;
};

}  // namespace fluocount::ui
