#include "core/hand_counts.h"

#include "core/geojson_features.h"
#include "core/imagej_roi.h"

#include <charconv>
#include <cmath>
#include <filesystem>

namespace fluocount {
namespace {

using nlohmann::json;

// The text between <tag> and </tag> from `from` on, or npos in `end` when there is none.
std::string element(const std::string& xml, const std::string& tag, std::size_t from, std::size_t& end) {
  const std::size_t open = xml.find("<" + tag + ">", from);
  if (open == std::string::npos) return end = std::string::npos, std::string();
  const std::size_t start = open + tag.size() + 2, close = xml.find("</" + tag + ">", start);
  if (close == std::string::npos) return end = std::string::npos, std::string();
  end = close + tag.size() + 3;
  return xml.substr(start, close - start);
}

double coordinate(const std::string& text, const std::string& where) {
  const std::size_t first = text.find_first_not_of(" \t\r\n"), last = text.find_last_not_of(" \t\r\n");
  double value = 0;
  if (first != std::string::npos) {
    const auto [end, error] = std::from_chars(text.data() + first, text.data() + last + 1, value);  // no locale
    if (error == std::errc() && end == text.data() + last + 1 && std::isfinite(value)) return value;
  }
  throw RegionError(where + ": a marker coordinate '" + text.substr(0, 40) + "' is not a number");
}

// Fiji's Cell Counter markers file: <CellCounter_Marker_File><Image_Properties><Image_Filename>..., then per counter
// type <Marker_Type><Type>1</Type><Marker><MarkerX>x</MarkerX><MarkerY>y</MarkerY><MarkerZ>1</MarkerZ></Marker>...
// Coordinates name the pixel. Every type's markers are cells (the types sort them: "positive", "double", ...).
HandCount parseCellCounterXml(const std::string& xml, const std::string& where) {
  HandCount count;
  std::size_t end = 0;
  count.imageNamed = element(xml, "Image_Filename", 0, end);
  for (std::size_t at = 0;;) {
    const std::string marker = element(xml, "Marker", at, end);
    if (end == std::string::npos) break;
    at = end;
    std::size_t inMarker = 0;
    const std::string x = element(marker, "MarkerX", 0, inMarker);
    const std::string y = element(marker, "MarkerY", 0, inMarker);
    if (inMarker == std::string::npos) throw RegionError(where + ": a Marker without MarkerX and MarkerY");
    count.marks.emplace_back(coordinate(x, where), coordinate(y, where));
  }
  return count;
}

// QuPath's Points tool makes an annotation with a MultiPoint geometry; other tools write one Point per feature.
// Coordinates put a pixel's centre at +0.5.
HandCount parseGeoJsonPoints(const std::string& text, const std::string& where) {
  const json features = geoJsonFeatures(text, where);
  HandCount count;
  const auto point = [&](const json& position) {
    if (!position.is_array() || position.size() < 2 || !position[0].is_number() || !position[1].is_number())
      throw RegionError(where + ": a point's coordinates are not two numbers");
    count.marks.emplace_back(position[0].get<double>() - 0.5, position[1].get<double>() - 0.5);
  };
  for (const json& feature : features) {
    const json* geometry = feature.is_object() && feature.contains("geometry") ? &feature["geometry"] : nullptr;
    const std::string type = geometry && geometry->is_object() ? geometry->value("type", "") : "";
    if ((type == "Point" || type == "MultiPoint") && !geometry->contains("coordinates"))
      throw RegionError(where + ": a " + type + " without coordinates");
    if (type == "Point") {
      point((*geometry)["coordinates"]);
    } else if (type == "MultiPoint") {
      const json& positions = (*geometry)["coordinates"];
      if (!positions.is_array()) throw RegionError(where + ": a MultiPoint's coordinates are not a list");
      for (const json& position : positions) point(position);
    } else {
      ++count.otherObjects;
    }
  }
  if (count.marks.empty() && count.otherObjects > 0)
    throw RegionError(where + ": holds no points but " + std::to_string(count.otherObjects) +
                      " other object(s) (regions or outlines, not cells marked by hand)");
  return count;
}

}  // namespace

HandCount parseHandCount(const std::string& bytes, cv::Size imageSize, const std::string& nameForErrors) {
  HandCount count;
  const std::size_t start = bytes.find_first_not_of(" \t\r\n\xEF\xBB\xBF");  // a byte-order mark, blank lines
  if (bytes.compare(0, 4, "Iout") == 0 || bytes.compare(0, 2, "PK") == 0)
    count.marks = parseRoiPoints(bytes, nameForErrors, &count.otherObjects);
  else if (start != std::string::npos && bytes[start] == '<' && bytes.find("<Marker_Data>") != std::string::npos)
    count = parseCellCounterXml(bytes, nameForErrors);
  else if (start != std::string::npos && (bytes[start] == '{' || bytes[start] == '['))
    try {
      count = parseGeoJsonPoints(bytes, nameForErrors);
    } catch (const nlohmann::json::exception& e) {  // a member of another type than GeoJSON's ("type": 5)
      throw RegionError(nameForErrors + ": not GeoJSON as expected (" + e.what() + ")");
    }
  else
    throw RegionError(nameForErrors +
                      ": not a count by hand (an ImageJ ROI or ROI set of points, a Cell Counter XML file or GeoJSON "
                      "points)");
  // The marks' pixels: a mark in no pixel of the image was made on another image.
  for (const cv::Point2d& mark : count.marks)
    if (!(mark.x > -0.5 && mark.y > -0.5 && mark.x < imageSize.width - 0.5 && mark.y < imageSize.height - 0.5))
      throw RegionError(nameForErrors + ": a mark at (" + std::to_string(mark.x) + ", " + std::to_string(mark.y) +
                        ") lies outside the " + std::to_string(imageSize.width) + "x" +
                        std::to_string(imageSize.height) + " image (a count of another image?)");
  return count;
}

HandCount loadHandCount(const std::string& path, cv::Size imageSize, const std::string& imagePath) {
  HandCount count = parseHandCount(readRegionsFile(path), imageSize, path);
  const std::filesystem::path image(imagePath);
  if (!count.imageNamed.empty() && std::filesystem::path(count.imageNamed).stem() != image.stem())
    throw RegionError(path + " counts the cells of " + count.imageNamed + ", not of " + image.filename().string() +
                      " (its Image_Filename)");
  return count;
}

Detection marksAsCells(const std::vector<cv::Point2d>& marks) {
  Detection cells;
  for (const cv::Point2d& mark : marks) {
    DetectedObject cell;
    cell.label = cells.count() + 1;
    // To the nearest half pixel, which a box's centre can be: a box of one pixel, or of two where the mark lies
    // between two pixels.
    const double x = std::round(2 * mark.x) / 2, y = std::round(2 * mark.y) / 2;
    cell.centroid = {x, y};
    cell.boundingBox =
        cv::Rect(int(std::floor(x)), int(std::floor(y)), x == std::floor(x) ? 1 : 2, y == std::floor(y) ? 1 : 2);
    cell.areaPx = cell.boundingBox.area();
    cells.objects.push_back(cell);
  }
  return cells;
}

}  // namespace fluocount
