#include "core/cell_channels.h"

#include "core/numeric_locale.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace fluocount {

PositivityRule parsePositivityRule(const std::string& text) {
  const std::size_t colon = text.find(':');
  PositivityRule rule;
  const char* end = text.data() + text.size();
  bool ok = colon != std::string::npos;
  if (ok) {
    const auto [channelEnd, channelError] = std::from_chars(text.data(), text.data() + colon, rule.channel);
    const auto [thresholdEnd, thresholdError] = std::from_chars(text.data() + colon + 1, end, rule.threshold);
    ok = channelError == std::errc() && channelEnd == text.data() + colon && thresholdError == std::errc() &&
         thresholdEnd == end && colon + 1 < text.size();
  }
  if (!ok || rule.channel < 1 || rule.channel > 16 || !(rule.threshold >= 0))
    throw std::invalid_argument(
        "a positivity rule is CHANNEL:THRESHOLD, a channel 1 to 16 and a mean raw intensity "
        "(e.g. 2:120), not \"" +
        text + "\"");
  return rule;
}

std::string positivityRuleText(const PositivityRule& rule) {
  std::string threshold = fixedDecimal(rule.threshold, 6);  // a float image's thresholds may be fractions of 1
  while (threshold.back() == '0') threshold.pop_back();
  if (threshold.back() == '.') threshold.pop_back();
  return std::to_string(rule.channel) + ":" + threshold;
}

void checkPositivityRules(const std::vector<PositivityRule>& rules, int channelCount, int bitDepth,
                          const std::string& path) {
  const double maximum = bitDepth == 16 ? 65535 : 255;
  for (const PositivityRule& rule : rules) {
    if (rule.channel > channelCount)
      throw ImageError(path + ": positivity rule " + positivityRuleText(rule) + " names channel " +
                       std::to_string(rule.channel) + ", but the image has " + std::to_string(channelCount));
    if (bitDepth != 32 && rule.threshold > maximum)  // a float image's values have no maximum
      throw ImageError(path + ": positivity rule " + positivityRuleText(rule) + " is above the " +
                       std::to_string(bitDepth) + "-bit maximum of " + fixedDecimal(maximum, 0));
  }
}

namespace {
double sampleAt(const cv::Mat& channel, int y, int x) {
  switch (channel.depth()) {
    case CV_16U: return channel.ptr<std::uint16_t>(y)[x];
    case CV_32F: return channel.ptr<float>(y)[x];
    default: return channel.ptr<std::uint8_t>(y)[x];
  }
}
}  // namespace

// A float channel's NaN and infinite pixels are left out of its means, as Fiji's Measure leaves NaN out.
void measureChannelMeans(Detection& detection, const std::vector<cv::Mat>& channels) {
  const int count = detection.count();
  std::vector<std::vector<double>> pixels(channels.size(), std::vector<double>(count + 1, 0));
  std::vector<std::vector<double>> sums(channels.size(), std::vector<double>(count + 1, 0));
  for (int y = 0; y < detection.labels.rows; ++y) {
    const int* labels = detection.labels.ptr<int>(y);
    for (int x = 0; x < detection.labels.cols; ++x) {
      const int label = labels[x];
      if (label <= 0 || label > count) continue;
      for (std::size_t c = 0; c < channels.size(); ++c) {
        const double value = sampleAt(channels[c], y, x);
        if (!std::isfinite(value)) continue;
        pixels[c][label] += 1;
        sums[c][label] += value;
      }
    }
  }
  for (DetectedObject& object : detection.objects) {
    object.channelMeans.assign(channels.size(), 0);
    if (object.label <= 0 || object.label > count) continue;
    for (std::size_t c = 0; c < channels.size(); ++c)
      object.channelMeans[c] = pixels[c][object.label] > 0 ? sums[c][object.label] / pixels[c][object.label]
                                                           : std::numeric_limits<double>::quiet_NaN();
  }
}

namespace {
bool isPositive(const DetectedObject& object, const PositivityRule& rule) {
  const std::size_t c = static_cast<std::size_t>(rule.channel - 1);
  return c < object.channelMeans.size() && object.channelMeans[c] >= rule.threshold;
}
std::string markerName(const PositivityRule& rule, bool positive) {
  return "ch" + std::to_string(rule.channel) + (positive ? "+" : "-");
}
}  // namespace

std::string positivityLabel(const DetectedObject& object, const std::vector<PositivityRule>& rules) {
  std::string label;
  for (const PositivityRule& rule : rules) label += markerName(rule, isPositive(object, rule));
  return label;
}

std::vector<std::string> markerColumnNames(const std::vector<PositivityRule>& rules) {
  std::vector<std::string> names;
  for (const PositivityRule& rule : rules) names.push_back(markerName(rule, true));
  if (rules.size() < 2) return names;
  const std::size_t combinations = std::size_t(1) << rules.size();
  for (std::size_t combination = 0; combination < combinations; ++combination) {
    std::string name;  // combination 0 is all positive: bit i set means rule i negative
    for (std::size_t i = 0; i < rules.size(); ++i)
      name += markerName(rules[i], !(combination >> (rules.size() - 1 - i) & 1));
    names.push_back(name);
  }
  return names;
}

std::vector<int> markerCounts(const std::vector<DetectedObject>& objects, const std::vector<PositivityRule>& rules) {
  const std::vector<std::string> names = markerColumnNames(rules);
  std::vector<int> counts(names.size(), 0);
  for (const DetectedObject& object : objects) {
    std::size_t combination = 0;
    for (std::size_t i = 0; i < rules.size(); ++i) {
      const bool positive = isPositive(object, rules[i]);
      if (positive) ++counts[i];
      combination = (combination << 1) | (positive ? 0 : 1);
    }
    if (rules.size() >= 2) ++counts[rules.size() + combination];
  }
  return counts;
}

}  // namespace fluocount
