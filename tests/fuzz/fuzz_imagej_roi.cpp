// libFuzzer target: the ImageJ ROI reader (a single .roi or a RoiSet.zip, regions from Fiji's ROI Manager). Any
// bytes give regions or a RegionError naming the file; regions that parse are written as a ROI set and read back
// to the same names, classes and areas.
#include "core/imagej_roi.h"

#include <cmath>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    const auto regions = fluocount::parseRoiRegions(bytes, {1600, 1200}, "RoiSet.zip");
    const auto again = fluocount::parseRoiRegions(fluocount::regionsRoiSet(regions), {1600, 1200}, "written.zip");
    if (again.size() != regions.size()) __builtin_trap();
    for (std::size_t i = 0; i < regions.size(); ++i)
      if (again[i].name != regions[i].name || again[i].classification != regions[i].classification ||
          std::abs(again[i].areaPx() - regions[i].areaPx()) > 1e-3 * (1 + std::abs(regions[i].areaPx())))
        __builtin_trap();
  } catch (const fluocount::RegionError&) {}
  return 0;
}
