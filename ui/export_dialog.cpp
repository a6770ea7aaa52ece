#include "ui/export_dialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace fluocount::ui {

ExportDialog::ExportDialog(const QString& suggestedFolder, QWidget* parent) : QDialog(parent) {
  setWindowTitle(tr("Export results"));
  folder_ = new QLineEdit(suggestedFolder);
  auto* browse = new QPushButton(tr("Choose..."));
  objects_ = new QCheckBox(tr("objects.csv: one row per cell (centre, area, box, probability, intensity)"));
  labels_ = new QCheckBox(tr("Label masks (16-bit PNG per slide, in labels/)"));
  overlays_ = new QCheckBox(tr("Overlays (PNG per slide with outlines and a scale bar, in overlays/)"));
  geojson_ = new QCheckBox(tr("Cells for QuPath (GeoJSON detections per slide, in geojson/)"));
  imagej_ = new QCheckBox(tr("Cells for Fiji (ImageJ RoiSet.zip per slide, in roisets/)"));
  overwrite_ = new QCheckBox(tr("Replace existing files"));
  auto* folderRow = new QHBoxLayout;
  folderRow->addWidget(folder_, 1);
  folderRow->addWidget(browse);
  auto* form = new QFormLayout;
  form->addRow(tr("Folder"), folderRow);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  buttons->button(QDialogButtonBox::Ok)->setText(tr("Export"));
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  for (QCheckBox* box : {objects_, labels_, overlays_, geojson_, imagej_, overwrite_}) layout->addWidget(box);
  layout->addWidget(buttons);
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Export to"), folder_->text());
    if (!folder.isEmpty()) folder_->setText(folder);
  });
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

ExportPlan ExportDialog::plan() const {
  ExportPlan plan;
  plan.folder = folder_->text();
  plan.objects = objects_->isChecked();
  plan.labels = labels_->isChecked();
  plan.overlays = overlays_->isChecked();
  plan.geojson = geojson_->isChecked();
  plan.imagej = imagej_->isChecked();
  plan.overwrite = overwrite_->isChecked();
  return plan;
}

}  // namespace fluocount::ui
