#include "core/export.h"

#include "core/numeric_locale.h"
#include "core/utf8.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

namespace fluocount {
namespace {

std::string number(double value, int decimals) { return fixedDecimal(value, decimals); }

std::string encodePng(const cv::Mat& image) {
  std::vector<uchar> bytes;
  if (!cv::imencode(".png", image, bytes)) throw std::runtime_error("PNG encoding failed");
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace

std::string uniqueOutputStem(const std::string& imagePath, std::set<std::string>& used) {
  const std::string stem = std::filesystem::path(imagePath).stem().string();
  std::string candidate = stem;
  for (int n = 2; !used.insert(candidate).second; ++n) candidate = stem + "_" + std::to_string(n);
  return candidate;
}

std::string csvField(const std::string& field) {
  // A file name in another encoding (Latin-1 from an older system or share) would make the whole table unreadable
  // to a UTF-8 CSV reader (Python's csv, pandas): its stray bytes are written as \xNN.
  const std::string value = utf8WithEscapedBytes(field);
  if (value.find_first_of(",\"\n\r") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

namespace {

// The options column holds the whole command that reproduces a row ("fluocount-cli count --model ... --diameter 28
// --threshold 0.85"; add the image): a spreadsheet reads a field that starts with '-' as a formula (Excel shows
// "#NAME?" for bare "--model ..."), and the command says what the options belong to.
std::string reproducingCommand(const std::string& options) {
  return options.empty() ? options : "fluocount-cli count " + options;
}

std::string markerHeader(const TableLayout& layout) {
  std::string header;
  for (const std::string& name : layout.markerColumns) header += "," + csvField(name);
  return header;
}

// The marker fields of a row: its counts, or empty fields when it has none (an image that failed).
std::string markerFields(const std::vector<int>& counts, const TableLayout& layout) {
  std::string fields;
  for (std::size_t i = 0; i < layout.markerColumns.size(); ++i)
    fields += "," + (i < counts.size() ? std::to_string(counts[i]) : std::string());
  return fields;
}

// An area in µm² from px² where the pixel size is known, else an empty field.
std::string squareMicrometres(double areaPx, double pixelSizeUm) {
  return pixelSizeUm > 0 ? number(areaPx * pixelSizeUm * pixelSizeUm, 1) : std::string();
}

// A position in µm from px where the pixel size is known, else an empty field.
std::string micrometres(double px, double pixelSizeUm) { return pixelSizeUm > 0 ? number(px * pixelSizeUm, 3) : ""; }

std::string cellsPerSquareMillimetre(int count, double areaPx, double pixelSizeUm) {
  if (pixelSizeUm <= 0 || areaPx <= 0) return {};
  return number(count / (areaPx * pixelSizeUm * pixelSizeUm) * 1e6, 3);
}

}  // namespace

std::string countsCsv(const std::vector<CountRow>& rows, const TableLayout& layout) {
  std::string csv =
      "file,status,count" + markerHeader(layout) +
      ",width,height,threshold,cell_diameter_px,cell_diameter_um,cell_diameter_source,pixel_size_um,pixel_size_source,"
      "image_area_um2,cells_per_mm2,seconds,method,error,model,options,model_sha256,run\n";
  for (const auto& r : rows) {
    // A row that was not counted leaves its measured fields empty: a 0 there would read as "no cells in a 0x0
    // image" to a spreadsheet that sums or averages the column.
    const bool counted = r.status == "ok";
    const auto measured = [counted](const std::string& field) { return counted ? field : std::string(); };
    const bool physical = r.pixelSizeUm > 0 && counted;
    const double areaPx = double(r.width) * double(r.height);
    csv += csvField(r.file) + "," + r.status + "," + measured(std::to_string(r.count)) +
           markerFields(r.markerCounts, layout) + "," + measured(std::to_string(r.width)) + "," +
           measured(std::to_string(r.height)) + "," + measured(number(r.threshold, 4)) + "," +
           measured(number(r.cellDiameterPx, 2)) + "," + (physical ? number(r.cellDiameterPx * r.pixelSizeUm, 2) : "") +
           "," + measured(csvField(r.cellDiameterSource)) + "," + (physical ? number(r.pixelSizeUm, 6) : "") + "," +
           csvField(r.pixelSizeSource) + "," + (physical ? squareMicrometres(areaPx, r.pixelSizeUm) : "") + "," +
           (physical ? cellsPerSquareMillimetre(r.count, areaPx, r.pixelSizeUm) : "") + "," + number(r.seconds, 3) +
           "," + csvField(r.method) + "," + csvField(r.error) + "," + csvField(r.model) + "," +
           csvField(reproducingCommand(r.options)) + "," + r.modelSha256 + "," + r.run + "\n";
  }
  return csv;
}

std::string regionsCsvHeader(const TableLayout& layout) {
  return "file,region,class,count" + markerHeader(layout) +
         ",area_px2,cells_per_million_px2,area_um2,cells_per_mm2,pixel_size_um,threshold,cell_diameter_px,"
         "cell_diameter_source,method,model,options,model_sha256,run\n";
}

std::string regionsCsvRows(const CountRow& row, const std::vector<RegionCount>& regions) {
  TableLayout layout;
  if (!regions.empty()) layout.markerColumns.resize(regions.front().markerCounts.size());
  std::string csv;
  for (const RegionCount& region : regions)
    csv += csvField(row.file) + "," + csvField(region.name) + "," + csvField(region.classification) + "," +
           std::to_string(region.count) + markerFields(region.markerCounts, layout) + "," + number(region.areaPx, 1) +
           "," + number(region.areaPx > 0 ? region.count / region.areaPx * 1e6 : 0, 3) + "," +
           squareMicrometres(region.areaPx, row.pixelSizeUm) + "," +
           cellsPerSquareMillimetre(region.count, region.areaPx, row.pixelSizeUm) + "," +
           (row.pixelSizeUm > 0 ? number(row.pixelSizeUm, 6) : "") + "," + number(row.threshold, 4) + "," +
           number(row.cellDiameterPx, 2) + "," + csvField(row.cellDiameterSource) + "," + csvField(row.method) + "," +
           csvField(row.model) + "," + csvField(reproducingCommand(row.options)) + "," + row.modelSha256 + "," +
           row.run + "\n";
  return csv;
}

namespace {

// A region's name in the regions column: as it is, unless it holds the separator ';' or a quote; then quoted, its
// quotes doubled ("CA1;CA3" -> "\"CA1;CA3\""), so that splitting the column as CSV with ';' gives the names back.
std::string regionNameInColumn(const std::string& name) {
  if (name.find_first_of(";\"") == std::string::npos) return name;
  std::string quoted = "\"";
  for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

std::vector<std::string> regionsColumn(const std::vector<DetectedObject>& objects,
                                       const std::optional<std::vector<Region>>& regions) {
  std::vector<std::string> column(objects.size());
  if (!regions) return column;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    if (regions->empty()) column[i] = "whole image";
    for (const Region& region : *regions)
      if (regionHolds(region, objects[i]))
        column[i] += (column[i].empty() ? "" : ";") + regionNameInColumn(region.name);
  }
  return column;
}

std::string objectsCsvHeader(const TableLayout& layout) {
  std::string header =
      "file,object,centroid_x,centroid_y,area_px,area_um2,centroid_x_um,centroid_y_um,bbox_x,bbox_y,bbox_width,"
      "bbox_height,mean_probability,mean_intensity";
  if (!layout.markerColumns.empty()) header += ",positivity";
  for (int c = 1; c <= layout.channels; ++c) header += ",mean_ch" + std::to_string(c);
  if (layout.regions) header += ",regions";
  if (!layout.run.empty()) header += ",run";
  return header + "\n";
}

std::string objectsCsvRows(const std::string& file, const Detection& detection, double pixelSizeUm,
                           const std::vector<PositivityRule>& rules, const TableLayout& layout,
                           const std::optional<std::vector<Region>>& regions) {
  return objectsCsvRows(file, detection.objects, pixelSizeUm, rules, layout,
                        layout.regions ? regionsColumn(detection.objects, regions) : std::vector<std::string>());
}

std::string objectsCsvRows(const std::string& file, const std::vector<DetectedObject>& objects, double pixelSizeUm,
                           const std::vector<PositivityRule>& rules, const TableLayout& layout,
                           const std::vector<std::string>& regionsOfObjects) {
  if (layout.regions && regionsOfObjects.size() != objects.size())
    throw std::logic_error("objectsCsvRows: one regions field per object");
  std::string csv;
  const std::string name = csvField(file);
  for (std::size_t i = 0; i < objects.size(); ++i) {
    const DetectedObject& o = objects[i];
    // Image coordinates as Fiji, QuPath and FluoCount's ROI and GeoJSON files give them: pixel (0, 0) spans 0 to 1,
    // so its centre is at 0.5. (The box stays in whole pixels: its first column and row, as Fiji's BX and BY.)
    const double x = o.centroid.x + 0.5, y = o.centroid.y + 0.5;
    csv += name + "," + std::to_string(o.label) + "," + number(x, 2) + "," + number(y, 2) + "," +
           std::to_string(o.areaPx) + "," + squareMicrometres(o.areaPx, pixelSizeUm) + "," +
           micrometres(x, pixelSizeUm) + "," + micrometres(y, pixelSizeUm) + "," + std::to_string(o.boundingBox.x) +
           "," + std::to_string(o.boundingBox.y) + "," + std::to_string(o.boundingBox.width) + "," +
           std::to_string(o.boundingBox.height) + "," + number(o.meanProbability, 4) + "," + number(o.meanIntensity, 4);
    if (!layout.markerColumns.empty()) csv += "," + positivityLabel(o, rules);
    for (int c = 0; c < layout.channels; ++c)
      csv += "," + (c < int(o.channelMeans.size()) ? measuredValue(o.channelMeans[c]) : std::string());
    if (layout.regions) csv += "," + csvField(regionsOfObjects[i]);
    if (!layout.run.empty()) csv += "," + layout.run;
    csv += "\n";
  }
  return csv;
}

std::string labelsPng(const cv::Mat& labels) {
  double maxLabel = 0;
  cv::minMaxLoc(labels, nullptr, &maxLabel);
  if (maxLabel > 65535) throw std::runtime_error("more than 65535 objects do not fit a 16-bit label image");
  cv::Mat sixteen;
  labels.convertTo(sixteen, CV_16U);
  return encodePng(sixteen);
}

double scaleBarMicrometres(int imageWidthPx, double pixelSizeUm) {
  const double target = imageWidthPx * pixelSizeUm / 5;
  const double decade = std::pow(10.0, std::floor(std::log10(target)));
  double bar = decade;
  for (const double step : {2.0, 5.0})
    if (decade * step <= target) bar = decade * step;
  return bar;
}

namespace {

// A white bar with its length below it, at the bottom right, on a dark box so that it reads on any slide. OpenCV's
// fonts have no µ: the label says "um".
void drawScaleBar(cv::Mat& bgr, double pixelSizeUm) {
  const double micrometres = scaleBarMicrometres(bgr.cols, pixelSizeUm);
  const int length = std::max(1, cvRound(micrometres / pixelSizeUm));
  const double fontScale = std::max(0.4, bgr.cols / 1600.0);
  const int thickness = std::max(1, cvRound(2 * fontScale)), barHeight = std::max(3, cvRound(6 * fontScale));
  std::string label = micrometres >= 1 ? fixedDecimal(micrometres, 0) : fixedDecimal(micrometres, 3);
  label += " um";
  int baseline = 0;
  const cv::Size text = cv::getTextSize(label, cv::FONT_HERSHEY_SIMPLEX, fontScale, thickness, &baseline);
  const int margin = cvRound(12 * fontScale);
  const int right = bgr.cols - 2 * margin, bottom = bgr.rows - 2 * margin;
  const cv::Rect box(right - std::max(length, text.width) - margin,
                     bottom - barHeight - text.height - baseline - 2 * margin,
                     std::max(length, text.width) + 2 * margin, barHeight + text.height + baseline + 3 * margin);
  cv::Mat roi = bgr(box & cv::Rect(0, 0, bgr.cols, bgr.rows));
  roi *= 0.35;
  cv::rectangle(bgr, cv::Rect(right - length, bottom - barHeight - text.height - baseline - margin, length, barHeight),
                cv::Scalar(255, 255, 255), cv::FILLED);
  cv::putText(bgr, label, cv::Point(right - (length + text.width) / 2, bottom - baseline), cv::FONT_HERSHEY_SIMPLEX,
              fontScale, cv::Scalar(255, 255, 255), thickness, cv::LINE_AA);
}

}  // namespace

cv::Mat overlayImage(const cv::Mat& rgb, const Detection& detection, double pixelSizeUm) {
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  bgr.convertTo(bgr, CV_8UC3, 255.0);
  // Outline = object pixels with a neighbour outside the object.
  cv::Mat labels, eroded;
  detection.labels.convertTo(labels, CV_32F);  // erode has no 32-bit integer path; floats hold labels exactly
  cv::erode(labels, eroded, cv::Mat());
  const cv::Mat outline = (labels > 0) & (labels != eroded);
  bgr.setTo(cv::Scalar(0, 255, 255), outline);
  for (const auto& o : detection.objects)
    cv::circle(bgr, cv::Point(cvRound(o.centroid.x), cvRound(o.centroid.y)), 2, cv::Scalar(255, 0, 255), cv::FILLED);
  if (pixelSizeUm > 0) drawScaleBar(bgr, pixelSizeUm);
  return bgr;
}

std::string overlayPng(const cv::Mat& rgb, const Detection& detection, double pixelSizeUm) {
  return encodePng(overlayImage(rgb, detection, pixelSizeUm));
}

}  // namespace fluocount
