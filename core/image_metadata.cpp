#include "core/image_metadata.h"

#include "core/numeric_locale.h"
#include "core/png_chunks.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <stdexcept>

namespace fluocount {
namespace {

constexpr int kMaxChannels = 16;
// Pixels whose declared width and height differ by more than this fraction are not square (a file's rounding of a
// square pixel, e.g. 0.3225 by 0.3226 µm, stays far below it).
constexpr double kSquarePixelTolerance = 0.01;

std::string counted(int n, const std::string& thing) { return std::to_string(n) + " " + thing + (n == 1 ? "" : "s"); }

// A stack of `planes` z-planes, plane k of a channel `stride` pages after plane k - 1, in a file that should hold
// `expectedPages`: counted as its maximum intensity projection (Fiji's Z Project > Max Intensity, the usual way to
// count cells through a section). A file with fewer pages than it declares keeps its first plane.
void offerZStack(ImageMetadata& metadata, const TiffLayout& layout, int planes, std::int64_t stride,
                 std::int64_t expectedPages, const std::string& kind) {
  if (planes <= 1) return;
  if (layout.pages < expectedPages) {
    metadata.notes.push_back(kind + " of " + counted(planes, "z-plane") + " holds " + counted(layout.pages, "page") +
                             " of " + std::to_string(expectedPages) + ": only the first z-plane is counted");
    return;
  }
  metadata.zPlanes = planes;
  metadata.zPageStride = static_cast<int>(stride);  // at most expectedPages, which the file's pages hold
  metadata.notes.push_back(kind + " of " + counted(planes, "z-plane") +
                           ": their maximum intensity projection is counted (as Fiji's Z Project, Max Intensity)");
}

std::optional<double> parseNumber(std::string text) {
  text.erase(0, text.find_first_not_of(" \t\r"));
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end == text.data()) return std::nullopt;
  return value;
}

// Micrometres per unit for the unit names ImageJ and OME use; nullopt for "pixel", "inch"-less unknowns, etc.
std::optional<double> micrometresPer(std::string unit) {
  unit.erase(0, unit.find_first_not_of(" \t\r"));
  unit.erase(unit.find_last_not_of(" \t\r") + 1);
  static const std::map<std::string, double> units = {
      {"micron", 1},    {"microns", 1}, {"um", 1},           {"\xC2\xB5m", 1}, {"\xB5m", 1}, {"\\u00B5m", 1},
      {"\xCE\xBCm", 1}, {"nm", 1e-3},   {"nanometer", 1e-3}, {"mm", 1e3},      {"cm", 1e4},  {"m", 1e6},
      {"inch", 25400},  {"in", 25400},  {"\xC3\x85", 1e-4},  {"\\u00C5", 1e-4}};
  const auto found = units.find(unit);
  if (found == units.end()) return std::nullopt;
  return found->second;
}

std::string describeSize(double micrometres) { return fixedDecimal(micrometres, 4) + " \xC2\xB5m per pixel"; }

// Accepts a declared pixel size if a microscope could have made it, else notes why not. `heightMicrometres` is the
// pixel's declared height (0: not declared, taken as square). Every measure FluoCount gives in micrometres assumes
// square pixels, so pixels declared clearly taller than wide (or the reverse) keep the image in pixels: its areas
// and diameters would otherwise be wrong in one direction, silently.
void offerPixelSize(ImageMetadata& metadata, double micrometres, const std::string& source,
                    double heightMicrometres = 0) {
  if (metadata.pixelSize || metadata.nonSquarePixels) return;  // an earlier, more specific source decided
  if (std::isfinite(micrometres) && std::isfinite(heightMicrometres) && micrometres > 0 && heightMicrometres > 0 &&
      std::abs(heightMicrometres / micrometres - 1) > kSquarePixelTolerance) {
    metadata.nonSquarePixels = true;
    metadata.notes.push_back(source + " declares pixels of " + fixedDecimal(micrometres, 4) + " by " +
                             fixedDecimal(heightMicrometres, 4) +
                             " \xC2\xB5m (width by height), not square: FluoCount measures in square pixels, so the "
                             "image stays in pixels (resample it to square pixels, e.g. Fiji's Image > Scale, to "
                             "measure in \xC2\xB5m)");
    return;
  }
  if (!std::isfinite(micrometres) || micrometres < kMinPixelSizeUm || micrometres > kMaxPixelSizeUm) {
    metadata.notes.push_back(source + " declares " +
                             (std::isfinite(micrometres) ? describeSize(micrometres) : std::string("no finite size")) +
                             ", which no microscope makes (an image editor's dpi?): not used");
    return;
  }
  metadata.pixelSize = PixelSize{micrometres, source};
}

// key=value lines of ImageJ's description.
std::map<std::string, std::string> imageJFields(const std::string& description) {
  std::map<std::string, std::string> fields;
  std::size_t start = 0;
  while (start < description.size()) {
    std::size_t end = description.find('\n', start);
    if (end == std::string::npos) end = description.size();
    const std::string line = description.substr(start, end - start);
    const std::size_t equals = line.find('=');
    if (equals != std::string::npos) fields[line.substr(0, equals)] = line.substr(equals + 1);
    start = end + 1;
  }
  return fields;
}

// The value of attribute `name` in the first XML element <tag ...>, or nullopt.
std::optional<std::string> xmlAttribute(const std::string& xml, const std::string& tag, const std::string& name,
                                        std::size_t from = 0, std::size_t* elementEnd = nullptr) {
  std::size_t open = xml.find("<" + tag, from);
  while (open != std::string::npos) {
    const char after = open + tag.size() + 1 < xml.size() ? xml[open + tag.size() + 1] : '>';
    if (after == ' ' || after == '\n' || after == '\t' || after == '\r' || after == '>' || after == '/') break;
    open = xml.find("<" + tag, open + 1);
  }
  if (open == std::string::npos) return std::nullopt;
  const std::size_t close = xml.find('>', open);
  if (close == std::string::npos) return std::nullopt;
  if (elementEnd) *elementEnd = close;
  const std::string element = xml.substr(open, close - open);
  for (std::size_t at = element.find(name + "="); at != std::string::npos; at = element.find(name + "=", at + 1)) {
    const char before = at > 0 ? element[at - 1] : ' ';
    if (before != ' ' && before != '\n' && before != '\t' && before != '\r') continue;
    const std::size_t quote = at + name.size() + 1;
    if (quote >= element.size() || (element[quote] != '"' && element[quote] != '\'')) continue;
    const std::size_t endQuote = element.find(element[quote], quote + 1);
    if (endQuote == std::string::npos) return std::nullopt;
    return element.substr(quote + 1, endQuote - quote - 1);
  }
  return std::nullopt;
}

// OME-XML's PhysicalSizeY in micrometres, or 0 if absent or not understood. Its unit defaults to PhysicalSizeX's
// where only that one is named (OME's default is µm for each, but a writer that names a unit once means it for both:
// PhysicalSizeX="325" PhysicalSizeXUnit="nm" PhysicalSizeY="325" is a square pixel, not one 1000 times taller).
double omePixelHeight(const std::string& xml, const std::string& widthUnit) {
  const auto size = xmlAttribute(xml, "Pixels", "PhysicalSizeY");
  if (!size) return 0;
  const auto value = parseNumber(*size);
  const auto scale = micrometresPer(xmlAttribute(xml, "Pixels", "PhysicalSizeYUnit").value_or(widthUnit));
  return value && scale ? *value * *scale : 0;
}

int positiveCount(const std::optional<std::string>& text) {
  if (!text) return 1;
  const auto value = parseNumber(*text);
  return value && *value >= 1 && *value <= 1e6 ? static_cast<int>(*value) : 1;
}

void readOmeXml(const TiffLayout& layout, ImageMetadata& metadata) {
  const std::string& xml = layout.description;
  if (const auto sizeX = xmlAttribute(xml, "Pixels", "PhysicalSizeX")) {
    const auto value = parseNumber(*sizeX);
    const std::string unit = xmlAttribute(xml, "Pixels", "PhysicalSizeXUnit").value_or("\xC2\xB5m");
    const auto scale = micrometresPer(unit);
    if (!value || !scale)
      metadata.notes.push_back("OME-XML PhysicalSizeX \"" + *sizeX + "\" " + unit + " not understood");
    else
      offerPixelSize(metadata, *value * *scale, "OME-XML", omePixelHeight(xml, unit));
  }
  const int sizeC = positiveCount(xmlAttribute(xml, "Pixels", "SizeC"));
  const int sizeZ = positiveCount(xmlAttribute(xml, "Pixels", "SizeZ"));
  const int sizeT = positiveCount(xmlAttribute(xml, "Pixels", "SizeT"));
  std::string order = xmlAttribute(xml, "Pixels", "DimensionOrder").value_or("XYCZT");
  std::size_t from = xml.find("<Pixels");
  for (int c = 0; c < sizeC && from != std::string::npos; ++c) {
    std::size_t end = 0;
    const auto name = xmlAttribute(xml, "Channel", "Name", from, &end);
    if (!end) break;
    metadata.channelNames.push_back(name.value_or("ch" + std::to_string(c + 1)));
    from = end;
  }
  // An RGB OME-TIFF's channels are the samples of each page: C takes no pages of its own.
  const bool colourPages = layout.samplesPerPixel > 1;
  const int pagesPerChannel = colourPages ? 1 : sizeC;
  // The pages one step along a dimension: the product of the sizes of the dimensions before it in the order.
  auto strideOf = [&](char dimension) {
    std::size_t stride = 1;
    for (std::size_t i = 2; i < order.size() && order[i] != dimension; ++i)
      stride *= order[i] == 'Z' ? sizeZ : order[i] == 'T' ? sizeT : order[i] == 'C' ? pagesPerChannel : 1;
    return stride;
  };
  offerZStack(metadata, layout, sizeZ, std::int64_t(strideOf('Z')), std::int64_t(pagesPerChannel) * sizeZ * sizeT,
              "OME-TIFF");
  if (sizeT > 1) metadata.notes.push_back("OME-TIFF of " + counted(sizeT, "time point") + ": the first is counted");
  if (colourPages) {
    metadata.channelNames.clear();
    return;
  }
  const std::size_t stride = strideOf('C');
  for (int c = 0; c < std::min(sizeC, kMaxChannels); ++c) metadata.channelPages.push_back(static_cast<int>(c * stride));
  if (sizeC > kMaxChannels)
    metadata.notes.push_back("only the first 16 of " + std::to_string(sizeC) + " channels are read");
  metadata.channelNames.resize(metadata.channelPages.size());
}

void readImageJ(const TiffLayout& layout, ImageMetadata& metadata) {
  const auto fields = imageJFields(layout.description);
  auto field = [&](const std::string& key) -> std::optional<std::string> {
    const auto found = fields.find(key);
    if (found == fields.end()) return std::nullopt;
    return found->second;
  };
  if (const auto unit = field("unit")) {
    const auto scale = micrometresPer(*unit);
    if (!scale)
      metadata.notes.push_back("ImageJ unit \"" + *unit + "\" is not a length: the image stays in pixels");
    else if (layout.xResolution > 0)
      offerPixelSize(metadata, *scale / layout.xResolution, "ImageJ",
                     layout.yResolution > 0 ? *scale / layout.yResolution : 0);
  }
  const int channels = positiveCount(field("channels"));
  const int slices = positiveCount(field("slices")), frames = positiveCount(field("frames"));
  // A hyperstack stores channel, then slice, then frame: a slice's pages are `channels` apart, and the channels of
  // the first slice and frame lead.
  offerZStack(metadata, layout, slices, std::max(1, channels), std::int64_t(std::max(1, channels)) * slices * frames,
              "ImageJ stack");
  if (frames > 1)
    metadata.notes.push_back("ImageJ stack of " + counted(frames, "time frame") + ": the first is counted");
  if (channels > 1 && layout.samplesPerPixel == 1)
    for (int c = 0; c < std::min(channels, kMaxChannels); ++c) metadata.channelPages.push_back(c);
  if (channels > kMaxChannels)
    metadata.notes.push_back("only the first 16 of " + std::to_string(channels) + " channels are read");
}

}  // namespace

