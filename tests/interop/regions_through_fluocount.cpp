// Regions through FluoCount's writers, for tests/interop/imagej_interop.sh: reads an ImageJ ROI set as `count
// --regions` reads it, writes the regions as the app's Regions > Export writes them for QuPath (GeoJSON), reads
// that back as --regions reads GeoJSON, and writes the result as the app writes a ROI set for Fiji's ROI Manager.
// ImageJ then compares the ROI set that went through both with the one it drew.
//
// Usage: regions_through_fluocount <RoiSet.zip> <width> <height> <out.geojson> <out.zip>
#include "core/imagej_roi.h"
#include "core/regions.h"

#include <cstdio>
#include <exception>
#include <fstream>
#include <string>

namespace {

void writeFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s <RoiSet.zip> <width> <height> <out.geojson> <out.zip>\n", argv[0]);
    return 2;
  }
  try {
    const cv::Size imageSize(std::stoi(argv[2]), std::stoi(argv[3]));
    const std::vector<fluocount::Region> fromImageJ = fluocount::loadRoiRegions(argv[1], imageSize);
    writeFile(argv[4], fluocount::regionsGeoJson(fromImageJ));
    const std::vector<fluocount::Region> fromGeoJson = fluocount::loadRegions(argv[4], imageSize);
    writeFile(argv[5], fluocount::regionsRoiSet(fromGeoJson));
    std::printf("%zu regions from %s, through %s, to %s\n", fromGeoJson.size(), argv[1], argv[4], argv[5]);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
