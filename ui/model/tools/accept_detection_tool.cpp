#include "ui/model/tools/accept_detection_tool.h"

#include <QObject>

namespace fluocount::ui {

std::vector<int> detectionsInside(const cv::Mat& detections, cv::Rect box) {
  std::set<int> inside, crossing;
  for (int y = 0; y < detections.rows; ++y) {
    const int* row = detections.ptr<int>(y);
    for (int x = 0; x < detections.cols; ++x)
      if (row[x]) (box.contains({x, y}) ? inside : crossing).insert(row[x]);
  }
  std::vector<int> accepted;
  for (int label : inside)
    if (!crossing.count(label)) accepted.push_back(label);
  return accepted;
}

void AcceptDetectionTool::finish(MaskToolContext& context, QPointF start, QPointF end) {
  const cv::Mat& detections = context.detections;
  if (detections.empty() || detections.size() != context.document->mask().size()) return;
  const QRectF area = QRectF(start, end).normalized();
  const cv::Point at = pixel(area.topLeft());
  const cv::Rect image(0, 0, detections.cols, detections.rows);
  std::vector<int> accepted;
  QString text;
  if (area.width() < 3 && area.height() < 3) {  // a click
    if (!image.contains(at) || !detections.at<int>(at)) return;
    accepted = {detections.at<int>(at)};
    text = QObject::tr("Accept detection");
  } else {
    accepted = detectionsInside(detections, cv::Rect(at, pixel(area.bottomRight()) + cv::Point(1, 1)) & image);
    text = QObject::tr("Accept %n detection(s)", nullptr, int(accepted.size()));
  }
  context.document->apply(text, [&](cv::Mat& mask) { return acceptObjects(mask, detections, accepted); });
}

}  // namespace fluocount::ui