ImageMetadata tiffMetadata(const TiffLayout& layout) {
  ImageMetadata metadata;
  const std::string& description = layout.description;
  const bool ome = description.find("<OME") != std::string::npos;
  const bool imageJ = description.rfind("ImageJ=", 0) == 0;
  if (ome)
    readOmeXml(layout, metadata);
  else if (imageJ)
    readImageJ(layout, metadata);
  else if (layout.pages > 1 && layout.samplesPerPixel == 1) {
    // A plain multi-page TIFF: its pages are taken for channels (loadImage keeps only pages of the first's size).
    for (int page = 0; page < std::min(layout.pages, kMaxChannels); ++page) metadata.channelPages.push_back(page);
    if (layout.pages > kMaxChannels)
      metadata.notes.push_back("only the first 16 of " + std::to_string(layout.pages) + " pages are read");
  }
  // The resolution tags proper: pixels per inch or per centimetre (unit 1, "none", has no length).
  if (layout.xResolution > 0 && (layout.resolutionUnit == 2 || layout.resolutionUnit == 3)) {
    const double micrometresPerUnit = layout.resolutionUnit == 2 ? 25400.0 : 10000.0;
    offerPixelSize(metadata, micrometresPerUnit / layout.xResolution, "TIFF resolution",
                   layout.yResolution > 0 ? micrometresPerUnit / layout.yResolution : 0);
  }
  return metadata;
}

