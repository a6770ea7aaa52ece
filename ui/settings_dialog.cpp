#include "ui/settings_dialog.h"

#include "core/locations.h"
#include "core/image_io.h"
#include "core/inference.h"
#include "core/model_file.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QVBoxLayout>

namespace fluocount::ui {

namespace {
enum ModelKind { Bundled, Classical, UserFile };
enum DiameterMode { Automatic, Pixels, Micrometres };
}  // namespace

SettingsDialog::SettingsDialog(const ProjectSettings& settings, const QStringList& userModels, QWidget* parent)
    : QDialog(parent), original_(settings), userModels_(userModels) {
  setWindowTitle(tr("Counting settings"));
  model_ = new QComboBox;
  model_->addItem(tr("Bundled c-ResUnet"), Bundled);
  model_->addItem(tr("Classical method (blur + Otsu, no network)"), Classical);
  for (const QString& file : userModels_) model_->addItem(file, UserFile);
  auto* browse = new QPushButton(tr("Model file..."));
  modelInfo_ = new QLabel;
  modelInfo_->setWordWrap(true);
  modelInfo_->setTextInteractionFlags(Qt::TextSelectableByMouse);

  diameter_ = new QDoubleSpinBox;
  diameter_->setRange(0, 2000);
  diameter_->setDecimals(1);
  diameter_->setSpecialValueText(tr("model default"));
  diameter_->setToolTip(
      tr("Typical cell diameter in these slides. Images are resampled so that cells have the size "
         "the network was trained at; post-processing scales with it."));
  diameter_->setValue(settings.cellDiameterUm.value_or(settings.cellDiameterPx));
  diameterMode_ = new QComboBox;
  diameterMode_->addItem(tr("measured on each slide"), Automatic);
  diameterMode_->addItem(tr("px"), Pixels);
  diameterMode_->addItem(tr("µm"), Micrometres);
  diameterMode_->setToolTip(
      tr("Measured: the counter estimates each slide's cell diameter from what it detects at a few trial "
         "diameters (about 4 times the time of a count at a given diameter); the slide list shows each "
         "slide's. In µm, each "
         "slide's diameter in pixels follows from its pixel size (the folder's, else its file's); a slide "
         "with neither is not counted, and says why."));
  diameterMode_->setCurrentIndex(settings.automaticDiameter ? Automatic
                                 : settings.cellDiameterUm  ? Micrometres
                                                            : Pixels);
  diameter_->setSuffix(QString());

  overrideArea_ = new QCheckBox(tr("Remove objects smaller than"));
  minArea_ = new QDoubleSpinBox;
  minArea_->setRange(0, 1e6);
  minArea_->setSuffix(tr(" px (for 50 px cells)"));
  minArea_->setValue(settings.minObjectAreaPx.value_or(200));
  overrideArea_->setChecked(settings.minObjectAreaPx.has_value());
  minArea_->setEnabled(overrideArea_->isChecked());
  split_ = new QCheckBox(tr("Split touching cells (watershed)"));
  split_->setChecked(settings.splitTouchingCells.value_or(true));

  setPixelSize_ = new QCheckBox(tr("Set for this folder:"));
  setPixelSize_->setToolTip(
      tr("Without it, each slide's file says its pixel size (TIFF resolution, ImageJ, OME-XML, "
         "PNG), and a slide whose file says none is measured in pixels."));
  pixelSize_ = new QDoubleSpinBox;
  pixelSize_->setRange(kMinPixelSizeUm, kMaxPixelSizeUm);
  pixelSize_->setDecimals(4);
  pixelSize_->setSuffix(tr(" µm per pixel"));
  pixelSize_->setValue(settings.pixelSizeUm.value_or(0.65));
  setPixelSize_->setChecked(settings.pixelSizeUm.has_value());
  pixelSize_->setEnabled(setPixelSize_->isChecked());
  auto* pixelRow = new QHBoxLayout;
  pixelRow->addWidget(setPixelSize_);
  pixelRow->addWidget(pixelSize_, 1);
  channels_ = new QLineEdit(QString::fromStdString(channelListText(settings.channels)));
  channels_->setPlaceholderText(tr("as the files are (colour images in colour, a stack's first channel)"));
  channels_->setToolTip(
      tr("One channel the network sees as gray, e.g. 2 (the red of an RGB image is 1), or three "
         "as red, green, blue, e.g. 3,2,1."));
  channelsError_ = new QLabel;
  channelsError_->setStyleSheet("color: #c0392b");
  channelsError_->setWordWrap(true);

  auto* modelRow = new QHBoxLayout;
  modelRow->addWidget(model_, 1);
  modelRow->addWidget(browse);
  auto* form = new QFormLayout;
  form->addRow(tr("Model"), modelRow);
  form->addRow(QString(), modelInfo_);
  diameterInMicrometres_ = new QLabel;
  auto* diameterRow = new QHBoxLayout;
  diameterRow->addWidget(diameterMode_);
  diameterRow->addWidget(diameter_, 1);
  diameterRow->addWidget(diameterInMicrometres_);
  form->addRow(tr("Cell diameter"), diameterRow);
  form->addRow(tr("Pixel size"), pixelRow);
  form->addRow(tr("Channels the network sees"), channels_);
  form->addRow(QString(), channelsError_);
  form->addRow(tr("Device"), new QLabel(QString::fromStdString(computeDeviceStatus())));
  fasterPrecision_ = fasterPrecisionHere(DevicePreference::Automatic);
  fasterArithmetic_ = new QCheckBox(
      fasterPrecision_
          ? tr("Faster network arithmetic (%1)").arg(QString::fromStdString(precisionName(*fasterPrecision_)))
          : tr("Faster network arithmetic"));
  fasterArithmetic_->setChecked(settings.precision != NetworkPrecision::Float32);
  if (fasterPrecision_ == NetworkPrecision::BFloat16) {
    fasterArithmetic_->setToolTip(
        tr("The network computes in bfloat16 instead of float32: about 1.5 times as fast here, and the "
           "heatmap moves by a few thousandths (on the bundled model's test split, F1 per dataset changed by at "
           "most 0.004)."));
  } else if (fasterPrecision_ == NetworkPrecision::Int8) {
    fasterArithmetic_->setToolTip(
        tr("The network's convolutions compute in 8-bit integers instead of float32: about 1.3 times as fast "
           "on this CPU, and the heatmap moves by a few thousandths (on the bundled model's test split, F1 per "
           "dataset changed by at most 0.004)."));
  } else {
    fasterArithmetic_->setEnabled(false);
    fasterArithmetic_->setToolTip(
        tr("Needs a CPU with AVX512-BF16 (bfloat16) or AVX2 (int8), or a GPU; this computer counts in float32."));
  }
  form->addRow(QString(), fasterArithmetic_);
  auto* advanced = new QGroupBox(tr("Advanced post-processing"));
  auto* advancedForm = new QFormLayout(advanced);
  advancedForm->addRow(overrideArea_, minArea_);
  advancedForm->addRow(split_);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);

  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(advanced);
  layout->addWidget(
      new QLabel(tr("Changing the model, diameter, channels, arithmetic or post-processing counts the slides "
                    "again.")));
  layout->addWidget(buttons);

