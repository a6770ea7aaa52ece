// fluocount-cli masks: masks to train on, made from counts by hand (core/cells_of_marks.h): each image with a count by
// hand is counted, and each mark's cell outlined where the network's heatmap reaches one half. The batch form of the
// app's Edit > Propose Cells from the Count by Hand, for a lab with many slides counted in Fiji or QuPath.
#include "app/cli_common.h"
#include "core/cells_of_marks.h"
#include "core/hand_counts.h"
#include "core/mask_edit.h"

#include <cstdio>
#include <filesystem>
#include <map>

namespace fluocount::cli {

namespace fs = std::filesystem;

namespace {

struct MaskToWrite {
  AnnotatedImage image;
  fs::path mask;  // <out>/<stem>.png
};

// Every image's mask file, checked before anything is counted: two images that would write one file stop the run;
// an image whose mask exists keeps it (said, and replaced only with --overwrite), so that masks drawn or corrected
// by hand are never written over by a run for the slides that had none.
std::vector<MaskToWrite> plannedMasks(const std::vector<AnnotatedImage>& images, const fs::path& out, bool overwrite) {
  std::vector<MaskToWrite> planned;
  std::map<fs::path, std::string> writer;
  for (const AnnotatedImage& image : images) {
    const fs::path mask = out / (fs::path(image.image).stem().string() + ".png");
    const auto [earlier, first] = writer.emplace(mask, image.image);
    if (!first) throw CliError(earlier->second + " and " + image.image + " would both write " + mask.string());
    if (!overwrite && fs::exists(mask))
      std::fprintf(stderr, "kept: %s exists (--overwrite replaces it)\n", mask.string().c_str());
    else
      planned.push_back({image, mask});
  }
  if (planned.empty()) throw CliError("every image counted by hand has its mask in " + out.string() + " already");
  return planned;
}

}  // namespace

int runMasksCommand(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(
      "Make masks to train on from counts by hand. Each image with a count by hand in --hand-counts is counted, and "
      "each mark gets one cell of its mask, outlined where the network's heatmap reaches one half: a mark on a blob "
      "it shares with other marks gets its own part of it, a mark where the network saw nothing a disc of the cell "
      "diameter; detections no mark is on are left out. The masks go to --out as <stem>.png (binary, cells 255; an "
      "existing mask is kept unless --overwrite), "
      "so that --out as <dataset>/masks makes a dataset that train, evaluate and the app read. Look at them (the "
      "app shows and edits masks/) before training on them.");
  parser.addPositionalArgument("paths", "Image files or folders of images.", "paths...");
  addCounterOptions(parser);
  parser.addOptions({
      {"hand-counts",
       "The counts by hand: for each image, a file in this folder named after it (<name or stem>.roi or .zip: Fiji "
       "multi-point ROIs; .geojson: QuPath points; .xml or CellCounter_<name or stem>.xml: Fiji Cell Counter "
       "markers).",
       "dir"},
      {"out", "Folder for the masks (created if missing), e.g. <dataset>/masks.", "dir"},
      {"overwrite", "Replace masks that exist in --out (by default an image whose mask exists keeps it)."},
  });
  parseOrExit(parser, arguments);
  if (parser.positionalArguments().isEmpty()) throw CliError("name at least one image or folder");
  if (!parser.isSet("hand-counts")) throw CliError("give --hand-counts, the folder of the counts by hand");
  if (!parser.isSet("out")) throw CliError("give --out, the folder to write the masks to");
  if (parser.isSet("classical"))
    throw CliError("--classical has no heatmap to outline cells with: masks are made with a network");
  const std::string handCounts = parser.value("hand-counts").toStdString();
  if (!fs::is_directory(handCounts)) throw CliError("--hand-counts: " + handCounts + " is not a folder");

  std::vector<std::string> uncounted, refused;
  const std::vector<AnnotatedImage> images =
      collectHandCounted(parser.positionalArguments(), handCounts, uncounted, refused);
  for (const auto& file : uncounted) std::fprintf(stderr, "skipped (no count by hand): %s\n", file.c_str());
  for (const auto& reason : refused) std::fprintf(stderr, "skipped: %s\n", reason.c_str());
  if (images.empty()) throw CliError("no image has a count by hand in " + handCounts);
  const fs::path out = parser.value("out").toStdString();
  const std::vector<MaskToWrite> planned = plannedMasks(images, out, parser.isSet("overwrite"));
  std::error_code creationError;
  fs::create_directories(out, creationError);
  if (creationError) throw CliError("cannot create " + out.string() + ": " + creationError.message());

  const CellCounter counter = makeCounter(parser);
  std::fprintf(stderr, "Outlining the cells counted by hand in %zu image(s) with %s\n", planned.size(),
               counter.methodDescription().c_str());
  std::printf("%-40s %6s %9s %6s %6s %9s  %s\n", "file", "marks", "outlined", "split", "discs", "diameter", "mask");
  int failures = 0;
  for (const MaskToWrite& item : planned) {
    try {
      const ImageCount counted = counter.count(item.image.image);
      const HandCount marks = loadHandCount(item.image.handCount, counted.size, item.image.image);
      const MarkedCells cells = cellsOfMarksOnHeatmap(counted.heatmap, marks.marks, counted.cellDiameterPx);
      saveMask(item.mask.string(), cells.labels > 0, parser.isSet("overwrite"), MaskOrigin::OutlinedFromMarks);
      std::printf("%-40.40s %6zu %9d %6d %6d %6.0f px  %s\n", fileName(item.image.image).c_str(), marks.marks.size(),
                  cells.fromDetections, cells.splitDetections, cells.drawnAsDiscs, counted.cellDiameterPx,
                  item.mask.string().c_str());
      if (cells.withoutPixels)
        std::fprintf(stderr, "note: %s: %d mark(s) on the same pixel as another got no cell of their own\n",
                     item.image.image.c_str(), cells.withoutPixels);
    } catch (const std::exception& e) {
      ++failures;
      std::fprintf(stderr, "error: %s\n", e.what());
    }
  }
  if (failures < int(planned.size()))
    std::fprintf(stderr,
                 "Each mask says in its file that it was outlined from a count by hand and not reviewed: the app "
                 "shows its slide as \"outlines to review\" until you look it over and mark it reviewed (R), and "
                 "train and evaluate name it until then.\n");
  return failures ? 1 : 0;
}

}  // namespace fluocount::cli
