#include "core/imagej_roi.h"

#include "core/atomic_file.h"
#include "core/imagej_curves.h"
#include "core/numeric_locale.h"
#include "core/utf8.h"
#include "core/zip_archive.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

namespace fluocount {
namespace {

// RoiDecoder's offsets and codes.
constexpr int kVersion = 228, kHeaderSize = 64, kHeader2Size = 64;
constexpr int kType = 6, kTop = 8, kLeft = 10, kBottom = 12, kRight = 14, kCoordinateCount = 16, kX1 = 18, kWidthD = 26,
              kHeightD = 30, kPointCountInt = 18, kShapeSize = 36, kSubtype = 48, kOptions = 50, kCornerDiameter = 54,
              kHeader2Offset = 60;
constexpr int kNameOffset = 16, kNameLength = 20, kPropertiesOffset = 40, kPropertiesLength = 44;
constexpr int kPolygon = 0, kRect = 1, kOval = 2, kLine = 3, kFreeLine = 4, kPolyLine = 5, kNoRoi = 6, kFreehand = 7,
              kTraced = 8, kAngle = 9, kPoint = 10;
constexpr int kSplineFit = 1, kSubPixelResolution = 128;  // options
constexpr int kTextSubtype = 1, kImageSubtype = 4;        // a rectangle ROI that is a text label or an image overlay

class Bytes {
public:
  explicit Bytes(std::size_t size) : data_(size, '\0') {}
  void u8(std::size_t at, int v) { data_.at(at) = char(v & 255); }
  void u16(std::size_t at, int v) {
    u8(at, v >> 8);
    u8(at + 1, v);
  }
  void u32(std::size_t at, std::uint32_t v) {
    u16(at, int(v >> 16));
    u16(at + 2, int(v & 0xFFFF));
  }
  void f32(std::size_t at, float v) {
    std::uint32_t bits;
    std::memcpy(&bits, &v, 4);
    u32(at, bits);
  }
  // Java strings: UTF-16 code units, big-endian. Names here are ASCII or Latin-1 from UTF-8; anything else becomes '?'.
  void utf16(std::size_t at, const std::u16string& text) {
    for (std::size_t i = 0; i < text.size(); ++i) u16(at + 2 * i, text[i]);
  }
  std::string take() { return std::move(data_); }

private:
  std::string data_;
};

std::u16string utf16Of(const std::string& utf8) {
  std::u16string out;
  for (char32_t code : codePointsOf(utf8)) {
    if (code >= 0x10000) {
      code -= 0x10000;
      out += char16_t(0xD800 + (code >> 10));
      out += char16_t(0xDC00 + (code & 0x3FF));
    } else {
      out += char16_t(code);
    }
  }
  return out;
}

// Java's UTF-16 as UTF-8; a surrogate without its partner becomes U+FFFD.
std::string utf8Of(const std::u16string& text) {
  std::u32string codePoints;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char32_t unit = text[i];
    const bool high = unit >= 0xD800 && unit < 0xDC00, low = unit >= 0xDC00 && unit <= 0xDFFF;
    if (high && i + 1 < text.size() && text[i + 1] >= 0xDC00 && text[i + 1] <= 0xDFFF)
      codePoints += 0x10000 + ((unit - 0xD800) << 10) + (text[++i] - 0xDC00);
    else
      codePoints += high || low ? U'\uFFFD' : unit;
  }
  return fluocount::utf8Of(codePoints);
}

cv::Rect boundsOf(const std::vector<Ring>& rings) {
  double left = 1e18, top = 1e18, right = -1e18, bottom = -1e18;
  for (const Ring& ring : rings)
    for (const cv::Point2d& p : ring)
      left = std::min(left, p.x), top = std::min(top, p.y), right = std::max(right, p.x),
      bottom = std::max(bottom, p.y);
  const int x = int(std::floor(left)), y = int(std::floor(top));
  return {x, y, int(std::ceil(right)) - x, int(std::ceil(bottom)) - y};
}

bool integral(const std::vector<Ring>& rings) {
  for (const Ring& ring : rings)
    for (const cv::Point2d& p : ring)
      if (p.x != std::floor(p.x) || p.y != std::floor(p.y)) return false;
  return true;
}

// The second header, the name and the properties, at `at`.
void putHeader2(Bytes& roi, std::size_t at, const std::u16string& name, const std::u16string& properties) {
  roi.u32(kHeader2Offset, static_cast<std::uint32_t>(at));
  const std::size_t nameAt = at + kHeader2Size, propertiesAt = nameAt + 2 * name.size();
  if (!name.empty()) {
    roi.u32(at + kNameOffset, static_cast<std::uint32_t>(nameAt));
    roi.u32(at + kNameLength, static_cast<std::uint32_t>(name.size()));
    roi.utf16(nameAt, name);
  }
  if (!properties.empty()) {
    roi.u32(at + kPropertiesOffset, static_cast<std::uint32_t>(propertiesAt));
    roi.u32(at + kPropertiesLength, static_cast<std::uint32_t>(properties.size()));
    roi.utf16(propertiesAt, properties);
  }
}

void putCommonHeader(Bytes& roi, int type, cv::Rect bounds) {
  roi.u8(0, 'I'), roi.u8(1, 'o'), roi.u8(2, 'u'), roi.u8(3, 't');
  roi.u16(4, kVersion);
  roi.u8(kType, type);
  roi.u16(kTop, bounds.y);
  roi.u16(kLeft, bounds.x);
  roi.u16(kBottom, bounds.y + bounds.height);
  roi.u16(kRight, bounds.x + bounds.width);
}

std::string encodePoints(const std::string& name, const std::vector<cv::Point2d>& points) {
  const std::u16string name16 = utf16Of(name);
  const std::size_t n = points.size();
  Ring all(points.begin(), points.end());
  const cv::Rect bounds = boundsOf({all});
  Bytes roi(kHeaderSize + n * 12 + kHeader2Size + 2 * name16.size());
  putCommonHeader(roi, kPoint, bounds);
  if (n > 65535)
    roi.u32(kPointCountInt, static_cast<std::uint32_t>(n));
  else
    roi.u16(kCoordinateCount, int(n));
  roi.u16(kOptions, kSubPixelResolution);
  for (std::size_t i = 0; i < n; ++i) {
    roi.u16(kHeaderSize + 2 * i, int(std::floor(points[i].x)) - bounds.x);
    roi.u16(kHeaderSize + 2 * n + 2 * i, int(std::floor(points[i].y)) - bounds.y);
    roi.f32(kHeaderSize + 4 * n + 4 * i, float(points[i].x));
    roi.f32(kHeaderSize + 8 * n + 4 * i, float(points[i].y));
  }
  putHeader2(roi, kHeaderSize + n * 12, name16, {});
  return roi.take();
}

}  // namespace

