// fuzz_seeds <out folder>: the seed corpora of the fuzz targets, from real files. Images: small crops of real
// slides from ../shared/data (8-bit RGB, 16-bit gray, each as PNG, TIFF and JPEG where the format allows) with the
// target's one-byte format prefix; masks: crops of real masks; a real model file and training checkpoint (a
// small-unet after one training step on a real crop); a project state as the app writes it; the bundled model's
// heatmap of a real crop as the app caches it; regions as QuPath writes them; count --out's journal entry of a real
// slide. The slides are named, so that data added later changes no seed.
#include "core/checkpoint.h"
#include "core/count_journal.h"
#include "core/counter.h"
#include "core/heatmap_file.h"
#include "core/image_io.h"
#include "core/imagej_roi.h"
#include "core/model_file.h"
#include "core/numeric_locale.h"
#include "core/true_cells.h"
#include "core/training_step.h"
#include "tests/test_support.h"
#include "ui/model/project_state.h"

#include <opencv2/imgcodecs.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

using namespace fluocount;
namespace fs = std::filesystem;

namespace {

std::string readFile(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write(const fs::path& file, const std::string& bytes) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
}

std::string encoded(const char* extension, const cv::Mat& image) {
  std::vector<uchar> bytes;
  if (!cv::imencode(extension, image, bytes)) throw std::runtime_error(std::string("cannot encode ") + extension);
  return std::string(bytes.begin(), bytes.end());
}

const char* kYellowSlide = "fnc-yellow/images/Mar19bS1C4R2_LHr_200x.png";
const char* kYellowMask = "fnc-yellow/masks/Mar19bS1C4R2_LHr_200x.png";
const char* kRedSlide = "fnc-red/images/MAR32C2R3_PVHr_200x_r.png";
const char* kNucleiSlide = "bbbc039/images/IXMtest_A02_s1_w1051DAA7C-7042-435F-99F0-1E847D9B42CB.png";

void imageSeeds(const fs::path& data, const fs::path& out) {
  const cv::Mat rgb = loadImage((data / kYellowSlide).string()).pixels(cv::Rect(500, 400, 64, 48)).clone();
  const cv::Mat gray16 = loadImage((data / kNucleiSlide).string()).pixels(cv::Rect(100, 100, 48, 40)).clone();
  const cv::Mat red = loadImage((data / kRedSlide).string()).pixels(cv::Rect(300, 300, 40, 40)).clone();
  const char* extensions[] = {".png", ".tiff", ".jpg"};
  int n = 0;
  for (int format = 0; format < 3; ++format)
    for (const cv::Mat& image : {rgb, gray16, red}) {
      if (format == 2 && image.depth() != CV_8U) continue;  // JPEG is 8-bit
      write(out / "image_loader" / ("seed" + std::to_string(n++)),
            std::string(1, char(format)) + encoded(extensions[format], image));
    }
  // Multi-channel TIFFs, read by FluoCount's own reader: an ImageJ hyperstack and one of 2 z-slices (counted as their
  // maximum projection), an OME-TIFF of 2 z-planes and 2 channels, and a 16-bit colour image in separate tiled planes.
  std::vector<cv::Mat> planes;
  cv::split(red, planes);
  const fs::path scratch = out / "tiff-scratch.tif";
  auto tiffSeed = [&](const std::string& name, const std::vector<cv::Mat>& pages,
                      const test::TiffPageOptions& options) {
    test::writeTiff(scratch.string(), pages, options);
    std::ifstream in(scratch, std::ios::binary);
    write(out / "image_loader" / name, std::string(1, char(1)) + std::string(std::istreambuf_iterator<char>(in), {}));
    fs::remove(scratch);
  };
  tiffSeed("imagej-hyperstack", {planes[2], planes[1]},
           {"ImageJ=1.54f\nimages=2\nchannels=2\nunit=micron\n", 1 / 0.65, 1});
  tiffSeed("imagej-z-stack", {planes[2], planes[1], planes[0], planes[2]},
           {"ImageJ=1.54f\nimages=4\nchannels=2\nslices=2\nhyperstack=true\n"});
  tiffSeed("ome-tiff", {planes[2], planes[1], planes[0], planes[1]},
           {"<OME><Image><Pixels DimensionOrder=\"XYZCT\" SizeZ=\"2\" SizeC=\"2\" SizeT=\"1\" PhysicalSizeX=\"0.5\">"
            "<Channel Name=\"cFOS\"/><Channel Name=\"PV\"/></Pixels></Image></OME>"});
  cv::Mat sixteen;
  red.convertTo(sixteen, CV_16U, 257.0);
  tiffSeed("separate-planes-16bit", {sixteen}, {"", 2000, 3, true, 16});
  const cv::Mat mask = loadMask((data / kYellowMask).string())(cv::Rect(500, 400, 64, 64)).clone();
  write(out / "mask_loader/png", std::string(1, char(4)) + encoded(".png", mask));
  write(out / "mask_loader/tiff", std::string(1, char(5)) + encoded(".tiff", mask));
  write(out / "mask_loader/png-any-size",
        std::string(1, char(0)) + encoded(".png", mask(cv::Rect(0, 0, 40, 30)).clone()));
}

void modelSeeds(const fs::path& data, const fs::path& out) {
  torch::manual_seed(1);
  auto network = makeNetwork(Architecture::SmallUnet);
  auto best = makeNetwork(Architecture::SmallUnet);
  torch::optim::Adam optimizer(network->parameters(), torch::optim::AdamOptions(1e-3));
  // One real step, so that the checkpoint holds Adam's moments as a real one does.
  const cv::Mat rgb =
      normaliseToRgb(loadImage((data / kYellowSlide).string()).pixels, {})(cv::Rect(500, 400, 32, 32)).clone();
  const auto images =
      torch::from_blob(const_cast<float*>(rgb.ptr<float>()), {1, 32, 32, 3}).permute({0, 3, 1, 2}).contiguous();
  const auto masks = torch::zeros({1, 1, 32, 32});
  trainStep(*network, optimizer, images, masks, torch::ones({1, 1, 32, 32}), {});
  ModelInfo info;
  info.architecture = Architecture::SmallUnet;
  info.provenance = {{"trained_by", "fuzz_seeds"}, {"validation_metrics", {{"f1", 0.5}}}};
  write(out / "model_file/small-unet.fcmodel", serialiseModel(*network, info));
  const fs::path checkpoint = out / "checkpoint/small-unet.checkpoint";
  fs::create_directories(checkpoint.parent_path());
  saveCheckpoint(checkpoint.string(), {network.get(), &optimizer, best.get(), {{"epoch", 1}, {"step", 0}}});
}

void heatmapSeeds(const fs::path& data, const fs::path& out) {
  RawImage crop = loadImage((data / kYellowSlide).string());
  crop.pixels = crop.pixels(cv::Rect(480, 380, 96, 80)).clone();
  CountSettings settings;
  settings.cellDiameterPx = 50;
  const CellCounter counter =
      CellCounter::withModel(loadModel(FLUOCOUNT_SOURCE_MODELS_DIR "/default.fcmodel"), settings);
  write(out / "heatmap_file/slide.png.fchm", serialiseHeatmap(counter.countRaw(crop).heatmap));
  // A crop of the red slide where cells crowd, its cells as a RoiSet: traced outlines and a point ROI.
  RawImage cells = loadImage((data / kRedSlide).string());
  cells.pixels = cells.pixels(cv::Rect(350, 500, 200, 150)).clone();
  settings.cellDiameterPx = 33;
  write(out / "imagej_roi/cells.zip",
        detectionsRoiSet(CellCounter::withModel(loadModel(FLUOCOUNT_SOURCE_MODELS_DIR "/default.fcmodel"), settings)
                             .countRaw(cells)
                             .detection));
}

// Regions as QuPath exports annotations: a named polygon with a hole and a two-part MultiPolygon.
void regionSeeds(const fs::path& out) {
  write(out / "regions/regions.geojson", R"({"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"objectType":"annotation","classification":{"name":"PVHr"}},"geometry":{"type":"Polygon",
  "coordinates":[[[100,100],[600,120],[580,700],[90,650],[100,100]],[[200,200],[300,200],[300,300],[200,300],[200,200]]]}},
 {"type":"Feature","properties":{"name":"LHr"},"geometry":{"type":"MultiPolygon","coordinates":[
  [[[800,100],[900,100],[900,200],[800,200],[800,100]]],[[[1000,100],[1100,100],[1050,180],[1000,100]]]]}}]}
)");
  // A shape QuPath writes as a GeometryCollection: an area with a line left over from a subtraction.
  write(out / "regions/collection.geojson", R"({"type":"Feature","properties":{"name":"CA1"},"geometry":{
 "type":"GeometryCollection","geometries":[{"type":"LineString","coordinates":[[5,5],[90,9]]},
 {"type":"Polygon","coordinates":[[[100,100],[200,100],[200,150],[100,100]]]}]}})");
  // The same regions as Fiji's ROI Manager saves them (a composite with a hole, a two-part composite), a single
  // subpixel polygon .roi and a real slide's cells as a RoiSet.
  const std::vector<Region> regions = parseRegions(readFile(out / "regions/regions.geojson"), {1600, 1200}, "seed");
  write(out / "imagej_roi/RoiSet.zip", regionsRoiSet(regions));
  write(out / "imagej_roi/polygon.roi", encodeRoi("LHr", {{{10.5, 10.25}, {300.75, 20}, {150, 280.5}}}));
  // Shapes Fiji draws from fewer stored points: a polygon smoothed with Fit Spline (options bit 1), a rectangle with
  // corners of 40 px diameter (bytes 54-55).
  std::string spline = encodeRoi("LHr spline", {{{100, 100}, {300, 120.5}, {280, 300}, {120, 280}}});
  spline[51] = char(spline[51] | 1);
  write(out / "imagej_roi/spline.roi", spline);
  std::string rounded = encodeRoi("PVHr", {{{100, 100}, {300, 100}, {300, 200}, {100, 200}}}, /*rectangle*/ 1);
  rounded[55] = 40;
  write(out / "imagej_roi/rounded.roi", rounded);
}

