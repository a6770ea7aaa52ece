#pragma once
// What the canvas shows of one slide, read off the GUI thread: the image as the counter sees it and as it is
// displayed (a stack as a composite in its channels' colours), its pixel size and channels, the heatmap layer, the
// cells of its mask; and the detections at one threshold with their outlines and the matching against that mask.
// The main window only hands these to its widgets.
#include "ui/model/channel_display.h"
#include "ui/model/project.h"
#include "ui/model/slide_layers.h"

#include <QImage>
#include <QStringList>

#include <optional>

namespace fluocount::ui {

// How a slide is shown: as the counter sees it (8-bit values as they are, 16-bit after its percentile stretch),
// with ImageJ-style auto contrast, or in a range the user set, in raw values, which carries to the next slide of the
// same bit depth (so that slides of one experiment are compared at one brightness).
struct DisplayRange {
  enum class Mode { AsCounted, Automatic, Manual };
  Mode mode = Mode::AsCounted;
  double low = 0, high = 255;  // raw values, for Manual
  int bitDepth = 8;            // of the slide the manual range was set on
};

struct SlideView {
  cv::Mat rgb, intensity;  // normalised as the counter sees it; its intensity for the detections' measurements
  cv::Mat seen;            // the same channels' raw values (RGB, 8- or 16-bit), which the display range maps
  std::pair<double, double> countedRange{0, 255};  // the raw values the counter sees as 0 and 1
  std::optional<PixelSize> pixelSize;
  std::vector<cv::Mat> channels;  // a composite's (empty for an RGB or gray slide)
  std::vector<ChannelView> views;
  std::vector<cv::Mat> rawChannels;
  std::vector<std::string> channelNames;
  int bitDepth = 8;
  QStringList notes;  // what the file declares that is not used (a z-stack's other planes, a dpi, a replaced size)
  QImage display, heatmap;
  cv::Size size;
  std::optional<Detection> truth;  // the mask's cells, when the slide has a readable mask of its size
  QVector<QPointF> handMarks;      // its count by hand's marks, where it has one (drawn whether or not it has a mask)
  double low = 0, high = 255;      // the display range used, in raw values
  QString error;                   // the slide could not be read: nothing else is set
  QString heatmapError;            // its saved heatmap could not be read back: shown without it
};

// counter may be null (no usable model): the slide is then normalised by the default settings.
SlideView loadSlideView(const Slide& slide, const CellCounter* counter, DisplayRange range);

// The detections of an analysed slide at `threshold`, outlined in `outlineColour`, matched against `truth` when
// given (docs/method.md section 7, at the analysis' cell diameter).
DetectionOverlay detectionOverlay(int slide, const SlideAnalysis& analysis, double threshold, const cv::Mat& intensity,
                                  const std::optional<Detection>& truth, QColor outlineColour);

}  // namespace fluocount::ui
