#pragma once
// Which layers the canvas shows and how: visibility (with keyboard shortcuts), opacities, and the display range
// of the slide (percentile auto-contrast or manual min/max, for dim and 16-bit images).
#include "ui/model/channel_display.h"
#include "ui/model/slide_view.h"
#include "ui/slide_canvas.h"

#include <QWidget>

class QCheckBox;
class QDoubleSpinBox;
class QGroupBox;
class QSlider;

namespace fluocount::ui {

class LayersPanel : public QWidget {
  Q_OBJECT
public:
  explicit LayersPanel(QWidget* parent = nullptr);

  CanvasLayers layers() const;
  void setLayers(const CanvasLayers& layers);
  // The display range of a gray or RGB slide, in its raw values (0-255 for an 8-bit slide, 0-65535 for a 16-bit
  // one, any value for a 32-bit float one, as ImageJ shows them). Set the units before the range, and before the
  // channels, when a slide loads.
  std::pair<double, double> displayRange() const;
  void setDisplayRange(double low, double high);  // does not emit
  void setDisplayUnits(int bitDepth);
  // How the next slide is to be shown: as counted, auto contrast, or the range the user set (DisplayRange).
  DisplayRange displayRequest() const;
  // A multi-channel slide's channels (none for other slides): each shown or hidden, its colour and display range.
  // Such a slide shows the Channels box in place of the Display range box, whose one range does not apply to it.
  void setChannels(const std::vector<ChannelView>& channels);
  std::vector<ChannelView> channels() const { return channels_; }

signals:
  void layersChanged(const fluocount::ui::CanvasLayers& layers);
  void displayRangeChanged(double low, double high);
  void autoContrastRequested();
  void resetDisplayRequested();         // Reset: the slide as the counter sees it
  void channelAutoContrastRequested();  // the Channels box's Auto: each channel's range stretched again
  void channelsChanged(const std::vector<fluocount::ui::ChannelView>& channels);

private:
  QCheckBox *image_, *heatmap_, *outlines_, *ids_, *mask_, *matches_, *auto_;
  QSlider *heatmapOpacity_, *maskOpacity_;
  QDoubleSpinBox *low_, *high_;
  int bitDepth_ = 8;     // of the slide shown, whose raw values the spin boxes hold
  bool manual_ = false;  // the user set the range (it then carries to the next slide of the same bit depth)
  QGroupBox *contrastBox_, *channelBox_;
  QWidget* channelRowsArea_;
  std::vector<ChannelView> channels_;
  std::vector<QWidget*> channelRows_;
};

}  // namespace fluocount::ui