// Counts by hand of a real slide, the cells of its mask marked at their centres as each tool saves them: Fiji's
// multi-point ROI, Fiji's Cell Counter XML (two counter types) and QuPath's MultiPoint annotation.
void handCountSeeds(const fs::path& data, const fs::path& out) {
  const TrueCells truth = trueCells((data / "fnc-red/masks/MAR32C2R3_PVHr_200x_r.png").string(), "");
  std::vector<cv::Point2d> centres;
  for (const DetectedObject& cell : measureLabels(truth.labels).objects) centres.push_back(cell.centroid);
  std::string xml =
      "<?xml version=\"1.0\"?>\n<CellCounter_Marker_File><Image_Properties><Image_Filename>"
      "MAR32C2R3_PVHr_200x_r.png</Image_Filename></Image_Properties><Marker_Data>";
  std::string points;
  for (int type = 1; type <= 2; ++type) {
    xml += "<Marker_Type><Type>" + std::to_string(type) + "</Type>";
    for (std::size_t i = type - 1; i < centres.size(); i += 2)
      xml += "<Marker><MarkerX>" + std::to_string(int(centres[i].x)) + "</MarkerX><MarkerY>" +
             std::to_string(int(centres[i].y)) + "</MarkerY><MarkerZ>1</MarkerZ></Marker>";
    xml += "</Marker_Type>";
  }
  for (const cv::Point2d& c : centres)
    points += (points.empty() ? "[" : ",[") + fixedDecimal(c.x + 0.5, 2) + "," + fixedDecimal(c.y + 0.5, 2) + "]";
  write(out / "hand_counts/CellCounter_MAR32C2R3.xml", xml + "</Marker_Data></CellCounter_Marker_File>\n");
  write(
      out / "hand_counts/points.geojson",
      R"({"type":"Feature","properties":{"objectType":"annotation"},"geometry":{"type":"MultiPoint","coordinates":[)" +
          points + "]}}");
  for (cv::Point2d& c : centres) c += cv::Point2d(0.5, 0.5);
  write(out / "hand_counts/count.roi", encodePointRoi("count", centres));
}

