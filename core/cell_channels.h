#pragma once
// Cells measured in every channel of their image, and called positive or negative per channel: a study's
// "cFOS+ parvalbumin+" counts. A cell's mean in a channel is the mean raw value (0-255 or 0-65535) of its pixels
// there; a rule "channel 2 at 120" calls a cell ch2+ when that mean is at least 120.
#include "core/image_io.h"
#include "core/postprocess.h"

#include <string>
#include <vector>

namespace fluocount {

struct PositivityRule {
  int channel = 0;       // 1-based
  double threshold = 0;  // raw units of that channel
};

constexpr std::size_t kMaxPositivityRules = 4;  // 2^4 combinations already make 16 columns

// "2:120" -> channel 2, threshold 120. Throws std::invalid_argument naming the text.
PositivityRule parsePositivityRule(const std::string& text);
std::string positivityRuleText(const PositivityRule& rule);  // "2:120"

// The rules against an image: each channel present, each threshold within the bit depth. An ImageError names the
// file and the rule.
void checkPositivityRules(const std::vector<PositivityRule>& rules, int channelCount, int bitDepth,
                          const std::string& path);

// Fills every object's channelMeans from the raw channel planes (same size as detection.labels).
void measureChannelMeans(Detection& detection, const std::vector<cv::Mat>& channels);

// "ch2+ch3-" for one object (empty without rules); the object must have its channel means.
std::string positivityLabel(const DetectedObject& object, const std::vector<PositivityRule>& rules);

// Column names of the positivity counts: each rule's "chK+", then with two or more rules every combination
// ("ch2+ch3+", "ch2+ch3-", "ch2-ch3+", "ch2-ch3-").
std::vector<std::string> markerColumnNames(const std::vector<PositivityRule>& rules);
// The counts for those columns over the given objects, in the same order.
std::vector<int> markerCounts(const std::vector<DetectedObject>& objects, const std::vector<PositivityRule>& rules);

}  // namespace fluocount
