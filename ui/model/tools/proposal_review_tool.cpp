#include "ui/model/tools/proposal_review_tool.h"

#include <QObject>

namespace fluocount::ui {

void decideProposal(MaskToolContext& context, int label, bool accept) {
  Proposals& proposals = context.proposals;
  proposals.pending.erase(label);
  if (!accept) return;
  context.document->apply(QObject::tr("Accept proposal"),
                          [&](cv::Mat& mask) { return acceptObjects(mask, proposals.labels, {label}); });
  context.document->finishEdit();
}

bool ProposalReviewTool::press(MaskToolContext& context, QPointF point, Qt::MouseButton button) {
  const cv::Mat& labels = context.proposals.labels;
  const cv::Point at = pixel(point);
  if (labels.empty() || !cv::Rect(0, 0, labels.cols, labels.rows).contains(at)) return true;
  const int label = labels.at<int>(at);
  if (label && context.proposals.pending.count(label)) decideProposal(context, label, button == Qt::LeftButton);
  return true;
}

}  // namespace fluocount::ui
