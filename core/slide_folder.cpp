#include "core/slide_folder.h"

#include "core/image_io.h"

#include <algorithm>
#include <filesystem>

namespace fluocount {

namespace fs = std::filesystem;

std::vector<std::string> imagesIn(const std::string& folder) {
  std::vector<std::string> images;
  std::error_code error;
  for (fs::directory_iterator entry(folder, error), end; !error && entry != end; entry.increment(error))
    if (entry->is_regular_file(error) && isSupportedImageFile(entry->path().string()))
      images.push_back(entry->path().string());
  std::sort(images.begin(), images.end());
  return images;
}

std::string imagesFolderOf(const std::string& folder) {
  std::error_code error;
  const fs::path images = fs::path(folder) / "images";
  return fs::is_directory(images, error) ? images.string() : folder;
}

std::string maskFileFor(const std::string& folder, const std::string& imagePath) {
  return (fs::path(folder) / "masks" / (fs::path(imagePath).stem().string() + ".png")).string();
}

std::string labelsFileFor(const std::string& maskPath) {
  const fs::path mask(maskPath);
  const fs::path labels = mask.parent_path().parent_path() / "labels" / (mask.stem().string() + ".png");
  std::error_code error;
  return fs::is_regular_file(labels, error) ? labels.string() : std::string();
}

std::string slideFolderOfImage(const std::string& imagePath) {
  const fs::path folder = fs::absolute(imagePath).parent_path();
  return (folder.filename() == "images" ? folder.parent_path() : folder).string();
}

SlideFolder scanSlideFolder(const std::string& folder) {
  std::error_code error;
  if (!fs::is_directory(folder, error)) throw ImageError(folder + " is not a folder");
  SlideFolder scan;
  scan.imagesFolder = imagesFolderOf(folder);
  for (const std::string& image : imagesIn(scan.imagesFolder)) {
    SlideFiles slide{image, maskFileFor(folder, image), {}};
    if (fs::is_regular_file(slide.mask, error))
      slide.labels = labelsFileFor(slide.mask);
    else
      slide.mask.clear();
    scan.slides.push_back(std::move(slide));
  }
  return scan;
}

SlideFolder scanAnnotatedDataset(const std::string& folder) {
  std::error_code error;
  if (!fs::is_directory(fs::path(folder) / "images", error) || !fs::is_directory(fs::path(folder) / "masks", error))
    throw ImageError(folder + ": expected a dataset folder with images/ and masks/ inside");
  return scanSlideFolder(folder);
}

}  // namespace fluocount
