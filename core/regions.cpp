#include "core/regions.h"

#include "core/atomic_file.h"
#include "core/geojson_features.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <map>

namespace fluocount {
namespace {

using nlohmann::json;

double signedArea(const Ring& ring) {
  double twice = 0;
  for (std::size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++)
    twice += ring[j].x * ring[i].y - ring[i].x * ring[j].y;
  return twice / 2;
}

double cross(cv::Point2d o, cv::Point2d a, cv::Point2d b) {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

// Whether segments ab and cd cross or touch (collinear overlaps included).
bool segmentsMeet(cv::Point2d a, cv::Point2d b, cv::Point2d c, cv::Point2d d) {
  const double d1 = cross(c, d, a), d2 = cross(c, d, b), d3 = cross(a, b, c), d4 = cross(a, b, d);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true;
  auto onSegment = [](cv::Point2d p, cv::Point2d q, cv::Point2d r) {  // r on pq, given collinear
    return std::min(p.x, q.x) <= r.x && r.x <= std::max(p.x, q.x) && std::min(p.y, q.y) <= r.y &&
           r.y <= std::max(p.y, q.y);
  };
  return (d1 == 0 && onSegment(c, d, a)) || (d2 == 0 && onSegment(c, d, b)) || (d3 == 0 && onSegment(a, b, c)) ||
         (d4 == 0 && onSegment(a, b, d));
}

bool crossesItself(const Ring& ring) {
  const std::size_t n = ring.size();
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) {
      if (j == i + 1 || (i == 0 && j == n - 1)) continue;  // neighbouring edges share a vertex
      if (segmentsMeet(ring[i], ring[(i + 1) % n], ring[j], ring[(j + 1) % n])) return true;
    }
  return false;
}

// One GeoJSON linear ring: [[x, y], ...], closed by repeating the first vertex (which is dropped here).
Ring parseRing(const json& coordinates, cv::Size imageSize, const std::string& where) {
  if (!coordinates.is_array()) throw RegionError(where + ": a ring is not an array of [x, y] positions");
  std::vector<cv::Point2d> points;
  for (const json& position : coordinates) {
    if (!position.is_array() || position.size() < 2 || !position[0].is_number() || !position[1].is_number())
      throw RegionError(where + ": a vertex is not an [x, y] pair of numbers");
    points.emplace_back(position[0].get<double>(), position[1].get<double>());
  }
  return checkedRing(points, imageSize, where);
}

std::vector<Ring> parsePolygon(const json& rings, cv::Size imageSize, const std::string& where) {
  if (!rings.is_array() || rings.empty()) throw RegionError(where + ": a polygon has no rings");
  std::vector<Ring> polygon;
  for (const json& ring : rings) polygon.push_back(parseRing(ring, imageSize, where));
  return polygon;
}

// QuPath writes a class as {"name": "Cortex"}, a derived class as {"names": ["Cortex", "Layer 2"]} (its name
// "Cortex: Layer 2", which it reads back as the same class), and reads a bare string too.
std::string classificationOf(const json& properties) {
  if (!properties.is_object() || !properties.contains("classification")) return {};
  const json& classification = properties["classification"];
  if (classification.is_string()) return classification.get<std::string>();
  if (!classification.is_object()) return {};
  if (classification.contains("name") && classification["name"].is_string())
    return classification["name"].get<std::string>();
  std::string derived;
  if (classification.contains("names") && classification["names"].is_array())
    for (const json& name : classification["names"])
      if (name.is_string()) derived += (derived.empty() ? "" : ": ") + name.get<std::string>();
  return derived;
}

std::string nameOf(const json& properties) {
  if (properties.is_object() && properties.contains("name") && properties["name"].is_string())
    return properties["name"].get<std::string>();
  return classificationOf(properties);
}

json ringJson(const Ring& ring) {
  json positions = json::array();
  for (const cv::Point2d& p : ring) positions.push_back({p.x, p.y});
  positions.push_back({ring.front().x, ring.front().y});  // GeoJSON closes rings explicitly
  return positions;
}

std::vector<Region> parseRegionsOrThrow(const std::string& geojson, cv::Size imageSize, const std::string& file,
                                        LeftOutOfRegions& leftOut);

// The outer boundary of one object along its pixels' edges (QuPath's coordinates: pixel corners), clockwise on
// screen. Directed edges keep the object on their right; at a corner where the object touches itself only
// diagonally the walk turns left, so the diagonal part stays inside the outline. Collinear runs become one side.
Ring outlineAlongPixelEdges(const cv::Mat& labels, int label, cv::Rect box) {
  auto inside = [&](int x, int y) {
    return x >= box.x && y >= box.y && x < box.x + box.width && y < box.y + box.height && labels.at<int>(y, x) == label;
  };
  // Edges by their start corner; a corner starts at most two (the pinch case).
  std::map<std::pair<int, int>, std::vector<std::pair<int, int>>> next;
  cv::Point start(-1, -1);
  for (int y = box.y; y < box.y + box.height; ++y)
    for (int x = box.x; x < box.x + box.width; ++x) {
      if (!inside(x, y)) continue;
      if (start.x < 0) start = {x, y};  // the first pixel in raster order: its top side is on the outer boundary
      if (!inside(x, y - 1)) next[{x, y}].push_back({x + 1, y});
      if (!inside(x + 1, y)) next[{x + 1, y}].push_back({x + 1, y + 1});
      if (!inside(x, y + 1)) next[{x + 1, y + 1}].push_back({x, y + 1});
      if (!inside(x - 1, y)) next[{x, y + 1}].push_back({x, y});
    }
  Ring ring;
  if (start.x < 0) return ring;
  const std::pair<int, int> first{start.x, start.y};
  std::pair<int, int> at = first, direction{1, 0};
  do {
    auto& candidates = next[at];
    if (candidates.empty()) break;  // cannot happen for a closed boundary; stop rather than loop
    std::size_t pick = 0;
    if (candidates.size() > 1) {  // turn left: the candidate whose direction is the incoming one turned left
      const std::pair<int, int> left{direction.second, -direction.first};
      for (std::size_t i = 0; i < candidates.size(); ++i)
        if (std::pair(candidates[i].first - at.first, candidates[i].second - at.second) == left) pick = i;
    }
    const std::pair<int, int> to = candidates[pick];
    candidates.erase(candidates.begin() + std::ptrdiff_t(pick));
    const std::pair<int, int> step{to.first - at.first, to.second - at.second};
    if (ring.empty() || step != direction) ring.emplace_back(at.first, at.second);  // a corner
    direction = step;
    at = to;
  } while (at != first);
  return ring;
}
}  // namespace

Ring checkedRing(const std::vector<cv::Point2d>& points, cv::Size imageSize, const std::string& where) {
  Ring ring;
  for (const cv::Point2d& p : points) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) throw RegionError(where + ": a vertex is not finite");
    if (p.x < 0 || p.y < 0 || p.x > imageSize.width || p.y > imageSize.height)
      throw RegionError(where + ": vertex (" + std::to_string(p.x) + ", " + std::to_string(p.y) +
                        ") lies outside the " + std::to_string(imageSize.width) + "x" +
                        std::to_string(imageSize.height) + " image");
    if (ring.empty() || p != ring.back()) ring.push_back(p);
    if (ring.size() > kMaxRegionVertices)
      throw RegionError(where + ": a ring has more than " + std::to_string(kMaxRegionVertices) + " vertices");
  }
  if (ring.size() > 1 && ring.front() == ring.back()) ring.pop_back();
  if (ring.size() < 3) throw RegionError(where + ": a ring needs at least 3 distinct vertices");
  if (crossesItself(ring)) throw RegionError(where + ": the outline crosses itself");
  // Below a millionth of a pixel: no outline a person drew, and one that float coordinates do not keep.
  if (std::abs(signedArea(ring)) < 1e-6) throw RegionError(where + ": the outline encloses no area");
  return ring;
}

