#pragma once
// Where a folder keeps its slides, their masks and instance labels: one rule for the app's folder, the CLI's
// folders and datasets, and the training data. It is the layout of the paper's data (FNC):
//   <folder>/images/<stem>.png|.tif|.tiff|.jpg   the slides (or directly in <folder> when it has no images/)
//   <folder>/masks/<stem>.png                     a slide's binary mask, where it is annotated
//   <folder>/labels/<stem>.png                    its instance labels, where the dataset has them
#include <string>
#include <vector>

namespace fluocount {

struct SlideFiles {
  std::string image;
  std::string mask;       // empty: not annotated
  std::string labels;     // empty: no instance labels
  std::string nameClash;  // why the slide has no mask (or regions): another slide shares its stem; empty if none
  // A TIFF mask of the slide's stem saved after the PNG mask that `mask` names, which is what FluoCount reads (it
  // saves its edits there): corrected again in Fiji after FluoCount's edits, perhaps. Empty when there is none.
  std::string newerTiffMask = {};
  // The slide's count by hand (<folder>/hand-counts/, handCountFileFor); empty when there is none.
  std::string handCount = {};
};

// A file in a slide folder that a user may take for a slide but FluoCount does not read: a microscope's own format
// (Zeiss CZI, Nikon ND2, Leica LIF, ...) or another image format. Counting a folder must not pass over such
// files in silence: the table would look complete with some slides missing.
struct UnreadFile {
  std::string path;
  std::string format;  // "Zeiss CZI", "BMP image", ...
};

struct SlideFolder {
  std::string imagesFolder;        // <folder>/images, or <folder>
  std::vector<SlideFiles> slides;  // in file name order
  std::vector<UnreadFile> unread;  // in file name order
  // Masks (PNG, TIFF) in <folder>/masks whose stem no slide has (a slide renamed or removed), in name order: not
  // used, and said so rather than passed over (an evaluation would quietly score fewer slides).
  std::vector<std::string> masksOfNoSlide = {};
  // Likewise the app's regions files, <folder>/regions/*.geojson, whose stem no slide has.
  std::vector<std::string> regionsOfNoSlide = {};
  // And the files of <folder>/hand-counts that are no slide's count by hand (handCountsNotUsed).
  std::vector<std::string> handCountsNotUsed = {};
};

// The images (PNG, TIFF, JPEG) directly in `folder`, not recursively, in name order. Hidden files (names that start
// with '.') are not slides: macOS writes "._<name>.png" beside every file it copies to a USB stick or a share (its
// metadata, not an image), and editors keep temporary files that way.
std::vector<std::string> imagesIn(const std::string& folder);
// The files directly in `folder` that are UnreadFiles, by their extension, in name order (hidden files left out).
std::vector<UnreadFile> unreadImagesIn(const std::string& folder);
// One sentence for the user naming the unread files (up to three by name) and their formats, and how to make them
// readable; empty when there are none.
std::string describeUnreadFiles(const std::vector<UnreadFile>& unread);
// The desktop app's note on slides whose file names are not UTF-8 text (Latin-1 from an old share): Qt opens files
// by UTF-8 names, so the app cannot open them, and names them rather than list slides that fail with "no such
// file"; fluocount-cli counts them. Empty when there are none.
std::string describeNamesNotUtf8(const std::vector<std::string>& imagePaths);
// The folders directly in `folder` (hidden ones left out) that hold slides (imagesIn of their imagesFolderOf), in
// name order: where the slides are when a user opened the experiment's folder instead of one condition's.
std::vector<std::string> subfoldersWithSlides(const std::string& folder);
// "Its subfolders hold slides: day1, day2 and 3 more." naming up to three; empty when none do.
std::string describeSubfoldersWithSlides(const std::vector<std::string>& subfolders);
// <folder>/images when that is a folder, else <folder>.
std::string imagesFolderOf(const std::string& folder);
// <folder>/masks/<stem>.png: where the mask of `imagePath` is, or is saved to.
std::string maskFileFor(const std::string& folder, const std::string& imagePath);
// The file that holds the mask `pngPath` (a maskFileFor path) names: that PNG when it exists, else a TIFF of the same
// stem beside it (<stem>.tif or .tiff, as Fiji saves by default), which FluoCount reads but never writes (edits are
// saved to the PNG, which then holds the mask). Empty when neither exists.
std::string maskFileHolding(const std::string& pngPath);
// The TIFF beside `pngPath` (a maskFileFor path) saved more than two seconds after that PNG, which maskFileHolding
// prefers; empty when the PNG or such a TIFF is missing. (Two seconds: a copy of the folder writes both anew, in
// no given order, and FAT file times have a resolution of two seconds.)
std::string newerTiffMaskBeside(const std::string& pngPath);
// The masks of `folder` (<folder>/masks/*.png|tif|tiff, hidden files left out) whose stem none of `images` has.
std::vector<std::string> masksOfNoSlide(const std::string& folder, const std::vector<std::string>& images);
// One sentence naming such masks (up to three); empty when there are none.
std::string describeMasksOfNoSlide(const std::vector<std::string>& masks);
// The app's regions files (<folder>/regions/*.geojson) whose stem none of `images` has, and the sentence naming them.
std::vector<std::string> regionsOfNoSlide(const std::string& folder, const std::vector<std::string>& images);
std::string describeRegionsOfNoSlide(const std::vector<std::string>& regions);
// The files of <folder>/hand-counts (.roi, .zip, .geojson, .xml; hidden files left out) that are no slide's count
// by hand (none of `slides` has it as its handCount): named after no slide, one of two files that name the same
// slide (neither is used then), or of a slide whose stem another shares.
std::vector<std::string> handCountsNotUsed(const std::string& folder, const std::vector<SlideFiles>& slides);
// One sentence naming them (up to three) and how a count is named; empty when there are none.
std::string describeHandCountsNotUsed(const std::vector<std::string>& files);
// One sentence for the user naming the slides' newer TIFF masks (up to three) and how to choose; empty when none.
std::string describeNewerTiffMasks(const std::vector<SlideFiles>& slides);
// The slides' masks whose files say FluoCount outlined them from a count by hand and nobody has reviewed them
// since (core/mask_origin.h), and one sentence naming them (up to three) with what `use` does with them ("trained
// on", "scored against"); empty when there are none.
std::vector<std::string> outlinesToReview(const std::vector<SlideFiles>& slides);
std::string describeOutlinesToReview(const std::vector<std::string>& masks, const std::string& use);
// <dataset>/labels/<stem>.png for <dataset>/masks/<stem>.png when that file exists, else empty.
std::string labelsFileFor(const std::string& maskPath);

// A regions file an image may have in a regions folder (count --regions): <folder>/<file name>.geojson|.zip|.roi
// ("slide1.tif.geojson", an export named after the image's file) or <folder>/<stem>.geojson|.zip|.roi.
struct RegionsFileMatch {
  std::string path;
  bool byStem = false;  // <stem>.*: another image of the same stem would claim it too (sharedStemReasons)
};
// Those that exist, by file name first. More than one is an ambiguity to refuse, not to choose from.
std::vector<RegionsFileMatch> regionsFilesFor(const std::string& regionsFolder, const std::string& image);
// A count by hand an image may have in a folder (evaluate --hand-counts): <folder>/<file name or stem> with .roi,
// .zip, .geojson or .xml, or CellCounter_<file name or stem>.xml as Fiji's Cell Counter names its markers file.
// Those that exist; more than one is an ambiguity to refuse.
std::vector<RegionsFileMatch> handCountFilesFor(const std::string& folder, const std::string& image);
// A slide folder's count by hand of `image`: the one file handCountFilesFor finds in <folder>/hand-counts (the
// app scores a slide without a mask against it). Empty when there is none, or more than one.
std::string handCountFileFor(const std::string& folder, const std::string& image);
// The regions files of `regionsFolder` (*.geojson, *.zip, *.roi; hidden files left out) that are none of `images`'s.
std::vector<std::string> regionsFilesOfNoImage(const std::string& regionsFolder,
                                               const std::vector<std::string>& images);

// For each of `images`, why the files named after its stem (masks/<stem>.png, regions/<stem>.geojson, a --regions
// folder's <stem>.geojson) cannot be used for it: another image of the list has the same stem ("a.png", "a.tif"),
// so such a file would belong to both and the one drawn on one slide would be applied to the other. Empty where
// the stem is the image's alone.
std::vector<std::string> sharedStemReasons(const std::vector<std::string>& images);

// The same for two paths of one file (./a.png, x/../a.png, a link to it), so that an image named twice, or in two
// datasets given together, is counted, scored or trained on once.
std::string sameFileKey(const std::string& path);

// The slide folder an image belongs to: the folder above <folder>/images, else the image's own folder.
std::string slideFolderOfImage(const std::string& imagePath);

// Every slide of the folder, with its mask and labels where they exist (none for slides that share a stem:
// nameClash says why). Throws ImageError when `folder` is not a folder.
SlideFolder scanSlideFolder(const std::string& folder);
// A dataset for training or evaluation: <folder>/images and <folder>/masks must both exist, and no mask may be
// claimed by two images that share its stem (ImageError naming the folder or the files otherwise).
SlideFolder scanAnnotatedDataset(const std::string& folder);

}  // namespace fluocount
