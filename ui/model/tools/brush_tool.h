#pragma once
// Brush and eraser: a round brush swept along the mouse; a stroke (press to release) is one undo step.
#include "ui/model/tools/mask_tool.h"

namespace fluocount::ui {

class BrushTool : public MaskToolBase {
public:
  explicit BrushTool(std::uint8_t paints = kCell) : paints_(paints) {}
  bool press(MaskToolContext& context, QPointF point, Qt::MouseButton button) override;
  bool move(MaskToolContext& context, QPointF point) override;
  bool release(MaskToolContext& context, QPointF point) override;
  void cancel() override { stroking_ = false; }
  void paintPreview(QPainter& painter, const QTransform& toWidget, const MaskToolContext& context,
                    QPointF hover) const override;

private:
  void strokeTo(MaskToolContext& context, QPointF point);

  std::uint8_t paints_;
  bool stroking_ = false;
  QPointF last_;
  int strokeId_ = 0;  // the segments of one stroke merge into one undo step
};

class EraserTool : public BrushTool {
public:
  EraserTool() : BrushTool(kBackground) {}
};

}  // namespace fluocount::ui
