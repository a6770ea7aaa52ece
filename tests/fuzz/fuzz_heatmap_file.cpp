// libFuzzer target: the heatmap cache loader (<folder>/.fluocount/heatmaps/*.fchm), which the app reads back when a
// folder reopens. Any bytes load or fail with a HeatmapFileError naming the file; each input is tried as it is and
// with a valid checksum. A heatmap that loads serialises back to exactly the bytes it came from.
#include "core/heatmap_file.h"
#include "tests/fuzz/fuzz_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  for (const std::string& input : {bytes, fluocount::fuzz::withValidChecksum(bytes)}) {
    try {
      const cv::Mat heatmap = fluocount::loadHeatmap(fluocount::fuzz::writeInput("slide.png.fchm", input));
      if (heatmap.type() != CV_32F || heatmap.empty() || fluocount::serialiseHeatmap(heatmap) != input)
        __builtin_trap();
    } catch (const fluocount::HeatmapFileError&) {}
  }
  return 0;
}
