#pragma once
// Counting settings: which model (the bundled one, a model file of the user's, or the classical method), the cell
// diameter, advanced post-processing, and where the network runs (GPU name, or CPU and why).
#include "ui/model/project.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;

namespace fluocount::ui {

class SettingsDialog : public QDialog {
  Q_OBJECT
public:
  SettingsDialog(const ProjectSettings& settings, const QStringList& userModels, QWidget* parent = nullptr);
  ProjectSettings settings() const;
  void accept() override;  // refuses a channel choice that is not one channel or three
  QStringList userModels() const { return userModels_; }

private:
  void chooseModelFile();
  void describeModel();

  ProjectSettings original_;
  QStringList userModels_;
  QComboBox* model_;
  QLabel* modelInfo_;
  QDoubleSpinBox* diameter_;
  QComboBox* diameterMode_;  // measured per slide, px, or µm (converted per slide by its pixel size)
  QCheckBox* overrideArea_;
  QDoubleSpinBox* minArea_;
  QCheckBox* split_;
  QCheckBox* fasterArithmetic_;
  std::optional<NetworkPrecision> fasterPrecision_;  // what the box turns on here, if anything
  QCheckBox* setPixelSize_;
  QDoubleSpinBox* pixelSize_;
  QLineEdit* channels_;
  QLabel* channelsError_;
  QLabel* diameterInMicrometres_;
};

}  // namespace fluocount::ui
