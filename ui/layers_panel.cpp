#include "ui/layers_panel.h"

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QSlider>
#include <QVBoxLayout>

namespace fluocount::ui {

namespace {
QCheckBox* layerBox(const QString& text, const QString& shortcut) {
  auto* box = new QCheckBox(text);
  box->setShortcut(QKeySequence(shortcut));
  box->setToolTip(QObject::tr("Show or hide (%1)").arg(shortcut));
  return box;
}
QSlider* opacitySlider() {
  auto* slider = new QSlider(Qt::Horizontal);
  slider->setRange(0, 100);
  return slider;
}
}  // namespace

LayersPanel::LayersPanel(QWidget* parent) : QWidget(parent) {
  image_ = layerBox(tr("&Image"), "I");
  heatmap_ = layerBox(tr("&Heatmap"), "H");
  outlines_ = layerBox(tr("&Detections"), "D");
  ids_ = layerBox(tr("Object i&ds"), "Shift+D");
  mask_ = layerBox(tr("&Mask"), "M");
  matches_ = layerBox(tr("&TP / FP / FN"), "T");
  heatmapOpacity_ = opacitySlider();
  maskOpacity_ = opacitySlider();

  auto* layersBox = new QGroupBox(tr("Layers"));
  auto* form = new QFormLayout(layersBox);
  form->addRow(image_);
  form->addRow(heatmap_, heatmapOpacity_);
  form->addRow(outlines_, ids_);
  form->addRow(mask_, maskOpacity_);
  form->addRow(matches_);

  // A slide is shown as it is (8-bit values as they are, 16-bit after the counter's own percentile stretch) unless
  // the user asks: stretching a sparse slide would turn its dark background into a bright field.
  auto_ = new QCheckBox(tr("Auto contrast"));
  auto_->setChecked(false);
  auto_->setToolTip(tr("Stretch each slide so that 0.35 % of its pixels saturate, as ImageJ's Auto does"));
  low_ = new QDoubleSpinBox;
  high_ = new QDoubleSpinBox;
  for (QDoubleSpinBox* spin : {low_, high_}) {
    spin->setRange(0, 1);
    spin->setDecimals(3);
    spin->setSingleStep(0.01);
    spin->setKeyboardTracking(false);
  }
  auto* contrastBox = new QGroupBox(tr("Display range"));
  auto* contrast = new QFormLayout(contrastBox);
  contrast->addRow(auto_);
  contrast->addRow(tr("Min"), low_);
  contrast->addRow(tr("Max"), high_);

  channelBox_ = new QGroupBox(tr("Channels"));
  new QVBoxLayout(channelBox_);
  channelBox_->setVisible(false);

  auto* layout = new QVBoxLayout(this);
  layout->addWidget(layersBox);
  layout->addWidget(channelBox_);
  layout->addWidget(contrastBox);
  layout->addStretch();

  setLayers(CanvasLayers{});
  setDisplayRange(0, 1);
  for (QCheckBox* box : {image_, heatmap_, outlines_, ids_, mask_, matches_})
    connect(box, &QCheckBox::toggled, this, [this] { emit layersChanged(layers()); });
  for (QSlider* slider : {heatmapOpacity_, maskOpacity_})
    connect(slider, &QSlider::valueChanged, this, [this] { emit layersChanged(layers()); });
  for (QDoubleSpinBox* spin : {low_, high_})
    connect(spin, qOverload<double>(&QDoubleSpinBox::valueChanged), this, [this] {
      auto_->setChecked(false);
      emit displayRangeChanged(low_->value(), high_->value());
    });
  connect(auto_, &QCheckBox::toggled, this, [this](bool on) {
    if (on) emit autoContrastRequested();
  });
}

CanvasLayers LayersPanel::layers() const {
  CanvasLayers l;
  l.image = image_->isChecked();
  l.heatmap = heatmap_->isChecked();
  l.outlines = outlines_->isChecked();
  l.ids = ids_->isChecked();
  l.mask = mask_->isChecked();
  l.matches = matches_->isChecked();
  l.heatmapOpacity = heatmapOpacity_->value() / 100.0;
  l.maskOpacity = maskOpacity_->value() / 100.0;
  return l;
}

void LayersPanel::setLayers(const CanvasLayers& l) {
  const QSignalBlocker b1(image_), b2(heatmap_), b3(outlines_), b4(ids_), b5(mask_), b6(matches_),
      b7(heatmapOpacity_), b8(maskOpacity_);
  image_->setChecked(l.image);
  heatmap_->setChecked(l.heatmap);
  outlines_->setChecked(l.outlines);
  ids_->setChecked(l.ids);
  mask_->setChecked(l.mask);
  matches_->setChecked(l.matches);
  heatmapOpacity_->setValue(int(std::lround(l.heatmapOpacity * 100)));
  maskOpacity_->setValue(int(std::lround(l.maskOpacity * 100)));
}

std::pair<double, double> LayersPanel::displayRange() const { return {low_->value(), high_->value()}; }

void LayersPanel::setDisplayRange(double low, double high) {
  const QSignalBlocker b1(low_), b2(high_);
  low_->setValue(low);
  high_->setValue(high);
}

bool LayersPanel::autoContrast() const { return auto_->isChecked(); }

void LayersPanel::setChannels(const std::vector<ChannelView>& channels) {
  channels_ = channels;
  for (QCheckBox* box : channelChecks_) delete box;
  channelChecks_.clear();
  for (std::size_t c = 0; c < channels.size(); ++c) {
    auto* box = new QCheckBox(channels[c].name);
    box->setChecked(channels[c].visible);
    QPalette palette = box->palette();
    palette.setColor(QPalette::WindowText, channels[c].colour == Qt::white ? palette.color(QPalette::WindowText)
                                                                           : channels[c].colour.darker(130));
    box->setPalette(palette);
    box->setToolTip(tr("Channel %1, shown from %2 to %3").arg(c + 1).arg(channels[c].low).arg(channels[c].high));
    channelBox_->layout()->addWidget(box);
    channelChecks_.push_back(box);
    connect(box, &QCheckBox::toggled, this, [this, c](bool on) {
      channels_[c].visible = on;
      emit channelsChanged(channels_);
    });
  }
  channelBox_->setVisible(!channels.empty());
}

}  // namespace fluocount::ui