Ring cellOutline(const Detection& detection, const DetectedObject& object) {
  return outlineAlongPixelEdges(detection.labels, object.label, object.boundingBox);
}

double Region::areaPx() const {
  double area = 0;
  for (const auto& polygon : polygons)
    for (std::size_t r = 0; r < polygon.size(); ++r) area += (r == 0 ? 1 : -1) * std::abs(signedArea(polygon[r]));
  return area;
}

// Even-odd rule over every ring: inside an outer ring and outside its holes.
bool Region::contains(cv::Point2d point) const {
  bool inside = false;
  for (const auto& polygon : polygons)
    for (const Ring& ring : polygon)
      for (std::size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++)
        if ((ring[i].y > point.y) != (ring[j].y > point.y) &&
            point.x < (ring[j].x - ring[i].x) * (point.y - ring[i].y) / (ring[j].y - ring[i].y) + ring[i].x)
          inside = !inside;
  return inside;
}

std::string LeftOutOfRegions::describe() const {
  std::vector<std::string> parts;
  const auto add = [&](int n, const char* one, const char* many) {
    if (n > 0) parts.push_back(std::to_string(n) + " " + (n == 1 ? one : many));
  };
  add(qupathObjects, "QuPath detection, cell or tile", "QuPath detections, cells or tiles");
  add(pointsAndLines, "point or line", "points or lines");
  add(overlays, "text label or image overlay", "text labels or image overlays");
  std::string what;
  for (std::size_t i = 0; i < parts.size(); ++i)
    what += (i == 0 ? "" : i + 1 == parts.size() ? " and " : ", ") + parts[i];
  return what + ": not regions, left out";
}