ImageMetadata pngMetadata(const std::string& bytes) {
  ImageMetadata metadata;
  const ByteRangeReader readAt = readerOfBytes(bytes);
  const bool palette = bytes.size() > 25 && bytes[25] == 3;  // IHDR's colour type
  walkPngChunksBeforeImageData(readAt, [&](const PngChunk& chunk) {
    if (chunk.type == "pHYs" && chunk.dataSize == 9) {
      const std::string data = readAt(chunk.dataOffset(), 9);
      if (data.size() < 9) return false;
      const std::uint32_t pixelsPerUnitX = bigEndian32(data.data()), pixelsPerUnitY = bigEndian32(data.data() + 4);
      const bool metre = static_cast<unsigned char>(data[8]) == 1;
      if (metre && pixelsPerUnitX > 0)
        offerPixelSize(metadata, 1e6 / pixelsPerUnitX, "PNG pHYs", pixelsPerUnitY > 0 ? 1e6 / pixelsPerUnitY : 0);
    }
    if (palette && chunk.type == "PLTE" && chunk.dataSize >= 3) {  // stored red, green, blue
      const std::string firstEntry = readAt(chunk.dataOffset(), 3);
      if (firstEntry.size() < 3) return false;
      metadata.paletteBackground =
          cv::Vec3b(static_cast<unsigned char>(firstEntry[2]), static_cast<unsigned char>(firstEntry[1]),
                    static_cast<unsigned char>(firstEntry[0]));
    }
    return true;
  });
  return metadata;
}

PixelSize checkedUserPixelSize(double micrometres, const std::string& what) {
  if (!std::isfinite(micrometres) || micrometres < kMinPixelSizeUm || micrometres > kMaxPixelSizeUm)
    throw std::invalid_argument(what + ": a pixel size of " + fixedDecimal(micrometres, 6) + " \xC2\xB5m is outside " +
                                fixedDecimal(kMinPixelSizeUm, 3) + " to " + fixedDecimal(kMaxPixelSizeUm, 0) +
                                " \xC2\xB5m per pixel");
  return PixelSize{micrometres, what};
}

}  // namespace fluocount