  if (settings.classical)
    model_->setCurrentIndex(1);
  else if (!settings.modelPath.isEmpty()) {
    int index = model_->findText(settings.modelPath);
    if (index < 0) {
      model_->addItem(settings.modelPath, UserFile);
      index = model_->count() - 1;
    }
    model_->setCurrentIndex(index);
  }
  describeModel();
  connect(model_, qOverload<int>(&QComboBox::currentIndexChanged), this, &SettingsDialog::describeModel);
  connect(browse, &QPushButton::clicked, this, &SettingsDialog::chooseModelFile);
  connect(overrideArea_, &QCheckBox::toggled, minArea_, &QWidget::setEnabled);
  connect(setPixelSize_, &QCheckBox::toggled, pixelSize_, &QWidget::setEnabled);
  connect(channels_, &QLineEdit::textChanged, channelsError_, &QLabel::clear);
  // With the folder's pixel size, the diameter also reads in micrometres (what a biologist measures cells in).
  auto showMicrometres = [this] {
    const bool automatic = diameterMode_->currentIndex() == Automatic;
    diameter_->setVisible(!automatic);
    const bool known = !automatic && setPixelSize_->isChecked() && diameter_->value() > 0;
    const bool inMicrometres = diameterMode_->currentIndex() == Micrometres;
    const double other =
        inMicrometres ? diameter_->value() / pixelSize_->value() : diameter_->value() * pixelSize_->value();
    diameterInMicrometres_->setText(
        known ? (inMicrometres ? tr("= %1 px") : tr("= %1 µm")).arg(QLocale().toString(other, 'f', 1)) : QString());
    diameter_->setSpecialValueText(inMicrometres ? QString() : tr("model default"));
    diameter_->setMinimum(inMicrometres ? 0.1 : 0);
  };
  connect(diameterMode_, qOverload<int>(&QComboBox::currentIndexChanged), this, showMicrometres);
  connect(diameter_, qOverload<double>(&QDoubleSpinBox::valueChanged), this, showMicrometres);
  connect(pixelSize_, qOverload<double>(&QDoubleSpinBox::valueChanged), this, showMicrometres);
  connect(setPixelSize_, &QCheckBox::toggled, this, showMicrometres);
  showMicrometres();
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

void SettingsDialog::chooseModelFile() {
  const QString file = QFileDialog::getOpenFileName(this, tr("Model file"), {}, tr("FluoCount models (*.fcmodel)"));
  if (file.isEmpty()) return;
  if (!userModels_.contains(file)) userModels_.prepend(file);
  if (model_->findText(file) < 0) model_->addItem(file, UserFile);
  model_->setCurrentIndex(model_->findText(file));
}

void SettingsDialog::describeModel() {
  const int kind = model_->currentData().toInt();
  if (kind == Classical) {
    modelInfo_->setText(tr("Gaussian blur and an automatic (Otsu) threshold per slide; no training needed."));
    return;
  }
  const auto path = kind == Bundled ? defaultModelPath() : std::optional(model_->currentText().toStdString());
  if (!path) {
    modelInfo_->setText(tr("No model is bundled with this installation."));
    return;
  }
  try {
    const ModelInfo info = loadModel(*path).info;
    const auto metrics = info.provenance.value("validation_metrics", nlohmann::json::object());
    modelInfo_->setText(tr("%1\n%2, trained %3; threshold %4; default cell diameter %5 px; validation F1 %6")
                            .arg(QString::fromStdString(*path),
                                 QString::fromStdString(architectureName(info.architecture)),
                                 QString::fromStdString(info.provenance.value("date", std::string("?"))))
                            .arg(info.threshold, 0, 'f', 3)
                            .arg(info.defaultCellDiameterPx)
                            .arg(metrics.value("f1", 0.0), 0, 'f', 3));
  } catch (const std::exception& e) {
    modelInfo_->setText(tr("Cannot use this model: %1").arg(QString::fromUtf8(e.what())));
  }
}

ProjectSettings SettingsDialog::settings() const {
  ProjectSettings s = original_;
  const int kind = model_->currentData().toInt();
  s.classical = kind == Classical;
  s.modelPath = kind == UserFile ? model_->currentText() : QString();
  const int mode = diameterMode_->currentIndex();
  s.automaticDiameter = mode == Automatic;
  s.cellDiameterPx = mode == Pixels ? diameter_->value() : 0;
  s.cellDiameterUm = mode == Micrometres ? std::optional(diameter_->value()) : std::nullopt;
  s.minObjectAreaPx = overrideArea_->isChecked() ? std::optional(minArea_->value()) : std::nullopt;
  s.splitTouchingCells = split_->isChecked() ? std::nullopt : std::optional(false);
  s.pixelSizeUm = setPixelSize_->isChecked() ? std::optional(pixelSize_->value()) : std::nullopt;
  // Where no faster arithmetic is available the choice stays as the project has it (it counts in float32 here).
  if (fasterArithmetic_->isEnabled())
    s.precision = fasterArithmetic_->isChecked() ? *fasterPrecision_ : NetworkPrecision::Float32;
  try {
    s.channels = channels_->text().trimmed().isEmpty() ? std::vector<int>{}
                                                       : parseChannelList(channels_->text().trimmed().toStdString());
  } catch (const std::invalid_argument&) {
    s.channels = original_.channels;  // accept() refuses the dialog with this text; keep what was set
  }
  return s;
}

void SettingsDialog::accept() {
  const QString text = channels_->text().trimmed();
  try {
    if (!text.isEmpty()) parseChannelList(text.toStdString());
  } catch (const std::invalid_argument& e) {
    channelsError_->setText(QString::fromUtf8(e.what()));
    return;
  }
  QDialog::accept();
}

}  // namespace fluocount::ui
