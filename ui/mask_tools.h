#pragma once
// The mask-editing tools as the canvas uses them: mouse events in image coordinates become core edits on the
// MaskDocument (one undo step per stroke or action), and each tool draws its own preview (brush outline, lasso,
// rectangle, cut line). Auto-propose keeps the classical method's candidate objects until each is accepted or
// rejected. No painting of the slide itself happens here.
#include "ui/mask_document.h"

#include <QObject>
#include <QPointF>
#include <QPolygonF>
#include <QTransform>

#include <set>

class QPainter;

namespace fluocount::ui {

enum class MaskTool { Navigate, Brush, Eraser, Fill, Lasso, LassoSubtract, DeleteObject, DeleteInRectangle, Cut,
                      AcceptDetection, Propose };

QString toolName(MaskTool tool);

class MaskToolController : public QObject {
  Q_OBJECT
public:
  explicit MaskToolController(MaskDocument* document, QObject* parent = nullptr);

  MaskTool tool() const { return tool_; }
  void setTool(MaskTool tool);
  int brushRadius() const { return brushRadius_; }
  void setBrushRadius(int radius);  // 1..200 px

  // The model's detections on this slide (CV_32S labels), for "accept detections".
  void setDetections(const cv::Mat& labels) { detections_ = labels; }
  void acceptAllDetections();
  // Candidate objects proposed by the classical method (CV_32S labels); all start pending.
  void setProposals(const cv::Mat& labels);
  const cv::Mat& proposals() const { return proposals_; }
  const std::set<int>& pendingProposals() const { return pending_; }
  void acceptAllProposals();
  void rejectAllProposals();

  // Canvas mouse events in image coordinates. They return false when the tool does not use the event (the
  // canvas then pans).
  bool press(QPointF point, Qt::MouseButton button, Qt::KeyboardModifiers modifiers);
  bool move(QPointF point);
  bool release(QPointF point);
  void paintPreview(QPainter& painter, const QTransform& imageToWidget) const;

signals:
  void toolChanged(fluocount::ui::MaskTool tool);
  void brushRadiusChanged(int radius);
  void previewChanged();
  void proposalsChanged();

private:
  cv::Point pixel(QPointF point) const;
  bool editable() const { return document_->isEditable(); }
  void stroke(QPointF to);
  void acceptProposal(int label, bool accept);
  void acceptDetectionsAt(const QRectF& area);  // a click (tiny area) or a rectangle

  MaskDocument* document_;
  MaskTool tool_ = MaskTool::Navigate;
  int brushRadius_ = 8;
  bool active_ = false;
  QPointF start_, last_, hover_;
  QPolygonF lasso_;
  int strokeId_ = 0;
  cv::Mat detections_, proposals_;
  std::set<int> pending_;
};

}  // namespace fluocount::ui
