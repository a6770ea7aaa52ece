#pragma once
// What the canvas shows of one slide, read off the GUI thread: the image as the counter sees it and as it is
// displayed (a stack as a composite in its channels' colours), its pixel size and channels, the heatmap layer, the
// cells of its mask; and the detections at one threshold with their outlines and the matching against that mask.
// The main window only hands these to its widgets.
#include "ui/model/channel_display.h"
#include "ui/model/project.h"
#include "ui/model/slide_layers.h"

#include <QImage>

#include <optional>

namespace fluocount::ui {

struct DisplayRange {
  bool automatic = false;  // ImageJ-style auto contrast; else [low, high]
  double low = 0, high = 1;
};

struct SlideView {
  cv::Mat rgb, intensity;  // normalised as the counter sees it; its intensity for the detections' measurements
  std::optional<PixelSize> pixelSize;
  std::vector<cv::Mat> channels;  // a composite's (empty for an RGB or gray slide)
  std::vector<ChannelView> views;
  std::vector<cv::Mat> rawChannels;
  std::vector<std::string> channelNames;
  int bitDepth = 8;
  QImage display, heatmap;
  cv::Size size;
  std::optional<Detection> truth;  // the mask's cells, when the slide has a readable mask of its size
  double low = 0, high = 1;        // the display range used
  QString error;                   // the slide could not be read: nothing else is set
};

// counter may be null (no usable model): the slide is then normalised by the default settings.
SlideView loadSlideView(const Slide& slide, const CellCounter* counter, DisplayRange range);

// The detections of an analysed slide at `threshold`, outlined in `outlineColour`, matched against `truth` when
// given (docs/method.md section 7, at the analysis' cell diameter).
DetectionOverlay detectionOverlay(int slide, const SlideAnalysis& analysis, double threshold, const cv::Mat& intensity,
                                  const std::optional<Detection>& truth, QColor outlineColour);

}  // namespace fluocount::ui