std::string encodeRoi(const std::string& name, const std::vector<Ring>& rings, int type,
                      const std::string& properties) {
  const std::u16string name16 = utf16Of(name), properties16 = utf16Of(properties);
  const std::size_t textBytes = 2 * (name16.size() + properties16.size());
  const cv::Rect bounds = boundsOf(rings);
  if (rings.size() > 1) {  // a composite: moveto, linetos, close per ring, coordinates relative to the image
    std::vector<float> shape;
    for (const Ring& ring : rings) {
      for (std::size_t i = 0; i < ring.size(); ++i) {
        shape.push_back(i == 0 ? 0.f : 1.f);
        shape.push_back(float(ring[i].x));
        shape.push_back(float(ring[i].y));
      }
      shape.push_back(4.f);
    }
    Bytes roi(kHeaderSize + 4 * shape.size() + kHeader2Size + textBytes);
    putCommonHeader(roi, kRect, bounds);
    roi.u32(kShapeSize, static_cast<std::uint32_t>(shape.size()));
    for (std::size_t i = 0; i < shape.size(); ++i) roi.f32(kHeaderSize + 4 * i, shape[i]);
    putHeader2(roi, kHeaderSize + 4 * shape.size(), name16, properties16);
    return roi.take();
  }
  const Ring& ring = rings.at(0);
  const std::size_t n = ring.size();
  const bool subPixel = !integral(rings);
  const std::size_t coordinates = n * (subPixel ? 12 : 4);
  Bytes roi(kHeaderSize + coordinates + kHeader2Size + textBytes);
  putCommonHeader(roi, type, bounds);
  roi.u16(kCoordinateCount, int(n));
  if (subPixel) roi.u16(kOptions, kSubPixelResolution);
  for (std::size_t i = 0; i < n; ++i) {
    roi.u16(kHeaderSize + 2 * i, int(std::floor(ring[i].x)) - bounds.x);
    roi.u16(kHeaderSize + 2 * n + 2 * i, int(std::floor(ring[i].y)) - bounds.y);
    if (subPixel) {
      roi.f32(kHeaderSize + 4 * n + 4 * i, float(ring[i].x));
      roi.f32(kHeaderSize + 8 * n + 4 * i, float(ring[i].y));
    }
  }
  putHeader2(roi, kHeaderSize + coordinates, name16, properties16);
  return roi.take();
}