std::vector<Region> parseRegions(const std::string& geojson, cv::Size imageSize, const std::string& file,
                                 LeftOutOfRegions* leftOut) {
  LeftOutOfRegions found;
  try {
    std::vector<Region> regions = parseRegionsOrThrow(geojson, imageSize, file, found);
    if (leftOut) *leftOut = found;
    return regions;
  } catch (const json::exception& e) {  // a field of the wrong JSON type, e.g. "type": 5
    throw RegionError(file + ": not GeoJSON as expected (" + e.what() + ")");
  }
}

namespace {

// Whether QuPath would read the feature as another object than an annotation (PathObjectTypeAdapters: the type in
// properties.objectType, the older properties.object_type or the alias properties.type, or in version 0.2 the
// feature's id; a type it does not know, or none, makes an annotation).
bool isQuPathObjectOtherThanAnAnnotation(const json& feature) {
  static const std::set<std::string> otherTypes = {
      "detection",           "cell",           "tile",           "tmaCore",       "tma_core",      "root",
      "PathDetectionObject", "PathCellObject", "PathTileObject", "TMACoreObject", "PathRootObject"};
  const auto typeIn = [](const json& object, const char* key) {
    return object.is_object() && object.contains(key) && object[key].is_string() ? object[key].get<std::string>()
                                                                                 : std::string();
  };
  static const json none;
  const json& properties = feature.contains("properties") ? feature["properties"] : none;  // no copy of measurements
  std::string type = typeIn(properties, "objectType");
  if (type.empty()) type = typeIn(properties, "object_type");
  if (type.empty()) type = typeIn(properties, "type");  // an alias QuPath reads too
  if (type.empty()) type = typeIn(feature, "id");
  return otherTypes.count(type) > 0;
}

bool isPointOrLine(const std::string& geometryType) {
  return geometryType == "Point" || geometryType == "MultiPoint" || geometryType == "LineString" ||
         geometryType == "MultiLineString";
}

// The Polygon and MultiPolygon geometries of a feature's geometry: itself, or the members of a GeometryCollection
// (which QuPath writes for an annotation whose shape mixes areas with lines or points, as a subtraction can leave;
// the lines and points enclose nothing and are passed over). Empty for a point or line, and for a collection of
// nothing else. Any other geometry is an error.
std::vector<const json*> areaGeometries(const json& geometry, const std::string& where) {
  const std::string type = geometry.is_object() ? geometry.value("type", "") : "";
  if (type == "Polygon" || type == "MultiPolygon") return {&geometry};
  if (isPointOrLine(type)) return {};
  if (type == "GeometryCollection") {
    if (!geometry.contains("geometries") || !geometry["geometries"].is_array())
      throw RegionError(where + ": a GeometryCollection without 'geometries'");
    std::vector<const json*> areas;
    for (const json& member : geometry["geometries"])
      for (const json* area : areaGeometries(member, where)) areas.push_back(area);
    return areas;
  }
  throw RegionError(where + ": a region must be a Polygon, MultiPolygon or GeometryCollection of them, not " +
                    (type.empty() ? std::string("an untyped geometry") : "a " + type));
}

}  // namespace

