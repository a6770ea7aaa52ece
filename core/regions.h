#pragma once
// Named regions of a slide (the brain areas a study reports: LHr, PVHr, VLPAGr, ...) and the cells each holds. A
// cell belongs to every region that contains its centroid. Regions travel as GeoJSON in QuPath's conventions: a
// FeatureCollection whose Polygon or MultiPolygon features carry their name in properties.name or their class
// (properties.classification: its name, a derived class's names joined as "Cortex: Layer 2", or a bare string);
// coordinates in pixels of the full-resolution image, origin at the top-left corner of the top-left pixel (so the
// centre of pixel (x, y) is (x + 0.5, y + 0.5)).
#include "core/cell_channels.h"
#include "core/postprocess.h"

#include <opencv2/core.hpp>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace fluocount {

class RegionError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

using Ring = std::vector<cv::Point2d>;  // closed: the last vertex joins the first (not repeated)

struct Region {
  std::string name;
  // Polygons, each an outer ring followed by its holes (GeoJSON's Polygon); a MultiPolygon has several.
  std::vector<std::vector<Ring>> polygons;
  double areaPx() const;                   // outer rings minus holes, px²
  bool contains(cv::Point2d point) const;  // in QuPath coordinates (pixel centres at +0.5)
  // QuPath's class of the annotation (properties.classification.name: "Cortex", "Striatum"), which a study groups
  // its regions by; empty where the region has none. Kept through edits and written back (as an ImageJ ROI's
  // "class" property in a ROI set), so that saving a QuPath file's regions never loses their classes.
  std::string classification = {};
};

// Whether a cell belongs to the region: its centroid lies inside (the rule of countByRegion and objects.csv).
bool regionHolds(const Region& region, const DetectedObject& cell);

// `name`, or where `taken` holds it already, the first free of "<name> 2", "<name> 3", ...; the result joins `taken`.
// The tables know a region by its image and name (regions.csv's rows, objects.csv's regions column, merge's key),
// so every loader names its regions this way, as the app names one drawn or renamed to a name already taken.
std::string claimRegionName(const std::string& name, std::set<std::string>& taken);

constexpr std::size_t kMaxRegionVertices = 20000;  // per ring: the self-intersection check is quadratic

// What a regions file held that is not a region and was left out of its regions: QuPath objects other than
// annotations (detections, cells, tiles, TMA cores: what QuPath found, not areas a user drew; an export of "all
// objects" holds them beside the annotations), points and lines (a manual count, a measured distance), which
// enclose no area, and ImageJ's text labels and image overlays. A file that holds nothing else is refused.
struct LeftOutOfRegions {
  int qupathObjects = 0;
  int pointsAndLines = 0;
  int overlays = 0;
  bool any() const { return qupathObjects > 0 || pointsAndLines > 0 || overlays > 0; }
  // "1234 QuPath detections, cells or tiles and 2 points or lines: not regions, left out"
  std::string describe() const;
};

// Every region of a GeoJSON text, checked: Polygon or MultiPolygon geometry, at least 3 distinct finite vertices
// per ring, no ring crossing itself, inside an image of imageSize, a non-zero area, a name of its own (features
// without one are named "Region <n>", a name taken by an earlier feature gets a number: claimRegionName). A
// RegionError names nameForErrors and the feature. Features that are not regions (LeftOutOfRegions: QuPath's object
// type in properties.objectType, its older properties.object_type or alias properties.type, or a version 0.2
// feature id; points and lines)
// are left out and, where `leftOut` is given, counted there.
std::vector<Region> parseRegions(const std::string& geojson, cv::Size imageSize, const std::string& nameForErrors,
                                 LeftOutOfRegions* leftOut = nullptr);
// A missing file is a RegionError.
std::vector<Region> loadRegions(const std::string& path, cv::Size imageSize, LeftOutOfRegions* leftOut = nullptr);
// A regions file's bytes (up to 256 MB); a file that cannot be read is a RegionError naming it.
std::string readRegionsFile(const std::string& path);
// A ring from its vertices, checked as parseRegions checks each: finite, inside the image, at least 3 distinct
// vertices, not crossing itself, enclosing an area. A RegionError starts with `where`.
Ring checkedRing(const std::vector<cv::Point2d>& points, cv::Size imageSize, const std::string& where);
// QuPath annotations: objectType "annotation", the name as properties.name, and the classification where the region
// has one.
std::string regionsGeoJson(const std::vector<Region>& regions);

struct RegionCount {
  std::string name;
  int count = 0;
  double areaPx = 0;
  std::vector<int> markerCounts;    // per positivity column (core/cell_channels.h), with rules
  std::string classification = {};  // Region::classification
};

// Cells per region, in the regions' order, and with positivity rules the region's counts per marker (the objects
// need their channel means). Without regions, one region "whole image" covering it.
std::vector<RegionCount> countByRegion(const Detection& detection, const std::vector<Region>& regions,
                                       cv::Size imageSize, const std::vector<PositivityRule>& rules = {});

// What a cell's exported measurements can say beyond pixels.
struct CellExportContext {
  double pixelSizeUm = 0;                  // micrometres per pixel; 0: unknown
  std::vector<PositivityRule> positivity;  // the rules the cells were called by (their channel means measured)
};

// The detections as QuPath detection objects: each cell's outline (a Polygon along its pixels' outer edges, so it
// encloses exactly the cell's pixels and any holes), its name ("cell-<label>", as objects.csv numbers it), its
// classification ("Cell", or with positivity rules its call as a derived class, "Cell: ch2+ch3-") and its
// measurements named as QuPath names its own: area and centroid in px, and in µm where the pixel size is known; mean
// probability and intensity; each channel's mean raw value ("Mean ch1", ...) where measured.
std::string detectionsGeoJson(const Detection& detection, const CellExportContext& context = {});
// One cell's outline along its pixels' outer edges (pixel-corner coordinates), as detectionsGeoJson writes it.
Ring cellOutline(const Detection& detection, const DetectedObject& object);

}  // namespace fluocount
