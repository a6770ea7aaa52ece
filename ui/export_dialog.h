#pragma once
// Asks where to export and what: counts.csv always; objects.csv, label masks and overlays on request.
#include "ui/model/exporter.h"

#include <QDialog>

class QCheckBox;
class QLineEdit;

namespace fluocount::ui {

class ExportDialog : public QDialog {
  Q_OBJECT
public:
  ExportDialog(const QString& suggestedFolder, QWidget* parent = nullptr);
  ExportPlan plan() const;

private:
  QLineEdit* folder_;
  QCheckBox *objects_, *labels_, *overlays_, *geojson_, *imagej_, *overwrite_;
};

}  // namespace fluocount::ui