json geoJsonFeatures(const std::string& text, const std::string& where) {
  json document;
  try {
    document = json::parse(text);
  } catch (const json::exception& e) {
    throw RegionError(where + ": not JSON (" + e.what() + ")");
  }
  json features;
  if (document.is_object() && document.value("type", "") == "FeatureCollection" && document.contains("features"))
    features = document["features"];
  else if (document.is_array())  // QuPath also writes a bare array of features
    features = document;
  else if (document.is_object() && document.value("type", "") == "Feature")
    features = json::array({document});
  else
    throw RegionError(where + ": not a GeoJSON FeatureCollection, feature or array of features");
  if (!features.is_array()) throw RegionError(where + ": 'features' is not an array");
  return features;
}

namespace {

std::vector<Region> parseRegionsOrThrow(const std::string& geojson, cv::Size imageSize, const std::string& file,
                                        LeftOutOfRegions& leftOut) {
  const json features = geoJsonFeatures(geojson, file);
  std::vector<Region> regions;
  std::set<std::string> takenNames;
  for (std::size_t i = 0; i < features.size(); ++i) {
    const json& feature = features[i];
    std::string name = feature.is_object() && feature.contains("properties") ? nameOf(feature["properties"]) : "";
    const std::string where = file + ", feature " + std::to_string(i + 1) + (name.empty() ? "" : " (" + name + ")");
    if (feature.is_object() && isQuPathObjectOtherThanAnAnnotation(feature)) {
      ++leftOut.qupathObjects;
      continue;
    }
    if (!feature.is_object() || !feature.contains("geometry") || !feature["geometry"].is_object())
      throw RegionError(where + ": no geometry");
    const json& geometry = feature["geometry"];
    const std::vector<const json*> areas = areaGeometries(geometry, where);
    if (areas.empty()) {  // a point or line (a GeometryCollection of them too): it encloses no area
      ++leftOut.pointsAndLines;
      continue;
    }
    Region region;
    region.name = claimRegionName(name.empty() ? "Region " + std::to_string(i + 1) : name, takenNames);
    region.classification = feature.contains("properties") ? classificationOf(feature["properties"]) : "";
    for (const json* area : areas) {
      if (!area->contains("coordinates")) throw RegionError(where + ": the geometry has no coordinates");
      const json& coordinates = (*area)["coordinates"];
      if (area->value("type", "") == "Polygon") {
        region.polygons.push_back(parsePolygon(coordinates, imageSize, where));
        continue;
      }
      if (!coordinates.is_array() || coordinates.empty())
        throw RegionError(where + ": a MultiPolygon without polygons");
      for (const json& polygon : coordinates) region.polygons.push_back(parsePolygon(polygon, imageSize, where));
    }
    if (region.areaPx() <= 0) throw RegionError(where + ": the region encloses no area");
    regions.push_back(std::move(region));
  }
  if (regions.empty() && leftOut.any()) throw RegionError(file + ": holds no region (" + leftOut.describe() + ")");
  return regions;
}

}  // namespace

std::string claimRegionName(const std::string& name, std::set<std::string>& taken) {
  std::string free = name;
  for (int n = 2; taken.count(free); ++n) free = name + " " + std::to_string(n);
  taken.insert(free);
  return free;
}

std::string readRegionsFile(const std::string& path) {
  try {
    return readWholeFile(path, std::size_t(256) << 20);
  } catch (const std::exception& e) {
    throw RegionError(e.what());
  }
}

