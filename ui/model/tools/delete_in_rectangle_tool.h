#pragma once
// Delete in rectangle: drag a rectangle; the objects lying entirely inside it are removed.
#include "ui/model/tools/mask_tool.h"

namespace fluocount::ui {

class DeleteInRectangleTool : public DragTool {
protected:
  void finish(MaskToolContext& context, QPointF start, QPointF end) override;
};

}  // namespace fluocount::ui
