#pragma once
// The mask tools as the canvas and the main window see them: which tool is chosen, the settings the tools share
// (brush size, the model's detections, the classical method's proposals), and the actions that are not a gesture
// (accept all detections or proposals). Each tool is its own class in ui/model/tools/; this object hands the
// canvas's mouse events in image coordinates to the chosen one and draws its preview. No painting of the slide
// itself happens here.
#include "ui/model/tools/mask_tool.h"

#include <QObject>

#include <map>
#include <memory>

namespace fluocount::ui {

class MaskToolController : public QObject {
  Q_OBJECT
public:
  explicit MaskToolController(MaskDocument* document, QObject* parent = nullptr);
  ~MaskToolController() override;

  MaskTool tool() const { return tool_; }
  void setTool(MaskTool tool);
  int brushRadius() const { return context_.brushRadius; }
  void setBrushRadius(int radius);  // 1..200 px

  // The model's detections on this slide (CV_32S labels), for "accept detections".
  void setDetections(const cv::Mat& labels) { context_.detections = labels; }
  void acceptAllDetections();
  // Candidate objects proposed by the classical method (CV_32S labels); all start pending.
  void setProposals(const cv::Mat& labels);
  const cv::Mat& proposals() const { return context_.proposals.labels; }
  const std::set<int>& pendingProposals() const { return context_.proposals.pending; }
  void acceptAllProposals();
  void rejectAllProposals();

  // Canvas mouse events in image coordinates. They return false when the tool does not use the event (the
  // canvas then pans).
  bool press(QPointF point, Qt::MouseButton button, Qt::KeyboardModifiers modifiers);
  bool move(QPointF point);
  bool release(QPointF point);
  void paintPreview(QPainter& painter, const QTransform& imageToWidget) const;

signals:
  void toolChanged(fluocount::ui::MaskTool tool);
  void brushRadiusChanged(int radius);
  void previewChanged();
  void proposalsChanged();

private:
  MaskToolBase* chosen() const;

  MaskToolContext context_;
  MaskTool tool_ = MaskTool::Navigate;
  std::map<MaskTool, std::unique_ptr<MaskToolBase>> tools_;
  QPointF hover_;
};

}  // namespace fluocount::ui
