#include "core/slide_folder.h"

#include "core/image_io.h"

#include <algorithm>
#include <filesystem>
#include <map>

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

std::string maskFileHolding(const std::string& pngPath) {
  std::error_code error;
  if (fs::is_regular_file(pngPath, error)) return pngPath;
  for (const char* suffix : {".tif", ".tiff", ".TIF", ".TIFF"}) {
    const fs::path tiff = fs::path(pngPath).replace_extension(suffix);
    if (fs::is_regular_file(tiff, error)) return tiff.string();
  }
  return {};
}

std::string labelsFileFor(const std::string& maskPath) {
  const fs::path mask(maskPath);
  const fs::path labels = mask.parent_path().parent_path() / "labels" / (mask.stem().string() + ".png");
  std::error_code error;
  return fs::is_regular_file(labels, error) ? labels.string() : std::string();
}

std::vector<std::string> sharedStemReasons(const std::vector<std::string>& images) {
  std::map<std::string, std::vector<std::size_t>> imagesByStem;
  for (std::size_t i = 0; i < images.size(); ++i) imagesByStem[fs::path(images[i]).stem().string()].push_back(i);
  std::vector<std::string> reasons(images.size());
  for (const auto& [stem, sharing] : imagesByStem) {
    if (sharing.size() < 2) continue;
    for (std::size_t i : sharing) {
      const std::string name = fs::path(images[i]).filename().string();
      std::string others;
      for (std::size_t j : sharing) {
        if (j == i) continue;
        const std::string other = fs::path(images[j]).filename().string();
        others += (others.empty() ? "" : ", ") + (other == name ? images[j] : other);  // another folder's namesake
      }
      reasons[i] = name + " shares its name \"" + stem + "\" with " + others + ", so a mask or regions file named " +
                   stem + ".* would belong to both: none is used for either (rename one of them)";
    }
  }
  return reasons;
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
  const std::vector<std::string> images = imagesIn(scan.imagesFolder);
  const std::vector<std::string> clashes = sharedStemReasons(images);
  for (std::size_t i = 0; i < images.size(); ++i) {
    SlideFiles slide{images[i], maskFileHolding(maskFileFor(folder, images[i])), {}, clashes[i]};
    if (slide.nameClash.empty() && !slide.mask.empty())
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
  SlideFolder scan = scanSlideFolder(folder);
  for (const SlideFiles& slide : scan.slides)
    if (!slide.nameClash.empty() && !maskFileHolding(maskFileFor(folder, slide.image)).empty())
      throw ImageError(folder + ": " + slide.nameClash);
  return scan;
}

}  // namespace fluocount