namespace {

// Entry names: the region's name made safe for a file name, numbered so that names stay unique and in order.
std::string entryName(int index, const std::string& name) {
  std::string safe;
  for (const char c : name) safe += (c == '/' || c == '\\' || c == ':' || static_cast<unsigned char>(c) < 32) ? '_' : c;
  char number[16];
  std::snprintf(number, sizeof number, "%04d-", index);
  return number + safe + ".roi";
}

}  // namespace

namespace {

// A region's class as a ROI property, "class: Cortex" (ImageJ's Roi.setProperty("class", ...); QuPath's
// classification in GeoJSON), so that regions keep it through a ROI set. A line break would end the property, so
// none is written.
std::string classProperty(const Region& region) {
  if (region.classification.empty()) return {};
  std::string name = region.classification;
  std::replace(name.begin(), name.end(), '\n', ' ');
  return "class: " + name + "\n";
}

// The "class" property of a ROI's properties text ("key: value" lines), empty when it has none.
std::string classOf(const std::string& properties) {
  for (std::size_t start = 0; start < properties.size();) {
    std::size_t end = properties.find('\n', start);
    if (end == std::string::npos) end = properties.size();
    std::string line = properties.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.compare(0, 7, "class: ") == 0) return line.substr(7);
    start = end + 1;
  }
  return {};
}

}  // namespace

std::string regionsRoiSet(const std::vector<Region>& regions) {
  std::vector<ZipEntry> entries;
  for (std::size_t i = 0; i < regions.size(); ++i) {
    std::vector<Ring> rings;
    for (const auto& polygon : regions[i].polygons) rings.insert(rings.end(), polygon.begin(), polygon.end());
    entries.push_back({entryName(int(i + 1), regions[i].name),
                       encodeRoi(regions[i].name, rings, kPolygon, classProperty(regions[i]))});
  }
  return zipArchive(entries);
}

namespace {

std::string cellProperties(const DetectedObject& object, const CellExportContext& context) {
  const double x = object.centroid.x + 0.5, y = object.centroid.y + 0.5;
  std::string properties = "area_px: " + std::to_string(object.areaPx) + "\ncentroid_x: " + fixedDecimal(x, 2) +
                           "\ncentroid_y: " + fixedDecimal(y, 2) + "\n";
  if (const double s = context.pixelSizeUm; s > 0)
    properties += "area_um2: " + fixedDecimal(object.areaPx * s * s, 3) + "\ncentroid_x_um: " + fixedDecimal(x * s, 3) +
                  "\ncentroid_y_um: " + fixedDecimal(y * s, 3) + "\n";
  properties += "mean_probability: " + fixedDecimal(object.meanProbability, 4) +
                "\nmean_intensity: " + fixedDecimal(object.meanIntensity, 4) + "\n";
  for (std::size_t c = 0; c < object.channelMeans.size(); ++c)
    properties += "mean_ch" + std::to_string(c + 1) + ": " + measuredValue(object.channelMeans[c]) + "\n";
  if (!context.positivity.empty()) properties += "call: " + positivityLabel(object, context.positivity) + "\n";
  return properties;
}

}  // namespace

