#pragma once
// A mask-editing tool, as the canvas drives it: mouse events in image coordinates that become edits on the
// MaskDocument (each through its undo history), and a preview the tool draws over the slide (a brush outline, a
// lasso, a rectangle, a cut line). One class per tool, each in its own file; MaskToolController holds them and the
// settings they share. No widgets: the tests drive tools with points.
#include "ui/model/mask_document.h"

#include <QPointF>
#include <QString>
#include <QTransform>

#include <set>

class QPainter;

namespace fluocount::ui {

enum class MaskTool {
  Navigate,
  Brush,
  Eraser,
  Fill,
  Lasso,
  LassoSubtract,
  DeleteObject,
  DeleteInRectangle,
  Cut,
  AcceptDetection,
  Propose
};

QString toolName(MaskTool tool);

// Objects the classical method proposes (CV_32S labels) and those the user has not yet accepted or rejected.
struct Proposals {
  cv::Mat labels;
  std::set<int> pending;
};

// What the tools share: the document, the brush size, the model's detections on this slide, the proposals.
struct MaskToolContext {
  MaskDocument* document = nullptr;
  int brushRadius = 8;
  cv::Mat detections;  // CV_32S labels, or empty
  Proposals proposals;
  int lastStrokeId = 0;  // strokes of every tool are numbered in one sequence, so that two never merge
};

class MaskToolBase {
public:
  virtual ~MaskToolBase() = default;
  // Each returns false when the tool does not use the event (the canvas then pans).
  virtual bool press(MaskToolContext& context, QPointF point, Qt::MouseButton button) = 0;
  virtual bool move(MaskToolContext& context, QPointF point);
  virtual bool release(MaskToolContext& context, QPointF point);
  // A gesture in progress is dropped (another tool was chosen, or another slide shown).
  virtual void cancel() {}
  virtual void paintPreview(QPainter& painter, const QTransform& toWidget, const MaskToolContext& context,
                            QPointF hover) const;

protected:
  static cv::Point pixel(QPointF point);
};

// The tools that act on a drag from a press to a release: a rectangle (previewed as one) or a line.
class DragTool : public MaskToolBase {
public:
  bool press(MaskToolContext& context, QPointF point, Qt::MouseButton button) override;
  bool move(MaskToolContext& context, QPointF point) override;
  bool release(MaskToolContext& context, QPointF point) override;
  void cancel() override { dragging_ = false; }
  void paintPreview(QPainter& painter, const QTransform& toWidget, const MaskToolContext& context,
                    QPointF hover) const override;

protected:
  // Called once the drag ends, with its start and end.
  virtual void finish(MaskToolContext& context, QPointF start, QPointF end) = 0;
  bool dragging_ = false;
  QPointF start_, last_;
};

}  // namespace fluocount::ui
