#pragma once
// How a multi-channel slide (an ImageJ hyperstack, an OME-TIFF) is shown: each channel in its own colour, in
// ImageJ's composite order (red, green, blue, gray, cyan, magenta, yellow), stretched so that 0.35 % of its pixels
// saturate (ImageJ's Auto), and the visible channels added up. An RGB file is not a composite: it is shown as it is.
#include "core/image_io.h"

#include <QColor>
#include <QImage>
#include <QString>

#include <vector>

namespace fluocount::ui {

struct ChannelView {
  QString name;
  QColor colour;
  bool visible = true;
  double low = 0, high = 255;  // raw values mapped to black and to full colour
};

bool showsAsComposite(const RawImage& raw);
std::vector<ChannelView> defaultChannelViews(const RawImage& raw);
// The same views with each channel's range stretched again as the default is (colours and visibility kept).
std::vector<ChannelView> withAutoRanges(std::vector<ChannelView> views, const std::vector<cv::Mat>& channels);
QImage compositeImage(const std::vector<cv::Mat>& channels, const std::vector<ChannelView>& views);

}  // namespace fluocount::ui
