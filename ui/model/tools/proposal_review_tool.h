#pragma once
// Review proposals: a left click accepts the proposed object under it into the mask, a right click rejects it;
// either way it leaves the pending set.
#include "ui/model/tools/mask_tool.h"

namespace fluocount::ui {

class ProposalReviewTool : public MaskToolBase {
public:
  bool press(MaskToolContext& context, QPointF point, Qt::MouseButton button) override;
};

// Accepts (copies into the mask, one undo step) or rejects one pending proposal.
void decideProposal(MaskToolContext& context, int label, bool accept);

}  // namespace fluocount::ui