std::string detectionsRoiSet(const Detection& detection, const CellExportContext& context) {
  std::vector<ZipEntry> entries;
  std::vector<cv::Point2d> centres;
  for (const DetectedObject& object : detection.objects) {
    const std::string name = "cell-" + std::to_string(object.label);
    const std::string properties = cellProperties(object, context);
    entries.push_back(
        {entryName(object.label, name), encodeRoi(name, {cellOutline(detection, object)}, kTraced, properties)});
    centres.push_back({object.centroid.x + 0.5, object.centroid.y + 0.5});
  }
  if (!centres.empty()) entries.push_back({"cell-centres.roi", encodePoints("cell centres", centres)});
  return zipArchive(entries);
}

namespace {

class RoiReader {
public:
  RoiReader(const std::string& bytes, std::string where) : bytes_(bytes), where_(std::move(where)) {}
  int u8(std::size_t at) const {
    need(at, 1);
    return static_cast<unsigned char>(bytes_[at]);
  }
  int u16(std::size_t at) const { return u8(at) << 8 | u8(at + 1); }
  // ImageJ's getShort: signed, except values below -5000, which are taken as unsigned.
  int s16(std::size_t at) const {
    const int v = static_cast<std::int16_t>(u16(at));
    return v < -5000 ? u16(at) : v;
  }
  std::uint32_t u32(std::size_t at) const { return std::uint32_t(u16(at)) << 16 | std::uint32_t(u16(at + 2)); }
  float f32(std::size_t at) const {
    const std::uint32_t bits = u32(at);
    float v;
    std::memcpy(&v, &bits, 4);
    return v;
  }
  std::string utf16(std::size_t at, std::size_t length) const {
    std::u16string text;
    for (std::size_t i = 0; i < length; ++i) text += char16_t(u16(at + 2 * i));
    return utf8Of(text);
  }
  std::size_t size() const { return bytes_.size(); }
  [[noreturn]] void fail(const std::string& what) const { throw RegionError(where_ + ": " + what); }
  void need(std::size_t at, std::size_t length) const {
    if (at > bytes_.size() || length > bytes_.size() - at) fail("the ROI is cut short");
  }

private:
  const std::string& bytes_;
  std::string where_;
};

struct DecodedRoi {
  std::string name;
  std::string properties;  // "key: value" lines (Roi.setProperty)
  std::vector<std::vector<cv::Point2d>> rings;
  // The ring holds the points of a Fit Spline; the region is the curve through them. (Rounded corners and a path's
  // curves are sampled as they are decoded: they stay inside the hull of their stored points, a spline does not.)
  bool fitSpline = false;
};

DecodedRoi decodeRoi(const std::string& bytes, const std::string& fallbackName, const std::string& where) {
  const RoiReader in(bytes, where);
  if (in.size() < kHeaderSize || bytes.compare(0, 4, "Iout") != 0) in.fail("not an ImageJ ROI (no 'Iout' header)");
  const int version = in.u16(4), type = in.u8(kType), options = in.s16(kOptions);
  const int top = in.s16(kTop), left = in.s16(kLeft), bottom = in.s16(kBottom), right = in.s16(kRight);
  DecodedRoi roi;
  roi.name = fallbackName;
  const std::uint32_t header2 = in.u32(kHeader2Offset);
  if (header2 > 0 && std::size_t(header2) + kHeader2Size <= in.size()) {
    const std::uint32_t nameAt = in.u32(header2 + kNameOffset), nameLength = in.u32(header2 + kNameLength);
    if (nameAt > 0 && nameLength > 0 && nameLength < 10000 &&
        std::size_t(nameAt) + 2 * std::size_t(nameLength) <= in.size())
      roi.name = in.utf16(nameAt, nameLength);
    const std::uint32_t propertiesAt = in.u32(header2 + kPropertiesOffset),
                        propertiesLength = in.u32(header2 + kPropertiesLength);
    if (propertiesAt > 0 && propertiesLength > 0 && propertiesLength < 1000000 &&
        std::size_t(propertiesAt) + 2 * std::size_t(propertiesLength) <= in.size())
      roi.properties = in.utf16(propertiesAt, propertiesLength);
  }
  const std::uint32_t shapeSize = in.u32(kShapeSize);
  if (shapeSize > 0) {  // composite
    if (shapeSize > in.size() / 4) in.fail("a composite ROI larger than its file");
    std::vector<cv::Point2d> ring;
    for (std::size_t i = 0; i < shapeSize;) {
      // The segment type is stored as a float: anything but 0 to 4 (a NaN, a huge value) is damage, and must not
      // reach an int conversion, which is undefined for such values.
      const float type = in.f32(kHeaderSize + 4 * i);
      const int segment = type >= 0 && type <= 4 ? int(type) : -1;
      const int coordinates = segment == 0 || segment == 1 ? 2
                              : segment == 2               ? 4
                              : segment == 3               ? 6
                              : segment == 4               ? 0
                                                           : -1;
      if (coordinates < 0 || i + 1 + coordinates > shapeSize) in.fail("a composite ROI's shape is corrupt");
      if (segment == 0 && !ring.empty()) roi.rings.push_back(std::move(ring)), ring.clear();
      const auto point = [&](int k) {  // the k-th point of this segment
        return cv::Point2d(in.f32(kHeaderSize + 4 * (i + 2 * k - 1)), in.f32(kHeaderSize + 4 * (i + 2 * k)));
      };
      if ((segment == 2 || segment == 3) && !ring.empty()) {
        if (segment == 2)
          appendQuadraticCurve(ring, point(1), point(2));
        else
          appendCubicCurve(ring, point(1), point(2), point(3));
      } else if (coordinates > 0) {
        ring.push_back(point(coordinates / 2));
      }
      if (segment == 4 && !ring.empty()) roi.rings.push_back(std::move(ring)), ring.clear();
      i += 1 + coordinates;
    }
    if (!ring.empty()) roi.rings.push_back(std::move(ring));
    return roi;
  }
  const bool subPixel = (options & kSubPixelResolution) && version >= 222;
  switch (type) {
    case kRect:
    case kOval: {
      double x = left, y = top, width = right - left, height = bottom - top;
      if (subPixel && version >= 223)
        x = in.f32(kX1), y = in.f32(kX1 + 4), width = in.f32(kWidthD), height = in.f32(kHeightD);
      if (type == kRect) {
        roi.rings.push_back(roundedRectangle(x, y, width, height, std::max(0, in.s16(kCornerDiameter))));
      } else {
        roi.rings.push_back(ellipseInBox(x, y, width, height));
      }
      return roi;
    }
    case kPolygon:
    case kFreehand:
    case kTraced: {
      const std::size_t n = std::size_t(in.u16(kCoordinateCount));
      in.need(kHeaderSize, n * (subPixel ? 12 : 4));
      std::vector<cv::Point2d> ring;
      for (std::size_t i = 0; i < n; ++i) {
        if (subPixel)
          ring.emplace_back(in.f32(kHeaderSize + 4 * n + 4 * i), in.f32(kHeaderSize + 8 * n + 4 * i));
        else
          ring.emplace_back(left + std::max(0, in.s16(kHeaderSize + 2 * i)),
                            top + std::max(0, in.s16(kHeaderSize + 2 * n + 2 * i)));
      }
      // Fit Spline: the file keeps the points the user placed, and ImageJ fits the curve through them again.
      roi.fitSpline = (options & kSplineFit) && version >= 218;
      roi.rings.push_back(std::move(ring));
      return roi;
    }
    case kLine:
    case kFreeLine:
    case kPolyLine:
    case kAngle:
    case kPoint:
    case kNoRoi: in.fail("a line, angle or point ROI is not a region (draw a closed area)");
    default: in.fail("unknown ROI type " + std::to_string(type));
  }
}

bool ringContains(const Ring& ring, cv::Point2d point) {
  bool inside = false;
  for (std::size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++)
    if ((ring[i].y > point.y) != (ring[j].y > point.y) &&
        point.x < (ring[j].x - ring[i].x) * (point.y - ring[i].y) / (ring[j].y - ring[i].y) + ring[i].x)
      inside = !inside;
  return inside;
}

// Rings of one composite as polygons: a ring inside an odd number of others is a hole of the smallest outer ring
// around it (ImageJ's shapes fill even-odd).
std::vector<std::vector<Ring>> polygonsOf(const std::vector<Ring>& rings) {
  std::vector<int> depth(rings.size(), 0);
  for (std::size_t i = 0; i < rings.size(); ++i)
    for (std::size_t j = 0; j < rings.size(); ++j)
      if (i != j && ringContains(rings[j], rings[i][0])) ++depth[i];
  std::vector<std::vector<Ring>> polygons;
  std::vector<int> polygonOf(rings.size(), -1);
  for (std::size_t i = 0; i < rings.size(); ++i)
    if (depth[i] % 2 == 0) polygonOf[i] = int(polygons.size()), polygons.push_back({rings[i]});
  for (std::size_t i = 0; i < rings.size(); ++i) {
    if (depth[i] % 2 == 0) continue;
    int best = -1;
    for (std::size_t j = 0; j < rings.size(); ++j)
      if (depth[j] == depth[i] - 1 && ringContains(rings[j], rings[i][0])) best = int(j);
    if (best >= 0) polygons[polygonOf[best]].push_back(rings[i]);
  }
  return polygons;
}

// What a Fiji ROI set often holds beside its regions and is none: a point, line or angle ROI (a count by hand, a
// measured distance), which encloses no area, or a text label or image overlay (a rectangle ROI of those subtypes).
enum class NotARegion { No, PointOrLine, Overlay };

NotARegion notARegion(const std::string& bytes) {
  if (bytes.size() < kHeaderSize || bytes.compare(0, 4, "Iout") != 0) return NotARegion::No;
  const auto byte = [&](int at) { return static_cast<unsigned char>(bytes[at]); };
  const int type = byte(kType), subtype = byte(kSubtype) << 8 | byte(kSubtype + 1);
  const bool composite = (byte(kShapeSize) | byte(kShapeSize + 1) | byte(kShapeSize + 2) | byte(kShapeSize + 3)) != 0;
  if (composite) return NotARegion::No;
  if (type == kLine || type == kFreeLine || type == kPolyLine || type == kAngle || type == kPoint)
    return NotARegion::PointOrLine;
  if (type == kRect && (subtype == kTextSubtype || subtype == kImageSubtype)) return NotARegion::Overlay;
  return NotARegion::No;
}

}  // namespace

