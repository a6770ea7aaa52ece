#pragma once
// The Retrain dialog: exactly which slides train and which validate (each slide with a mask gets a role the user
// can change), where training starts (the active model or scratch), the architecture and ablation switches, and
// the settings, with defaults for the device shown at the top.
#include "core/compute_device.h"
#include "ui/model/training_plan.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QDoubleSpinBox;
class QLabel;
class QRadioButton;
class QSpinBox;
class QTableWidget;

namespace fluocount::ui {

class RetrainDialog : public QDialog {
  Q_OBJECT
public:
  enum Role { Training, Validation, NotUsed };
  // editedSlides: those whose masks were drawn or corrected in FluoCount; outlinesToReview: those whose masks
  // FluoCount outlined from counts by hand and nobody has reviewed (Slide::maskOutlinedFromMarks). Both are marked in
  // the list, and the second said again under it while such a slide trains or validates.
  RetrainDialog(const TrainingPlan& suggested, const QStringList& slidesWithMasks, const QStringList& editedSlides,
                const QStringList& outlinesToReview, const ComputeDevice& device, QWidget* parent = nullptr);
  TrainingPlan plan() const;
  void setRole(const QString& slide, Role role);

private:
  void fillSlides(const QStringList& slides, const QStringList& edited);
  QString describeOutlinesToReview(const TrainingPlan& plan) const;
  void startChanged();
  void deviceChanged();
  void validate();

  TrainingPlan suggested_;
  QStringList outlinesToReview_;
  ComputeDevice device_;
  QTableWidget* slides_ = nullptr;
  QLabel* split_ = nullptr;
  QRadioButton* fromModel_ = nullptr;
  QRadioButton* fromScratch_ = nullptr;
  QComboBox* architecture_ = nullptr;
  QCheckBox* weightMaps_ = nullptr;
  QCheckBox* falseDetections_ = nullptr;
  QCheckBox* useGpu_ = nullptr;
  QCheckBox* bfloat16_ = nullptr;
  QCheckBox* eachSlideOwnDiameter_ = nullptr;
  QSpinBox* epochs_ = nullptr;
  QSpinBox* steps_ = nullptr;
  QSpinBox* cropSize_ = nullptr;
  QSpinBox* batchSize_ = nullptr;
  QDoubleSpinBox* learningRate_ = nullptr;
  QDoubleSpinBox* diameter_ = nullptr;
  QDialogButtonBox* buttons_ = nullptr;
};

}  // namespace fluocount::ui
