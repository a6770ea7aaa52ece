#pragma once
// Results as files: the count table, the per-object table, label masks and overlays. Tables are CSV (RFC 4180
// quoting); images are PNG. Writing goes through writeFileAtomically.
#include "core/cell_channels.h"
#include "core/postprocess.h"
#include "core/regions.h"

#include <opencv2/core.hpp>

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace fluocount {

struct CountRow {
  std::string file;
  std::string status = "ok";  // "ok" or "error"
  int count = 0;
  int width = 0, height = 0;
  double threshold = 0;
  double cellDiameterPx = 0;
  // Where it came from (diameterSourceName: "given", "estimated", "not estimated", ...); empty: not recorded.
  std::string cellDiameterSource;
  double seconds = 0;
  std::string method;
  std::string error;                     // when status is "error"
  std::string model;                     // model file, or "classical"
  std::string modelSha256;               // of the model file's bytes (empty for the classical method)
  std::string run;                       // CellCounter::runFingerprint of the images counted together
  std::string options;                   // fluocount-cli count options that reproduce this row (the tables write
                                         // them as the whole command: "fluocount-cli count --model ...")
  double pixelSizeUm = 0;                // 0: unknown, the row is in pixels only
  std::string pixelSizeSource = "none";  // where the pixel size came from
  std::vector<int> markerCounts;         // per positivity column (CellCounter::markerColumns)
};

// How the tables of one run are laid out: the positivity columns and how many channel columns objects.csv has.
struct TableLayout {
  std::vector<std::string> markerColumns;
  int channels = 0;
  bool regions = false;  // counted per region: objects.csv names each cell's regions
  // The run the tables come from (CellCounter::runFingerprint): objects.csv's last column, as counts.csv's, so that
  // merge can tell shards' objects tables of another run. Empty: no such column.
  std::string run = {};
};

// A CSV field: quoted where it holds a separator, quote or line break; text that is not UTF-8 has its stray bytes
// written as \xNN (utf8WithEscapedBytes).
std::string csvField(const std::string& value);
// The tables' layout, raised whenever a table gains, loses or moves a column (2: cell_diameter_source, 2026-12-07).
// A run's fingerprint includes it, so that a stopped run's journal (whose regions rows are kept as written) or a
// shard's table from a FluoCount of another layout is never joined to this one's tables.
constexpr int kCountTablesLayout = 2;
// counts.csv. Areas and densities in µm² and cells/mm² where the row has a pixel size, else those fields are
// empty and pixel_size_source says "none".
std::string countsCsv(const std::vector<CountRow>& rows, const TableLayout& layout = {});
// objects.csv: per cell, its area in µm² where known, its positivity label and its mean in each channel (raw units),
// with layout.regions the regions that contain its centroid, as regions.csv names them ("LHr;PVHr"; "whole image"
// for an image without regions, empty for a cell outside every region or where the image's regions could not be
// read: `regions` nullopt), and last layout.run.
std::string objectsCsvHeader(const TableLayout& layout = {});
std::string objectsCsvRows(const std::string& file, const Detection& detection, double pixelSizeUm = 0,
                           const std::vector<PositivityRule>& rules = {}, const TableLayout& layout = {},
                           const std::optional<std::vector<Region>>& regions = std::nullopt);
// The same rows with each object's regions column given (regionsColumn), as a stopped run's journal keeps it.
std::string objectsCsvRows(const std::string& file, const std::vector<DetectedObject>& objects, double pixelSizeUm,
                           const std::vector<PositivityRule>& rules, const TableLayout& layout,
                           const std::vector<std::string>& regionsOfObjects);
// objects.csv's regions column for each object: the regions that contain its centroid, as countByRegion assigns
// it, named as regions.csv names them and joined by ';' (a name holding ';' or '"' in double quotes, its quotes doubled,
// so that the column splits as CSV with ';' as the separator; "whole image" where there are no regions; empty for a
// cell outside every region, and for every cell where the regions could not be read: nullopt).
std::vector<std::string> regionsColumn(const std::vector<DetectedObject>& objects,
                                       const std::optional<std::vector<Region>>& regions);
// regions.csv: one row per region of each counted image, with the count row's method and options columns. Areas in
// px² and µm², densities in cells per million px² and cells/mm² (the physical ones empty without a pixel size).
std::string regionsCsvHeader(const TableLayout& layout = {});
std::string regionsCsvRows(const CountRow& row, const std::vector<RegionCount>& regions);

// The stem an image's own output files take (labels/<stem>.png, overlays/, geojson/, roisets/): its file stem, or
// <stem>_2, _3, ... where an earlier image of the run took it (a.png and a.tif; two folders' slide1.png), so that
// no image's file replaces another's. `used` holds the stems taken so far.
std::string uniqueOutputStem(const std::string& imagePath, std::set<std::string>& used);

// Label image as 16-bit PNG bytes (0 = background); throws std::runtime_error above 65535 objects.
std::string labelsPng(const cv::Mat& labels);
// rgb (normalised CV_32FC3) with each object's outline and centre drawn, as PNG bytes; with a pixel size (µm, 0 for
// none), a scale bar in the bottom-right corner.
std::string overlayPng(const cv::Mat& rgb, const Detection& detection, double pixelSizeUm = 0);
cv::Mat overlayImage(const cv::Mat& rgb, const Detection& detection, double pixelSizeUm = 0);  // BGR 8-bit
// A scale bar's length: a round number of µm (1, 2, 5 x 10^k) near a fifth of the image's width.
double scaleBarMicrometres(int imageWidthPx, double pixelSizeUm);

}  // namespace fluocount
