#include "ui/retrain_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

namespace fluocount::ui {

namespace {

QSpinBox* spinBox(int low, int high, int step, int value, const QString& tip) {
  auto* box = new QSpinBox;
  box->setRange(low, high);
  box->setSingleStep(step);
  box->setValue(value);
  box->setToolTip(tip);
  return box;
}

}  // namespace

RetrainDialog::RetrainDialog(const TrainingPlan& suggested, const QStringList& slidesWithMasks,
                             const QStringList& editedSlides, const QStringList& outlinesToReview,
                             const ComputeDevice& device, QWidget* parent)
    : QDialog(parent), suggested_(suggested), outlinesToReview_(outlinesToReview), device_(device) {
  setWindowTitle(tr("Retrain the Model"));

  auto* deviceLabel = new QLabel(tr("<b>Device:</b> %1").arg(QString::fromStdString(device.summary()).toHtmlEscaped()));
  deviceLabel->setWordWrap(true);

  slides_ = new QTableWidget(0, 3);
  slides_->setHorizontalHeaderLabels({tr("Slide with mask"), tr("Mask"), tr("Used for")});
  slides_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
  slides_->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
  slides_->verticalHeader()->setVisible(false);
  slides_->setSelectionMode(QAbstractItemView::NoSelection);
  split_ = new QLabel;
  split_->setWordWrap(true);  // it grows a sentence when masks nobody reviewed train (describeOutlinesToReview)
  fillSlides(slidesWithMasks, editedSlides);

  fromModel_ = new QRadioButton(suggested.startModel.isEmpty()
                                    ? tr("Fine-tune the active model (none in use)")
                                    : tr("Fine-tune the active model (%1)").arg(suggested.startModelName));
  fromModel_->setEnabled(!suggested.startModel.isEmpty());
  fromScratch_ = new QRadioButton(tr("Train from scratch"));
  (suggested.startModel.isEmpty() ? fromScratch_ : fromModel_)->setChecked(true);
  architecture_ = new QComboBox;
  for (Architecture a : allArchitectures()) architecture_->addItem(QString::fromStdString(architectureName(a)), int(a));
  architecture_->setCurrentIndex(architecture_->findData(int(suggested.architecture)));
  architecture_->setToolTip(tr("A fine-tune keeps its model's architecture"));
  weightMaps_ = new QCheckBox(tr("Weight maps (emphasise borders between touching cells)"));
  weightMaps_->setChecked(suggested.weightMaps);
  falseDetections_ = new QCheckBox(tr("Learn from the model's false detections"));
  falseDetections_->setChecked(suggested.learnFromFalseDetections);
  falseDetections_->setToolTip(
      tr("Oversample a crop around each object the model being fine-tuned detects on the training slides that "
         "their corrected masks do not hold (what you deleted), as the paper oversamples crops flagged as "
         "artifacts. Only for a fine-tune."));
  useGpu_ = new QCheckBox(tr("Use the GPU"));
  useGpu_->setChecked(device.gpu && suggested.useGpu);
  useGpu_->setEnabled(device.gpu);
  if (!device.gpu) useGpu_->setToolTip(QString::fromStdString(device.cpuReason));
  bfloat16_ = new QCheckBox(tr("Faster arithmetic (mixed bfloat16)"));
  bfloat16_->setChecked(suggested.bfloat16);

  epochs_ = spinBox(1, 1000, 1, suggested.epochs, tr("Passes over the training crops"));
  steps_ = spinBox(1, 100000, 10, suggested.stepsPerEpoch, tr("Batches per epoch"));
  cropSize_ = spinBox(64, 1024, 32, suggested.cropSize, tr("Side of the square training crops, in network pixels"));
  batchSize_ = spinBox(1, 64, 1, suggested.batchSize, tr("Crops per step"));
  learningRate_ = new QDoubleSpinBox;
  learningRate_->setDecimals(5);
  learningRate_->setRange(1e-5, 0.05);
  learningRate_->setSingleStep(0.0001);
  learningRate_->setValue(suggested.learningRate);
  diameter_ = new QDoubleSpinBox;
  diameter_->setRange(3, 500);
  diameter_->setSuffix(tr(" px"));
  diameter_->setValue(suggested.cellDiameterPx);
  diameter_->setToolTip(
      tr("The typical diameter of a cell in these slides (the counting settings' diameter): the "
         "new version's default, and the diameter of slides measured on their own with too few "
         "cells"));
  eachSlideOwnDiameter_ = new QCheckBox(tr("Each slide at the cell size measured on its mask"));
  eachSlideOwnDiameter_->setChecked(suggested.eachSlideOwnDiameter);
  eachSlideOwnDiameter_->setToolTip(
      tr("Resample every slide so that its cells, measured on its corrected mask, reach the network at the size it "
         "works at; slides from different magnifications then teach the same thing. A slide with fewer than three "
         "cells takes the others' median. Retraining pays off more this way (models/README.md, few-shot "
         "benchmark)."));

  auto* start = new QGroupBox(tr("Start from"));
  auto* startLayout = new QFormLayout(start);
  startLayout->addRow(fromModel_);
  startLayout->addRow(fromScratch_);
  startLayout->addRow(tr("Architecture"), architecture_);
  startLayout->addRow(weightMaps_);
  startLayout->addRow(falseDetections_);
  auto* settings = new QGroupBox(tr("Settings"));
  auto* settingsLayout = new QFormLayout(settings);
  settingsLayout->addRow(tr("Epochs"), epochs_);
  settingsLayout->addRow(tr("Steps per epoch"), steps_);
  settingsLayout->addRow(tr("Crop size"), cropSize_);
  settingsLayout->addRow(tr("Batch size"), batchSize_);
  settingsLayout->addRow(tr("Learning rate"), learningRate_);
  settingsLayout->addRow(tr("Cell diameter"), diameter_);
  settingsLayout->addRow(eachSlideOwnDiameter_);
  settingsLayout->addRow(useGpu_);
  settingsLayout->addRow(bfloat16_);
  auto* options = new QHBoxLayout;
  options->addWidget(start);
  options->addWidget(settings);

  buttons_ = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  buttons_->button(QDialogButtonBox::Ok)->setText(tr("Start Training"));
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(deviceLabel);
  layout->addWidget(slides_, 1);
  layout->addWidget(split_);
  layout->addLayout(options);
  layout->addWidget(buttons_);

  connect(buttons_, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons_, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(fromScratch_, &QRadioButton::toggled, this, &RetrainDialog::startChanged);
  connect(useGpu_, &QCheckBox::toggled, this, &RetrainDialog::deviceChanged);
  startChanged();
  deviceChanged();
  resize(640, 560);
}

void RetrainDialog::fillSlides(const QStringList& slides, const QStringList& edited) {
  slides_->setRowCount(int(slides.size()));
  for (int row = 0; row < slides.size(); ++row) {
    auto* name = new QTableWidgetItem(slides[row]);
    name->setFlags(Qt::ItemIsEnabled);
    slides_->setItem(row, 0, name);
    auto* origin = new QTableWidgetItem(outlinesToReview_.contains(slides[row]) ? tr("outlined, to review")
                                        : edited.contains(slides[row])          ? tr("corrected here")
                                                                                : tr("from file"));
    origin->setFlags(Qt::ItemIsEnabled);
    slides_->setItem(row, 1, origin);
    auto* role = new QComboBox;
    role->addItems({tr("Training"), tr("Validation"), tr("Not used")});
    role->setCurrentIndex(suggested_.validationSlides.contains(slides[row]) ? Validation
                          : suggested_.trainingSlides.contains(slides[row]) ? Training
                                                                            : NotUsed);
    connect(role, qOverload<int>(&QComboBox::currentIndexChanged), this, &RetrainDialog::validate);
    slides_->setCellWidget(row, 2, role);
  }
  validate();
}

void RetrainDialog::setRole(const QString& slide, Role role) {
  for (int row = 0; row < slides_->rowCount(); ++row)
    if (slides_->item(row, 0)->text() == slide)
      static_cast<QComboBox*>(slides_->cellWidget(row, 2))->setCurrentIndex(role);
}

void RetrainDialog::startChanged() {
  const bool scratch = fromScratch_->isChecked();
  architecture_->setEnabled(scratch);
  falseDetections_->setEnabled(!scratch);
  TrainingPlan defaults = suggested_;
  applyDeviceDefaults(defaults, device_, scratch);
  epochs_->setValue(defaults.epochs);
  learningRate_->setValue(defaults.learningRate);
}

// Mixed bfloat16 where the device that will train computes it natively: the GPU, or a CPU with AVX512-BF16.
void RetrainDialog::deviceChanged() {
  const bool available = useGpu_->isChecked() || cpuHasNativeBfloat16();
  bfloat16_->setEnabled(available);
  bfloat16_->setToolTip(
      available ? tr("Training steps compute the convolutions in bfloat16 (weights, loss and optimiser stay "
                     "float32): about 1.5 times as fast as float32 on an AVX512-BF16 CPU (README, Performance). The "
                     "version is validated and saved in float32 either way.")
                : tr("Needs a CPU with AVX512-BF16 or the GPU; this computer trains in float32."));
}

void RetrainDialog::validate() {
  const TrainingPlan p = plan();
  QString text = tr("%1 slide(s) train, %2 validate.").arg(p.trainingSlides.size()).arg(p.validationSlides.size());
  const bool ok = !p.trainingSlides.isEmpty() && !p.validationSlides.isEmpty();
  if (!ok) text += tr(" Training needs at least one of each: draw or correct masks on two or more slides.");
  text += describeOutlinesToReview(p);
  split_->setText(text);
  if (buttons_) buttons_->button(QDialogButtonBox::Ok)->setEnabled(ok);
}

// Said under the list while a slide whose outlines nobody has looked over trains or validates: the network learns
// what its own outlines (and discs where it saw nothing) say, and a validating slide scores it against them.
QString RetrainDialog::describeOutlinesToReview(const TrainingPlan& p) const {
  int used = 0;
  for (const QString& slide : outlinesToReview_)
    used += p.trainingSlides.contains(slide) || p.validationSlides.contains(slide);
  if (used == 0) return {};
  return tr(
      " Not reviewed: the masks FluoCount outlined from counts by hand on %n of these slide(s). Look them over "
      "first (Mark Reviewed), or retrain knowing that their outlines are the network's own.",
      nullptr, used);
}

TrainingPlan RetrainDialog::plan() const {
  TrainingPlan p = suggested_;
  p.trainingSlides.clear();
  p.validationSlides.clear();
  for (int row = 0; row < slides_->rowCount(); ++row) {
    const int role = static_cast<QComboBox*>(slides_->cellWidget(row, 2))->currentIndex();
    if (role == Training) p.trainingSlides.append(slides_->item(row, 0)->text());
    if (role == Validation) p.validationSlides.append(slides_->item(row, 0)->text());
  }
  if (!fromModel_) return p;  // still being built
  if (fromScratch_->isChecked()) {
    p.startModel.clear();
    p.startModelName = tr("scratch");
    p.architecture = Architecture(architecture_->currentData().toInt());
  }
  p.weightMaps = weightMaps_->isChecked();
  p.learnFromFalseDetections = falseDetections_->isEnabled() && falseDetections_->isChecked();
  p.useGpu = useGpu_->isChecked();
  p.bfloat16 = bfloat16_->isEnabled() && bfloat16_->isChecked();
  p.epochs = epochs_->value();
  p.stepsPerEpoch = steps_->value();
  p.cropSize = cropSize_->value();
  p.batchSize = batchSize_->value();
  p.learningRate = learningRate_->value();
  p.cellDiameterPx = diameter_->value();
  p.eachSlideOwnDiameter = eachSlideOwnDiameter_->isChecked();
  return p;
}

}  // namespace fluocount::ui
