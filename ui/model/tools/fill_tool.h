#pragma once
// Fill: a click fills the 4-connected region under it with the opposite value (the inside of an outlined cell
// becomes cell; a click on a cell clears it).
#include "ui/model/tools/mask_tool.h"

namespace fluocount::ui {

class FillTool : public MaskToolBase {
public:
  bool press(MaskToolContext& context, QPointF point, Qt::MouseButton button) override;
};

}  // namespace fluocount::ui
