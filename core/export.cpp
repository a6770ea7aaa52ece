#include "core/export.h"

#include "core/numeric_locale.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
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

std::string csvField(const std::string& value) {
  if (value.find_first_of(",\"\n\r") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string countsCsv(const std::vector<CountRow>& rows) {
  std::string csv = "file,status,count,width,height,threshold,cell_diameter_px,seconds,method,error,model,options\n";
  for (const auto& r : rows) {
    csv += csvField(r.file) + "," + r.status + "," + std::to_string(r.count) + "," + std::to_string(r.width) + "," +
           std::to_string(r.height) + "," + number(r.threshold, 4) + "," + number(r.cellDiameterPx, 2) + "," +
           number(r.seconds, 3) + "," + csvField(r.method) + "," + csvField(r.error) + "," +
           csvField(r.model) + "," + csvField(r.options) + "\n";
  }
  return csv;
}

std::string regionsCsvHeader() {
  return "file,region,count,area_px2,cells_per_million_px2,threshold,cell_diameter_px,method,model,options\n";
}

std::string regionsCsvRows(const CountRow& row, const std::vector<RegionCount>& regions) {
  std::string csv;
  for (const RegionCount& region : regions)
    csv += csvField(row.file) + "," + csvField(region.name) + "," + std::to_string(region.count) + "," +
           number(region.areaPx, 1) + "," + number(region.areaPx > 0 ? region.count / region.areaPx * 1e6 : 0, 3) +
           "," + number(row.threshold, 4) + "," + number(row.cellDiameterPx, 2) + "," + csvField(row.method) + "," +
           csvField(row.model) + "," + csvField(row.options) + "\n";
  return csv;
}

std::string objectsCsvHeader() {
  return "file,object,centroid_x,centroid_y,area_px,bbox_x,bbox_y,bbox_width,bbox_height,mean_probability,"
         "mean_intensity\n";
}

std::string objectsCsvRows(const std::string& file, const Detection& detection) {
  std::string csv;
  const std::string name = csvField(file);
  for (const auto& o : detection.objects) {
    csv += name + "," + std::to_string(o.label) + "," + number(o.centroid.x, 2) + "," + number(o.centroid.y, 2) + "," +
           std::to_string(o.areaPx) + "," + std::to_string(o.boundingBox.x) + "," + std::to_string(o.boundingBox.y) +
           "," + std::to_string(o.boundingBox.width) + "," + std::to_string(o.boundingBox.height) + "," +
           number(o.meanProbability, 4) + "," + number(o.meanIntensity, 4) + "\n";
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

cv::Mat overlayImage(const cv::Mat& rgb, const Detection& detection) {
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
  return bgr;
}

std::string overlayPng(const cv::Mat& rgb, const Detection& detection) {
  return encodePng(overlayImage(rgb, detection));
}

}  // namespace fluocount