std::vector<Region> parseRoiRegions(const std::string& bytes, cv::Size imageSize, const std::string& nameForErrors,
                                    LeftOutOfRegions* leftOut) {
  std::vector<ZipEntry> entries;
  if (bytes.compare(0, 4, "Iout") == 0) {
    std::string stem = nameForErrors.substr(nameForErrors.find_last_of('/') + 1);
    if (stem.size() > 4 && stem.compare(stem.size() - 4, 4, ".roi") == 0) stem.resize(stem.size() - 4);
    entries.push_back({validUtf8(stem) + ".roi", bytes});
  } else {
    try {
      entries = readZipArchive(bytes);
    } catch (const ZipError& e) {
      throw RegionError(nameForErrors + ": not an ImageJ ROI or ROI set (" + e.what() + ")");
    }
  }
  std::vector<Region> regions;
  std::set<std::string> usedNames;
  LeftOutOfRegions found;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const ZipEntry& entry = entries[i];
    if (entry.name.empty() || entry.name.back() == '/') continue;  // a folder
    const std::string where = nameForErrors + ", ROI " + std::to_string(i + 1) + " (" + validUtf8(entry.name) + ")";
    if (const NotARegion kind = notARegion(entry.data); kind != NotARegion::No) {
      if (entries.size() == 1)  // alone, it is not left out but refused, with the reason
        throw RegionError(
            where + ": " +
            (kind == NotARegion::PointOrLine ? "a line, angle or point ROI" : "a text label or image overlay") +
            " is not a region (draw a closed area)");
      ++(kind == NotARegion::PointOrLine ? found.pointsAndLines : found.overlays);
      continue;
    }
    std::string fallback = validUtf8(entry.name.substr(entry.name.find_last_of('/') + 1));
    if (fallback.size() > 4 && fallback.compare(fallback.size() - 4, 4, ".roi") == 0)
      fallback.resize(fallback.size() - 4);
    DecodedRoi roi = decodeRoi(entry.data, fallback, where);
    if (roi.name.empty()) roi.name = "Region " + std::to_string(regions.size() + 1);
    std::vector<Ring> rings;
    for (auto& points : roi.rings) {
      // The points a spline passes through are checked as stored vertices are, before the curve is fitted; where
      // the curve bulges past the image's edge, the region ends at the edge.
      if (roi.fitSpline) {
        points = closedSplineThrough(checkedRing(points, imageSize, where));
        for (cv::Point2d& p : points)
          p = {std::clamp(p.x, 0.0, double(imageSize.width)), std::clamp(p.y, 0.0, double(imageSize.height))};
      }
      rings.push_back(checkedRing(points, imageSize, where));
    }
    if (rings.empty()) throw RegionError(where + ": the ROI has no outline");
    // One region per ROI (a region in several parts is one composite ROI, as the ROI Manager's Combine makes):
    // a name already taken gets a number, so that no two regions are confused in the tables.
    regions.push_back({claimRegionName(roi.name, usedNames), polygonsOf(rings), classOf(roi.properties)});
    const Region* region = &regions.back();
    if (region->areaPx() <= 0) throw RegionError(where + ": the region encloses no area");
  }
  if (regions.empty() && found.any())
    throw RegionError(nameForErrors + ": the ROI set holds no region (" + found.describe() + ")");
  if (regions.empty()) throw RegionError(nameForErrors + ": the ROI set holds no ROI");
  if (leftOut) *leftOut = found;
  return regions;
}

