#pragma once
// Cut: drag a line across an object; a 2 px line is cleared along it, which splits the object in two.
#include "ui/model/tools/mask_tool.h"

namespace fluocount::ui {

class CutTool : public DragTool {
public:
  void paintPreview(QPainter& painter, const QTransform& toWidget, const MaskToolContext& context,
                    QPointF hover) const override;

protected:
  void finish(MaskToolContext& context, QPointF start, QPointF end) override;
};

}  // namespace fluocount::ui
