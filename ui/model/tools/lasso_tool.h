#pragma once
// Lasso: drag a closed outline; on release its inside becomes cell (add) or background (subtract).
#include "ui/model/tools/mask_tool.h"

#include <QPolygonF>

namespace fluocount::ui {

class LassoTool : public MaskToolBase {
public:
  explicit LassoTool(bool adds) : adds_(adds) {}
  bool press(MaskToolContext& context, QPointF point, Qt::MouseButton button) override;
  bool move(MaskToolContext& context, QPointF point) override;
  bool release(MaskToolContext& context, QPointF point) override;
  void cancel() override { outline_.clear(); }
  void paintPreview(QPainter& painter, const QTransform& toWidget, const MaskToolContext& context,
                    QPointF hover) const override;

private:
  bool adds_;
  QPolygonF outline_;
};

}  // namespace fluocount::ui
