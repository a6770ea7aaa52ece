// libFuzzer target: the regions reader (count --regions, QuPath GeoJSON). Any bytes give regions or a RegionError
// naming the file; regions that parse are written and read back to the same geometry.
#include "core/regions.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto regions = fluocount::parseRegions(text, {1600, 1200}, "slide.geojson");
    const auto again = fluocount::parseRegions(fluocount::regionsGeoJson(regions), {1600, 1200}, "written.geojson");
    if (again.size() != regions.size()) __builtin_trap();
    for (std::size_t i = 0; i < regions.size(); ++i)
      if (again[i].polygons != regions[i].polygons || again[i].name != regions[i].name) __builtin_trap();
  } catch (const fluocount::RegionError&) {}
  return 0;
}