std::vector<Region> loadRegions(const std::string& path, cv::Size imageSize, LeftOutOfRegions* leftOut) {
  return parseRegions(readRegionsFile(path), imageSize, path, leftOut);
}

std::string regionsGeoJson(const std::vector<Region>& regions) {
  json features = json::array();
  for (const Region& region : regions) {
    json polygons = json::array();
    for (const auto& polygon : region.polygons) {
      json rings = json::array();
      for (const Ring& ring : polygon) rings.push_back(ringJson(ring));
      polygons.push_back(rings);
    }
    const bool single = region.polygons.size() == 1;
    json properties = {{"objectType", "annotation"}, {"name", region.name}};
    if (!region.classification.empty()) properties["classification"] = {{"name", region.classification}};
    features.push_back(
        {{"type", "Feature"},
         {"geometry",
          {{"type", single ? "Polygon" : "MultiPolygon"}, {"coordinates", single ? polygons[0] : polygons}}},
         {"properties", properties}});
  }
  return json{{"type", "FeatureCollection"}, {"features", features}}.dump(1) + "\n";
}

bool regionHolds(const Region& region, const DetectedObject& cell) {
  return region.contains({cell.centroid.x + 0.5, cell.centroid.y + 0.5});  // QuPath coordinates: pixel centres at +0.5
}

std::vector<RegionCount> countByRegion(const Detection& detection, const std::vector<Region>& regions,
                                       cv::Size imageSize, const std::vector<PositivityRule>& rules) {
  if (regions.empty())
    return {{"whole image", detection.count(), double(imageSize.width) * double(imageSize.height),
             rules.empty() ? std::vector<int>{} : markerCounts(detection.objects, rules)}};
  std::vector<RegionCount> counts;
  for (const Region& region : regions) {
    std::vector<DetectedObject> inside;
    for (const DetectedObject& object : detection.objects)
      if (regionHolds(region, object)) inside.push_back(object);
    counts.push_back({region.name, static_cast<int>(inside.size()), region.areaPx(),
                      rules.empty() ? std::vector<int>{} : markerCounts(inside, rules), region.classification});
  }
  return counts;
}

namespace {

json cellMeasurements(const DetectedObject& object, const CellExportContext& context) {
  json measurements = {{"Area px^2", object.areaPx},
                       {"Centroid X px", object.centroid.x + 0.5},
                       {"Centroid Y px", object.centroid.y + 0.5},
                       {"Mean probability", object.meanProbability},
                       {"Mean intensity", object.meanIntensity}};
  if (context.pixelSizeUm > 0) {
    const double s = context.pixelSizeUm;
    measurements["Area \u00b5m^2"] = object.areaPx * s * s;
    measurements["Centroid X \u00b5m"] = (object.centroid.x + 0.5) * s;
    measurements["Centroid Y \u00b5m"] = (object.centroid.y + 0.5) * s;
  }
  for (std::size_t c = 0; c < object.channelMeans.size(); ++c)
    measurements["Mean ch" + std::to_string(c + 1)] = object.channelMeans[c];
  return measurements;
}

}  // namespace

std::string detectionsGeoJson(const Detection& detection, const CellExportContext& context) {
  json features = json::array();
  for (const DetectedObject& object : detection.objects) {
    const Ring ring = cellOutline(detection, object);
    const json geometry = {{"type", "Polygon"}, {"coordinates", json::array({ringJson(ring)})}};
    const std::string call = positivityLabel(object, context.positivity);
    const std::string name = "cell-" + std::to_string(object.label);
    features.push_back({{"type", "Feature"},
                        {"id", name},
                        {"geometry", geometry},
                        {"properties",
                         {{"objectType", "detection"},
                          {"name", name},
                          {"classification", {{"name", call.empty() ? "Cell" : "Cell: " + call}}},
                          {"measurements", cellMeasurements(object, context)}}}});
  }
  return json{{"type", "FeatureCollection"}, {"features", features}}.dump() + "\n";
}

}  // namespace fluocount