// The journal entry count --out keeps of a real slide (classical method: its cells, a regions field each).
void countJournalSeeds(const fs::path& data, const fs::path& out) {
  CountSettings settings;
  settings.cellDiameterPx = 50;
  const CellCounter counter = CellCounter::classical(settings);
  const std::string slide = (data / kYellowSlide).string();
  const ImageCount count = counter.count(slide);
  JournalEntry entry;
  entry.run = "0123456789abcdef";
  entry.imageStamp = imageStamp(slide);
  entry.row = counter.rowFor(slide);
  counter.recordResult(entry.row, count.detection, count.size, count.threshold, count.cellDiameterPx, count.seconds,
                       count.facts);
  entry.objects = count.detection.objects;
  entry.channels = int(count.facts.channels.size());
  entry.regionsSource = "regions\nregions/slide.geojson 123 bytes, modified 456";
  entry.objectRegions = regionsColumn(entry.objects, std::vector<Region>{});
  entry.outputs = {"labels/slide.png", "geojson/slide.geojson"};
  write(out / "count_journal/slide.json", journalEntryJson(entry));
}

void projectStateSeeds(const fs::path& out) {
  ui::ProjectState state;
  state.settings.threshold = 0.8;
  state.settings.minObjectAreaPx = 40;
  state.previousModel = "default";
  ui::SavedSlide counted;
  counted.counted = true;
  counted.stamp = "123@456";
  counted.count = 12;
  counted.sweep.hasTruth = true;
  for (double t : defaultSweepThresholds()) counted.sweep.points.push_back({t, 12, {10, 2, 3}, 0.8, 0.7, 0.75});
  state.slides["a.png"] = counted;
  state.slides["b slide ü.tif"].reviewed = true;
  const QByteArray bytes = ui::serialiseProjectState(state);
  write(out / "project_state/project.json", bytes.toStdString());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seeds OUT_FOLDER\n");
    return 2;
  }
  const fs::path data = fs::path(FLUOCOUNT_SHARED_DIR) / "data";
  if (!fs::is_directory(data)) {
    std::fprintf(stderr, "fuzz_seeds: real data not found at %s (the project's shared/ folder beside the checkout)\n",
                 data.c_str());
    return 1;
  }
  try {
    imageSeeds(data, argv[1]);
    modelSeeds(data, argv[1]);
    projectStateSeeds(argv[1]);
    heatmapSeeds(data, argv[1]);
    regionSeeds(argv[1]);
    countJournalSeeds(data, argv[1]);
    handCountSeeds(data, argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
