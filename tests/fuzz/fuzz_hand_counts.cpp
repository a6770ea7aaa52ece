// libFuzzer target: the reader of counts by hand (evaluate --hand-counts: Fiji point ROIs and ROI sets, Cell Counter
// XML, GeoJSON points). Any bytes give marks inside the image or a RegionError naming the file.
#include "core/hand_counts.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    const fluocount::HandCount count = fluocount::parseHandCount(bytes, {1600, 1200}, "count");
    for (const cv::Point2d& mark : count.marks)
      if (!(mark.x > -0.5 && mark.y > -0.5 && mark.x < 1599.5 && mark.y < 1199.5)) __builtin_trap();
    if (fluocount::marksAsCells(count.marks).count() != static_cast<int>(count.marks.size())) __builtin_trap();
  } catch (const fluocount::RegionError&) {}
  return 0;
}
