#include "ui/model/channel_display.h"

#include <algorithm>
#include <cmath>

namespace fluocount::ui {

namespace {

const QColor kCompositeColours[] = {QColor(255, 0, 0),   QColor(0, 255, 0),   QColor(0, 0, 255),  QColor(255, 255, 255),
                                    QColor(0, 255, 255), QColor(255, 0, 255), QColor(255, 255, 0)};

// A float channel's range: its finite values sorted, cut at the same ranks.
std::pair<double, double> saturatingFloatRange(const cv::Mat& channel, double saturatedFraction) {
  std::vector<float> values = finiteSamples(channel);
  if (values.empty()) return {0.0, 1.0};
  std::sort(values.begin(), values.end());
  const auto tail = std::size_t(double(values.size()) * saturatedFraction / 2);
  const double low = values[std::min(tail, values.size() - 1)];
  const double high = values[values.size() - 1 - std::min(tail, values.size() - 1)];
  return {low, high > low ? high : low + std::max(1e-6, std::abs(low) * 1e-3)};
}

// The raw values below which `fraction` of the pixels lie, from a histogram of the channel's full range.
std::pair<double, double> saturatingRange(const cv::Mat& channel, double saturatedFraction) {
  if (channel.depth() == CV_32F) return saturatingFloatRange(channel, saturatedFraction);
  const int levels = channel.depth() == CV_16U ? 65536 : 256;
  std::vector<std::int64_t> histogram(levels, 0);
  for (int y = 0; y < channel.rows; ++y)
    for (int x = 0; x < channel.cols; ++x)
      ++histogram[channel.depth() == CV_16U ? channel.ptr<std::uint16_t>(y)[x] : channel.ptr<std::uint8_t>(y)[x]];
  const double tail = double(channel.total()) * saturatedFraction / 2;
  int low = 0, high = levels - 1;
  for (std::int64_t seen = 0; low < levels - 1 && (seen += histogram[low]) <= tail;) ++low;
  for (std::int64_t seen = 0; high > 0 && (seen += histogram[high]) <= tail;) --high;
  if (high <= low) high = std::min(levels - 1, low + 1);
  return {double(low), double(high)};
}

}  // namespace

bool showsAsComposite(const RawImage& raw) { return raw.channels.size() > 1 && raw.pixels.channels() == 1; }

std::vector<ChannelView> withAutoRanges(std::vector<ChannelView> views, const std::vector<cv::Mat>& channels) {
  for (std::size_t c = 0; c < views.size() && c < channels.size(); ++c)
    std::tie(views[c].low, views[c].high) = saturatingRange(channels[c], 0.0035);
  return views;
}

std::vector<ChannelView> defaultChannelViews(const RawImage& raw) {
  std::vector<ChannelView> views;
  for (std::size_t c = 0; c < raw.channels.size(); ++c) {
    ChannelView view;
    view.name = c < raw.channelNames.size() ? QString::fromStdString(raw.channelNames[c]) : QString("ch%1").arg(c + 1);
    view.colour = kCompositeColours[c % std::size(kCompositeColours)];
    views.push_back(view);
  }
  return withAutoRanges(std::move(views), raw.channels);
}

QImage compositeImage(const std::vector<cv::Mat>& channels, const std::vector<ChannelView>& views) {
  if (channels.empty()) return {};
  cv::Mat sum = cv::Mat::zeros(channels[0].size(), CV_32FC3);
  for (std::size_t c = 0; c < channels.size() && c < views.size(); ++c) {
    if (!views[c].visible) continue;
    cv::Mat scaled;
    const double span = std::max(views[c].high - views[c].low, 1e-6);
    channels[c].convertTo(scaled, CV_32F, 1.0 / span, -views[c].low / span);
    scaled = cv::min(cv::max(scaled, 0.0), 1.0);
    const QColor& colour = views[c].colour;
    cv::Mat coloured;
    cv::merge(std::vector<cv::Mat>{scaled * colour.redF(), scaled * colour.greenF(), scaled * colour.blueF()},
              coloured);
    sum += coloured;
  }
  cv::Mat bytes;
  sum.convertTo(bytes, CV_8UC3, 255.0);  // saturates where channels add above full scale
  QImage image(bytes.cols, bytes.rows, QImage::Format_RGB888);
  for (int y = 0; y < bytes.rows; ++y) std::memcpy(image.scanLine(y), bytes.ptr(y), std::size_t(bytes.cols) * 3);
  return image;
}

}  // namespace fluocount::ui
