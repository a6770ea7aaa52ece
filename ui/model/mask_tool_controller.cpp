#include "ui/model/mask_tool_controller.h"

#include "ui/model/tools/accept_detection_tool.h"
#include "ui/model/tools/brush_tool.h"
#include "ui/model/tools/cut_tool.h"
#include "ui/model/tools/delete_in_rectangle_tool.h"
#include "ui/model/tools/delete_object_tool.h"
#include "ui/model/tools/fill_tool.h"
#include "ui/model/tools/lasso_tool.h"
#include "ui/model/tools/proposal_review_tool.h"

#include <QPainter>

namespace fluocount::ui {

MaskToolController::MaskToolController(MaskDocument* document, QObject* parent) : QObject(parent) {
  context_.document = document;
  tools_[MaskTool::Brush] = std::make_unique<BrushTool>();
  tools_[MaskTool::Eraser] = std::make_unique<EraserTool>();
  tools_[MaskTool::Fill] = std::make_unique<FillTool>();
  tools_[MaskTool::Lasso] = std::make_unique<LassoTool>(true);
  tools_[MaskTool::LassoSubtract] = std::make_unique<LassoTool>(false);
  tools_[MaskTool::DeleteObject] = std::make_unique<DeleteObjectTool>();
  tools_[MaskTool::DeleteInRectangle] = std::make_unique<DeleteInRectangleTool>();
  tools_[MaskTool::Cut] = std::make_unique<CutTool>();
  tools_[MaskTool::AcceptDetection] = std::make_unique<AcceptDetectionTool>();
  tools_[MaskTool::Propose] = std::make_unique<ProposalReviewTool>();
}

MaskToolController::~MaskToolController() = default;

MaskToolBase* MaskToolController::chosen() const {
  const auto found = tools_.find(tool_);
  return found == tools_.end() ? nullptr : found->second.get();
}

void MaskToolController::setTool(MaskTool tool) {
  if (tool == tool_) return;
  if (MaskToolBase* previous = chosen()) previous->cancel();
  tool_ = tool;
  emit toolChanged(tool);
  emit previewChanged();
}

void MaskToolController::setBrushRadius(int radius) {
  radius = std::clamp(radius, 1, 200);
  if (radius == context_.brushRadius) return;
  context_.brushRadius = radius;
  emit brushRadiusChanged(radius);
  emit previewChanged();
}

bool MaskToolController::press(QPointF point, Qt::MouseButton button, Qt::KeyboardModifiers) {
  MaskToolBase* tool = chosen();
  if (!tool || !context_.document->isOpen()) return false;
  const std::size_t pending = context_.proposals.pending.size();
  const bool used = tool->press(context_, point, button);
  if (context_.proposals.pending.size() != pending) emit proposalsChanged();
  emit previewChanged();
  return used;
}

bool MaskToolController::move(QPointF point) {
  hover_ = point;
  MaskToolBase* tool = chosen();
  if (!tool) return false;
  const bool used = tool->move(context_, point);
  emit previewChanged();
  return used;
}

bool MaskToolController::release(QPointF point) {
  MaskToolBase* tool = chosen();
  if (!tool) return false;
  const bool used = tool->release(context_, point);
  if (used) emit previewChanged();
  return used;
}

void MaskToolController::acceptAllDetections() {
  const cv::Mat& detections = context_.detections;
  if (detections.empty() || detections.size() != context_.document->mask().size()) return;
  context_.document->apply(tr("Accept all detections"),
                           [&](cv::Mat& mask) { return acceptAllObjects(mask, detections); });
  context_.document->finishEdit();
}

void MaskToolController::setProposals(const cv::Mat& labels) {
  Proposals& proposals = context_.proposals;
  proposals.labels = labels;
  proposals.pending.clear();
  double maximum = 0;
  if (!labels.empty()) cv::minMaxLoc(labels, nullptr, &maximum);
  for (int label = 1; label <= int(maximum); ++label) proposals.pending.insert(label);
  emit proposalsChanged();
}

void MaskToolController::acceptAllProposals() {
  Proposals& proposals = context_.proposals;
  if (proposals.pending.empty() || !context_.document->isEditable()) return;
  const std::vector<int> labels(proposals.pending.begin(), proposals.pending.end());
  context_.document->apply(tr("Accept all proposals"),
                           [&](cv::Mat& mask) { return acceptObjects(mask, proposals.labels, labels); });
  context_.document->finishEdit();
  proposals.pending.clear();
  emit proposalsChanged();
}

void MaskToolController::rejectAllProposals() {
  context_.proposals.pending.clear();
  emit proposalsChanged();
}

void MaskToolController::paintPreview(QPainter& painter, const QTransform& toWidget) const {
  const MaskToolBase* tool = chosen();
  if (!tool) return;
  painter.setRenderHint(QPainter::Antialiasing);
  painter.setBrush(Qt::NoBrush);
  painter.setPen(QPen(QColor(255, 255, 255), 1, Qt::DashLine));
  tool->paintPreview(painter, toWidget, context_, hover_);
}

}  // namespace fluocount::ui
