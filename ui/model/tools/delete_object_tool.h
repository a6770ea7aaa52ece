#pragma once
// Delete object: a click removes the 8-connected object under it.
#include "ui/model/tools/mask_tool.h"

namespace fluocount::ui {

class DeleteObjectTool : public MaskToolBase {
public:
  bool press(MaskToolContext& context, QPointF point, Qt::MouseButton button) override;
};

}  // namespace fluocount::ui
