#include "ui/layers_panel.h"

#include <QColorDialog>
#include <QPixmap>
#include <QToolButton>

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QPushButton>
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
  mask_->setToolTip(
      tr("The slide's mask, and the marks of its count by hand (hand-counts/) as crosses: show or hide "
         "(M)"));
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

  // A slide is shown as the counter sees it (8-bit values as they are, 16-bit after the counter's own percentile
  // stretch) unless the user asks: stretching a sparse slide would turn its dark background into a bright field.
  auto_ = new QCheckBox(tr("Auto contrast"));
  auto_->setChecked(false);
  auto_->setToolTip(tr("Stretch each slide so that 0.35 % of its pixels saturate, as ImageJ's Auto does"));
  auto* reset = new QPushButton(tr("Reset"));
  reset->setToolTip(tr("Show each slide as the counter sees it (a 16-bit slide after its percentile stretch)"));
  low_ = new QDoubleSpinBox;
  high_ = new QDoubleSpinBox;
  for (QDoubleSpinBox* spin : {low_, high_}) {
    spin->setKeyboardTracking(false);
    spin->setDecimals(0);
  }
  setDisplayUnits(8);
  contrastBox_ = new QGroupBox(tr("Display range"));
  auto* contrast = new QFormLayout(contrastBox_);
  auto* modeRow = new QHBoxLayout;
  modeRow->addWidget(auto_);
  modeRow->addStretch();
  modeRow->addWidget(reset);
  contrast->addRow(modeRow);
  contrast->addRow(tr("Min"), low_);
  contrast->addRow(tr("Max"), high_);

  channelBox_ = new QGroupBox(tr("Channels"));
  auto* channelLayout = new QVBoxLayout(channelBox_);
  channelRowsArea_ = new QWidget;
  auto* rowsLayout = new QVBoxLayout(channelRowsArea_);
  rowsLayout->setContentsMargins(0, 0, 0, 0);
  channelLayout->addWidget(channelRowsArea_);
  auto* autoChannels = new QPushButton(tr("Auto contrast"));
  autoChannels->setToolTip(tr("Stretch each channel so that 0.35 % of its pixels saturate, as ImageJ's Auto does"));
  channelLayout->addWidget(autoChannels, 0, Qt::AlignLeft);
  connect(autoChannels, &QPushButton::clicked, this, &LayersPanel::channelAutoContrastRequested);
  channelBox_->setVisible(false);

  auto* layout = new QVBoxLayout(this);
  layout->addWidget(layersBox);
  layout->addWidget(channelBox_);
  layout->addWidget(contrastBox_);
  layout->addStretch();

  setLayers(CanvasLayers{});
  setDisplayRange(0, 255);
  for (QCheckBox* box : {image_, heatmap_, outlines_, ids_, mask_, matches_})
    connect(box, &QCheckBox::toggled, this, [this] { emit layersChanged(layers()); });
  for (QSlider* slider : {heatmapOpacity_, maskOpacity_})
    connect(slider, &QSlider::valueChanged, this, [this] { emit layersChanged(layers()); });
  for (QDoubleSpinBox* spin : {low_, high_})
    connect(spin, qOverload<double>(&QDoubleSpinBox::valueChanged), this, [this] {
      auto_->setChecked(false);
      manual_ = true;
      const auto [low, high] = displayRange();
      emit displayRangeChanged(low, high);
    });
  connect(auto_, &QCheckBox::toggled, this, [this](bool on) {
    if (!on) return;
    manual_ = false;
    emit autoContrastRequested();
  });
  connect(reset, &QPushButton::clicked, this, [this] {
    manual_ = false;
    const QSignalBlocker blocker(auto_);
    auto_->setChecked(false);
    emit resetDisplayRequested();
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
  const QSignalBlocker b1(image_), b2(heatmap_), b3(outlines_), b4(ids_), b5(mask_), b6(matches_), b7(heatmapOpacity_),
      b8(maskOpacity_);
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

void LayersPanel::setDisplayUnits(int bitDepth) {
  if (bitDepth != bitDepth_) manual_ = false;  // a range set in another bit depth's values does not carry over
  bitDepth_ = bitDepth;
  const bool eightBit = bitDepth == 8, floats = bitDepth == 32;
  const QSignalBlocker b1(low_), b2(high_);
  for (QDoubleSpinBox* spin : {low_, high_}) {
    // A float image's values have no type range (Fiji's 32-bit): any value, to four decimals.
    spin->setDecimals(floats ? 4 : 0);
    spin->setRange(floats ? -1e9 : 0, floats ? 1e9 : eightBit ? 255 : 65535);
    spin->setSingleStep(eightBit ? 1 : floats ? 0.01 : 16);
    spin->setToolTip(eightBit ? tr("Raw 8-bit value") : floats ? tr("Raw 32-bit value") : tr("Raw 16-bit value"));
  }
}

DisplayRange LayersPanel::displayRequest() const {
  DisplayRange request;
  request.mode = auto_->isChecked() ? DisplayRange::Mode::Automatic
                 : manual_          ? DisplayRange::Mode::Manual
                                    : DisplayRange::Mode::AsCounted;
  std::tie(request.low, request.high) = displayRange();
  request.bitDepth = bitDepth_;
  return request;
}

// One row per channel: shown or not, its colour (click to choose another) and its display range in raw values.
void LayersPanel::setChannels(const std::vector<ChannelView>& channels) {
  channels_ = channels;
  for (QWidget* row : channelRows_) delete row;
  channelRows_.clear();
  const bool floats = bitDepth_ == 32;  // setDisplayUnits comes first
  const double top =
      floats             ? 1e9
      : channels.empty() ? 255
      : std::max_element(channels.begin(), channels.end(), [](auto& a, auto& b) { return a.high < b.high; })->high > 255
          ? 65535
          : 255;
  for (std::size_t c = 0; c < channels.size(); ++c) {
    auto* row = new QWidget;
    auto* layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* box = new QCheckBox(channels[c].name);
    box->setChecked(channels[c].visible);
    auto* colour = new QToolButton;
    colour->setToolTip(tr("Colour of channel %1").arg(c + 1));
    auto paintSwatch = [colour](const QColor& shown) {
      QPixmap swatch(14, 14);
      swatch.fill(shown);
      colour->setIcon(QIcon(swatch));
    };
    paintSwatch(channels[c].colour);
    auto* low = new QDoubleSpinBox;
    auto* high = new QDoubleSpinBox;
    for (QDoubleSpinBox* spin : {low, high}) {
      spin->setDecimals(floats ? 4 : 0);
      spin->setRange(floats ? -top : 0, top);
      spin->setKeyboardTracking(false);
    }
    low->setValue(channels[c].low);
    high->setValue(channels[c].high);
    low->setToolTip(tr("Shown black at and below"));
    high->setToolTip(tr("Shown at full colour at and above"));
    layout->addWidget(box, 1);
    layout->addWidget(colour);
    layout->addWidget(low);
    layout->addWidget(high);
    channelRowsArea_->layout()->addWidget(row);
    channelRows_.push_back(row);
    connect(box, &QCheckBox::toggled, this, [this, c](bool on) {
      channels_[c].visible = on;
      emit channelsChanged(channels_);
    });
    connect(colour, &QToolButton::clicked, this, [this, c, paintSwatch] {
      const QColor chosen =
          QColorDialog::getColor(channels_[c].colour, this, tr("Colour of %1").arg(channels_[c].name));
      if (!chosen.isValid()) return;
      channels_[c].colour = chosen;
      paintSwatch(chosen);
      emit channelsChanged(channels_);
    });
    for (QDoubleSpinBox* spin : {low, high})
      connect(spin, qOverload<double>(&QDoubleSpinBox::valueChanged), this, [this, c, low, high, floats] {
        channels_[c].low = low->value();
        channels_[c].high = std::max(high->value(), low->value() + (floats ? 1e-4 : 1));
        emit channelsChanged(channels_);
      });
  }
  channelBox_->setVisible(!channels.empty());
  contrastBox_->setVisible(channels.empty());
}

}  // namespace fluocount::ui