std::vector<Region> loadRoiRegions(const std::string& path, cv::Size imageSize, LeftOutOfRegions* leftOut) {
  return parseRoiRegions(readRegionsFile(path), imageSize, path, leftOut);
}

std::string encodePointRoi(const std::string& name, const std::vector<cv::Point2d>& points) {
  return encodePoints(name, points);
}

std::vector<cv::Point2d> parseRoiPoints(const std::string& bytes, const std::string& nameForErrors, int* otherRois) {
  std::vector<ZipEntry> entries;
  if (bytes.compare(0, 4, "Iout") == 0) {
    entries.push_back({nameForErrors, bytes});
  } else {
    try {
      entries = readZipArchive(bytes);
    } catch (const ZipError& e) {
      throw RegionError(nameForErrors + ": not an ImageJ ROI or ROI set (" + e.what() + ")");
    }
  }
  std::vector<cv::Point2d> points;
  int others = 0, pointRois = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const ZipEntry& entry = entries[i];
    if (entry.name.empty() || entry.name.back() == '/') continue;  // a folder
    const RoiReader in(entry.data,
                       nameForErrors + ", ROI " + std::to_string(i + 1) + " (" + validUtf8(entry.name) + ")");
    if (in.size() < kHeaderSize || entry.data.compare(0, 4, "Iout") != 0)
      in.fail("not an ImageJ ROI (no 'Iout' header)");
    if (in.u8(kType) != kPoint || in.u32(kShapeSize) != 0) {
      ++others;
      continue;
    }
    ++pointRois;
    const int version = in.u16(4), options = in.s16(kOptions), left = in.s16(kLeft), top = in.s16(kTop);
    std::size_t n = std::size_t(in.u16(kCoordinateCount));
    if (n == 0) n = in.u32(kPointCountInt);  // more than 65,535 points
    const bool subPixel = (options & kSubPixelResolution) && version >= 222;
    in.need(kHeaderSize, n * (subPixel ? 12 : 4));
    for (std::size_t p = 0; p < n; ++p) {
      // Pixel coordinates with (0, 0) the top-left pixel's centre: ImageJ's subpixel points put a pixel's centre at
      // +0.5, its integer points name the pixel.
      if (subPixel)
        points.emplace_back(in.f32(kHeaderSize + 4 * n + 4 * p) - 0.5, in.f32(kHeaderSize + 8 * n + 4 * p) - 0.5);
      else
        points.emplace_back(left + std::max(0, in.s16(kHeaderSize + 2 * p)),
                            top + std::max(0, in.s16(kHeaderSize + 2 * n + 2 * p)));
    }
  }
  if (pointRois == 0)
    throw RegionError(nameForErrors + ": holds no point ROI (Fiji's multi-point tool makes one)" +
                      (others ? " but " + std::to_string(others) + " other ROI(s)" : std::string()));
  if (otherRois) *otherRois = others;
  return points;
}

}  // namespace fluocount
