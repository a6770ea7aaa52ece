#include "core/slide_folder.h"

#include "core/mask_origin.h"

#include "core/image_io.h"
#include "core/utf8.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>

namespace fluocount {

namespace fs = std::filesystem;

namespace {

bool isHidden(const fs::path& file) { return file.filename().string().rfind('.', 0) == 0; }

// The regular, visible files directly in `folder`, in name order.
std::vector<fs::path> visibleFilesIn(const std::string& folder) {
  std::vector<fs::path> files;
  std::error_code error;
  for (fs::directory_iterator entry(folder, error), end; !error && entry != end; entry.increment(error))
    if (entry->is_regular_file(error) && !isHidden(entry->path())) files.push_back(entry->path());
  std::sort(files.begin(), files.end());
  return files;
}

std::string lowerCaseExtension(const fs::path& file) {
  std::string extension = file.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension;
}

// Formats that hold micrographs and that FluoCount does not read, by lower-case extension. Bio-Formats (Fiji)
// reads all of them and saves TIFF.
const char* unreadFormatOf(const std::string& extension) {
  static const std::map<std::string, const char*> formats = {
      {".czi", "Zeiss CZI"},       {".lsm", "Zeiss LSM"},       {".zvi", "Zeiss ZVI"},     {".nd2", "Nikon ND2"},
      {".lif", "Leica LIF"},       {".lof", "Leica LOF"},       {".lei", "Leica LEI"},     {".oib", "Olympus OIB"},
      {".oif", "Olympus OIF"},     {".oir", "Olympus OIR"},     {".vsi", "Olympus VSI"},   {".ims", "Imaris IMS"},
      {".dv", "DeltaVision"},      {".r3d", "DeltaVision"},     {".svs", "Aperio SVS"},    {".ndpi", "Hamamatsu NDPI"},
      {".scn", "Leica SCN"},       {".mrxs", "3DHISTECH MRXS"}, {".ics", "ICS"},           {".ids", "ICS"},
      {".sld", "SlideBook"},       {".bmp", "BMP image"},       {".gif", "GIF image"},     {".webp", "WebP image"},
      {".jp2", "JPEG 2000 image"}, {".j2k", "JPEG 2000 image"}, {".jxl", "JPEG XL image"}, {".heic", "HEIC image"},
      {".heif", "HEIF image"},     {".psd", "Photoshop image"}};
  const auto found = formats.find(extension);
  return found == formats.end() ? nullptr : found->second;
}

// "a, b, c and 2 more": the file names of up to three paths.
std::string someNames(const std::vector<std::string>& paths) {
  constexpr std::size_t kNamed = 3;
  std::string names;
  for (std::size_t i = 0; i < std::min(paths.size(), kNamed); ++i)
    names += (i ? ", " : "") + fs::path(paths[i]).filename().string();
  if (paths.size() > kNamed) names += " and " + std::to_string(paths.size() - kNamed) + " more";
  return names;
}

}  // namespace

std::vector<std::string> imagesIn(const std::string& folder) {
  std::vector<std::string> images;
  for (const fs::path& file : visibleFilesIn(folder))
    if (isSupportedImageFile(file.string())) images.push_back(file.string());
  return images;
}

std::vector<UnreadFile> unreadImagesIn(const std::string& folder) {
  std::vector<UnreadFile> unread;
  for (const fs::path& file : visibleFilesIn(folder))
    if (const char* format = unreadFormatOf(lowerCaseExtension(file))) unread.push_back({file.string(), format});
  return unread;
}

std::vector<std::string> subfoldersWithSlides(const std::string& folder) {
  std::vector<std::string> found;
  std::error_code error;
  for (fs::directory_iterator entry(folder, error), end; !error && entry != end; entry.increment(error))
    if (entry->is_directory(error) && !isHidden(entry->path()) &&
        !imagesIn(imagesFolderOf(entry->path().string())).empty())
      found.push_back(entry->path().string());
  std::sort(found.begin(), found.end());
  return found;
}

std::string describeSubfoldersWithSlides(const std::vector<std::string>& subfolders) {
  if (subfolders.empty()) return {};
  return std::string(subfolders.size() == 1 ? "Its subfolder " : "Its subfolders ") + someNames(subfolders) +
         (subfolders.size() == 1 ? " holds" : " hold") + " slides.";
}

std::string describeUnreadFiles(const std::vector<UnreadFile>& unread) {
  if (unread.empty()) return {};
  std::vector<std::string> formats;  // in order of first appearance
  for (const UnreadFile& file : unread)
    if (std::find(formats.begin(), formats.end(), file.format) == formats.end()) formats.push_back(file.format);
  std::vector<std::string> paths;
  for (const UnreadFile& file : unread) paths.push_back(file.path);
  const std::string names = someNames(paths);
  std::string kinds;
  for (std::size_t i = 0; i < formats.size(); ++i)
    kinds += (i == 0 ? "" : i + 1 == formats.size() ? " and " : ", ") + formats[i];
  const bool one = unread.size() == 1;
  return std::to_string(unread.size()) + (one ? " file is" : " files are") + " not counted: " + names + " (" + kinds +
         "). FluoCount reads PNG, TIFF and JPEG: save " + (one ? "it" : "them") +
         " as TIFF first (in Fiji, File > Import > Bio-Formats, then File > Save As > Tiff).";
}

std::string describeNamesNotUtf8(const std::vector<std::string>& imagePaths) {
  if (imagePaths.empty()) return {};
  const bool one = imagePaths.size() == 1;
  return std::to_string(imagePaths.size()) + (one ? " slide is" : " slides are") +
         " not opened: " + validUtf8(someNames(imagePaths)) + (one ? " has a file name" : " have file names") +
         " in another encoding than UTF-8 (from an older system or share). Rename " + (one ? "it" : "them") +
         " (a file manager shows such names with '?'), or count " + (one ? "it" : "them") + " with fluocount-cli.";
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

std::string newerTiffMaskBeside(const std::string& pngPath) {
  std::error_code error;
  const auto pngSaved = fs::last_write_time(pngPath, error);
  if (error) return {};
  for (const char* suffix : {".tif", ".tiff", ".TIF", ".TIFF"}) {
    const fs::path tiff = fs::path(pngPath).replace_extension(suffix);
    const auto tiffSaved = fs::last_write_time(tiff, error);
    if (!error && fs::is_regular_file(tiff, error) && tiffSaved - pngSaved > std::chrono::seconds(2))
      return tiff.string();
  }
  return {};
}

namespace {

const std::string kHandCountExtensions[] = {".roi", ".zip", ".geojson", ".xml"};

// The files of <folder>/<subfolder> with one of `extensions` (lower case) whose stem none of `images` has.
std::vector<std::string> filesOfNoSlide(const std::string& folder, const char* subfolder,
                                        const std::vector<std::string>& extensions,
                                        const std::vector<std::string>& images) {
  std::set<std::string> stems;
  for (const std::string& image : images) stems.insert(fs::path(image).stem().string());
  std::vector<std::string> orphans;
  std::error_code error;
  const fs::path files = fs::path(folder) / subfolder;
  if (!fs::is_directory(files, error)) return orphans;
  for (const fs::path& file : visibleFilesIn(files.string())) {
    const std::string extension = lowerCaseExtension(file);
    if (std::find(extensions.begin(), extensions.end(), extension) != extensions.end() &&
        !stems.count(file.stem().string()))
      orphans.push_back(file.string());
  }
  return orphans;
}

// "2 masks belong to no slide: masks/a.png, b.png are not used (...)."
std::string describeFilesOfNoSlide(const std::vector<std::string>& files, const char* one, const char* many,
                                   const char* subfolder, const char* naming) {
  if (files.empty()) return {};
  const bool single = files.size() == 1;
  return std::to_string(files.size()) + " " + (single ? one : many) + (single ? " belongs" : " belong") +
         " to no slide: " + subfolder + "/" + someNames(files) + (single ? " is" : " are") +
         " not used (a slide renamed or removed? " + naming + ").";
}

}  // namespace

std::vector<std::string> masksOfNoSlide(const std::string& folder, const std::vector<std::string>& images) {
  return filesOfNoSlide(folder, "masks", {".png", ".tif", ".tiff"}, images);
}

std::string describeMasksOfNoSlide(const std::vector<std::string>& masks) {
  return describeFilesOfNoSlide(masks, "mask", "masks", "masks", "A mask is masks/<the slide's name>.png or .tif");
}

std::vector<std::string> regionsOfNoSlide(const std::string& folder, const std::vector<std::string>& images) {
  return filesOfNoSlide(folder, "regions", {".geojson"}, images);
}

std::string describeRegionsOfNoSlide(const std::vector<std::string>& regions) {
  return describeFilesOfNoSlide(regions, "regions file", "regions files", "regions",
                                "A slide's regions are regions/<the slide's name>.geojson");
}

std::vector<std::string> handCountsNotUsed(const std::string& folder, const std::vector<SlideFiles>& slides) {
  const fs::path counts = fs::path(folder) / "hand-counts";
  std::error_code error;
  if (!fs::is_directory(counts, error)) return {};
  std::set<std::string> used;  // file names
  for (const SlideFiles& slide : slides)
    if (!slide.handCount.empty()) used.insert(fs::path(slide.handCount).filename().string());
  std::vector<std::string> unused;
  for (const fs::path& file : visibleFilesIn(counts.string())) {
    const std::string extension = lowerCaseExtension(file);
    const bool count = std::find(std::begin(kHandCountExtensions), std::end(kHandCountExtensions), extension) !=
                       std::end(kHandCountExtensions);
    if (count && !used.count(file.filename().string())) unused.push_back(file.string());
  }
  return unused;
}

std::string describeHandCountsNotUsed(const std::vector<std::string>& files) {
  if (files.empty()) return {};
  const bool single = files.size() == 1;
  return std::to_string(files.size()) + (single ? " count by hand is" : " counts by hand are") +
         " not used: hand-counts/" + someNames(files) +
         " (named after no slide, or two files name one slide; a slide's count is hand-counts/<the slide's "
         "name>.roi, .zip, .geojson or .xml, or CellCounter_<the slide's name>.xml).";
}

std::string describeNewerTiffMasks(const std::vector<SlideFiles>& slides) {
  std::vector<std::string> newer;
  for (const SlideFiles& slide : slides)
    if (!slide.newerTiffMask.empty()) newer.push_back(slide.newerTiffMask);
  if (newer.empty()) return {};
  const bool one = newer.size() == 1;
  return std::string(one ? "The TIFF mask " : "The TIFF masks ") + someNames(newer) + (one ? " was" : " were") +
         " saved after the PNG " + (one ? "mask of the same slide, which" : "masks of the same slides, which") +
         " FluoCount reads (it saves its edits there): delete the PNG to use the TIFF, or the TIFF to keep FluoCount's "
         "edits.";
}

std::vector<std::string> outlinesToReview(const std::vector<SlideFiles>& slides) {
  std::vector<std::string> masks;
  for (const SlideFiles& slide : slides)
    if (!slide.mask.empty() && maskOriginOfFile(slide.mask) == MaskOrigin::OutlinedFromMarks)
      masks.push_back(slide.mask);
  return masks;
}

std::string describeOutlinesToReview(const std::vector<std::string>& masks, const std::string& use) {
  if (masks.empty()) return {};
  const bool one = masks.size() == 1;
  return std::to_string(masks.size()) + (one ? " mask was" : " masks were") +
         " outlined by FluoCount from counts by hand and nobody has reviewed " + (one ? "it" : "them") +
         " since: masks/" + someNames(masks) + ", " + use + " as " + (one ? "it is" : "they are") +
         ". Those outlines are the network's own; look them over in the app and mark the slides reviewed (R).";
}

std::string labelsFileFor(const std::string& maskPath) {
  const fs::path mask(maskPath);
  const fs::path labels = mask.parent_path().parent_path() / "labels" / (mask.stem().string() + ".png");
  std::error_code error;
  return fs::is_regular_file(labels, error) ? labels.string() : std::string();
}

namespace {

const std::string kRegionsExtensions[] = {".geojson", ".zip", ".roi"};

// The files of `folder` named <prefix><image's file name or stem><extension> that exist, by file name first.
template <typename Prefixes, typename Extensions>
std::vector<RegionsFileMatch> filesNamedAfter(const std::string& folder, const std::string& image,
                                              const Prefixes& prefixes, const Extensions& extensions) {
  std::vector<RegionsFileMatch> found;
  std::error_code error;
  const fs::path file(image);
  for (const bool byStem : {false, true})
    for (const std::string& prefix : prefixes)
      for (const std::string& extension : extensions) {
        const fs::path candidate =
            fs::path(folder) / (prefix + (byStem ? file.stem() : file.filename()).string() + extension);
        if (fs::is_regular_file(candidate, error)) found.push_back({candidate.string(), byStem});
      }
  return found;
}

}  // namespace

std::vector<RegionsFileMatch> regionsFilesFor(const std::string& regionsFolder, const std::string& image) {
  return filesNamedAfter(regionsFolder, image, std::initializer_list<std::string>{""}, kRegionsExtensions);
}

std::vector<RegionsFileMatch> handCountFilesFor(const std::string& folder, const std::string& image) {
  std::vector<RegionsFileMatch> found =
      filesNamedAfter(folder, image, std::initializer_list<std::string>{""}, kHandCountExtensions);
  for (RegionsFileMatch& match : filesNamedAfter(folder, image, std::initializer_list<std::string>{"CellCounter_"},
                                                 std::initializer_list<std::string>{".xml"}))
    found.push_back(std::move(match));
  return found;
}

std::string handCountFileFor(const std::string& folder, const std::string& image) {
  const std::vector<RegionsFileMatch> files = handCountFilesFor((fs::path(folder) / "hand-counts").string(), image);
  return files.size() == 1 ? files[0].path : std::string();
}

std::vector<std::string> regionsFilesOfNoImage(const std::string& regionsFolder,
                                               const std::vector<std::string>& images) {
  // The names regionsFilesFor looks for, without their extension: each image's file name and stem.
  std::set<std::string> names;
  for (const std::string& image : images) {
    names.insert(fs::path(image).filename().string());
    names.insert(fs::path(image).stem().string());
  }
  std::vector<std::string> unclaimed;
  for (const fs::path& file : visibleFilesIn(regionsFolder)) {
    const std::string extension = lowerCaseExtension(file);
    const bool regions = std::find(std::begin(kRegionsExtensions), std::end(kRegionsExtensions), extension) !=
                         std::end(kRegionsExtensions);
    // Compared as regionsFilesFor finds them: its own extension exactly (A.GEOJSON is found by no image).
    if (regions && (file.extension() != extension || !names.count(file.stem().string())))
      unclaimed.push_back(file.string());
  }
  return unclaimed;
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

std::string sameFileKey(const std::string& path) {
  std::error_code error;
  const fs::path canonical = fs::weakly_canonical(fs::absolute(path), error);
  return (error ? fs::absolute(path).lexically_normal() : canonical).string();
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
  scan.unread = unreadImagesIn(scan.imagesFolder);
  const std::vector<std::string> images = imagesIn(scan.imagesFolder);
  scan.masksOfNoSlide = masksOfNoSlide(folder, images);
  scan.regionsOfNoSlide = regionsOfNoSlide(folder, images);
  const std::vector<std::string> clashes = sharedStemReasons(images);
  for (std::size_t i = 0; i < images.size(); ++i) {
    SlideFiles slide{images[i], maskFileHolding(maskFileFor(folder, images[i])), {}, clashes[i]};
    if (slide.nameClash.empty() && !slide.mask.empty()) {
      slide.labels = labelsFileFor(slide.mask);
      slide.newerTiffMask = newerTiffMaskBeside(maskFileFor(folder, images[i]));
    } else {
      slide.mask.clear();
    }
    if (slide.nameClash.empty()) slide.handCount = handCountFileFor(folder, images[i]);
    scan.slides.push_back(std::move(slide));
  }
  scan.handCountsNotUsed = handCountsNotUsed(folder, scan.slides);
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
