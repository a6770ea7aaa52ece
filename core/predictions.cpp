#include "core/predictions.h"

#include "core/connected_components.h"
#include "core/hand_counts.h"
#include "core/image_io.h"
#include "core/slide_folder.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <filesystem>
#include <set>

namespace fluocount {
namespace {

namespace fs = std::filesystem;

bool isLabelImage(const std::string& path) {
  std::string extension = fs::path(path).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return extension == ".png" || extension == ".tif" || extension == ".tiff";
}

// Each distinct non-zero value one object, or, where there is one value only (a binary mask), each 8-connected
// component.
cv::Mat objectLabels(const RawImage& raw, const std::string& path) {
  if (raw.pixels.channels() != 1)
    throw ImageError(path + ": " + std::to_string(raw.pixels.channels()) +
                     " channels; a label image or mask has one (a number per object, or non-zero for cells)");
  double lowest = 0;
  cv::minMaxLoc(raw.pixels, &lowest);
  if (lowest < 0) throw ImageError(path + ": negative values; a label image numbers its objects from 1");
  cv::Mat values;
  raw.pixels.convertTo(values, CV_32S);  // floats of whole numbers, as some tools save labels, included
  std::set<int> distinct;
  for (int y = 0; y < values.rows && distinct.size() < 2; ++y)
    for (int x = 0; x < values.cols && distinct.size() < 2; ++x)
      if (const int v = values.at<int>(y, x); v != 0) distinct.insert(v);
  if (distinct.size() >= 2) return values;
  return connectedComponentsOf(values != 0, 8).labels;
}

}  // namespace

std::vector<std::string> predictionFilesFor(const std::string& folder, const std::string& image) {
  std::vector<std::string> files;
  const fs::path imagePath(image);
  for (const std::string& name : {imagePath.filename().string(), imagePath.stem().string()})
    for (const char* extension : {".png", ".tif", ".tiff"}) {
      const fs::path candidate = fs::path(folder) / (name + extension);
      std::error_code error;
      if (fs::is_regular_file(candidate, error) && candidate != imagePath) files.push_back(candidate.string());
    }
  for (const RegionsFileMatch& match : handCountFilesFor(folder, image)) files.push_back(match.path);
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

Detection predictedCells(const std::string& path, cv::Size imageSize, const std::string& imagePath) {
  if (!isLabelImage(path)) return marksAsCells(loadHandCount(path, imageSize, imagePath).marks);
  const RawImage raw = loadImage(path);
  if (raw.pixels.size() != imageSize)
    throw ImageError(path + " is " + std::to_string(raw.pixels.cols) + "x" + std::to_string(raw.pixels.rows) +
                     " but image " + imagePath + " is " + std::to_string(imageSize.width) + "x" +
                     std::to_string(imageSize.height));
  return measureLabels(objectLabels(raw, path));
}

}  // namespace fluocount
