#pragma once
// ImageJ ROIs: the .roi format of ImageJ's RoiEncoder/RoiDecoder (a 64-byte big-endian header, coordinates, a
// second 64-byte header with the name and properties) and ROI sets, the RoiSet.zip that Fiji's ROI Manager opens and
// saves. Regions go out as polygons (a region with holes or several parts as a composite shape), their class as the
// ROI property "class" (Roi.setProperty), and come back as regions; cells go out as traced outlines named cell-<n> with their measurements as ROI properties, plus one
// multi-point ROI of all cell centres.
#include "core/regions.h"

#include <string>
#include <vector>

namespace fluocount {

std::string regionsRoiSet(const std::vector<Region>& regions);  // RoiSet.zip bytes
// The cells' properties: area and centroid in px, in µm where the pixel size is known (area_um2, centroid_x_um,
// centroid_y_um), mean probability and intensity, each channel's mean (mean_ch1, ...) and the positivity call
// ("call: ch2+ch3-") where there are rules. ASCII names: ImageJ stores properties as UTF-16 text.
std::string detectionsRoiSet(const Detection& detection, const CellExportContext& context = {});  // RoiSet.zip bytes

// Regions from a RoiSet.zip or a single .roi (polygon, freehand, traced, rectangle, oval and composite ROIs, one
// region each; a name used twice gets a number). Lines, angles and points are not regions: in a set they are left
// out and, where `leftOut` is given, counted there (LeftOutOfRegions); a set of nothing else, or a single .roi of
// one, is refused. Every ring is checked as GeoJSON's are; a RegionError names nameForErrors and the ROI.
std::vector<Region> parseRoiRegions(const std::string& bytes, cv::Size imageSize, const std::string& nameForErrors,
                                    LeftOutOfRegions* leftOut = nullptr);
std::vector<Region> loadRoiRegions(const std::string& path, cv::Size imageSize, LeftOutOfRegions* leftOut = nullptr);

// The points of every point ROI (Fiji's multi-point tool) of a RoiSet.zip or a single .roi, in pixel coordinates with
// (0, 0) the centre of the top-left pixel, in the order the file holds them; ROIs of other kinds are counted in
// otherRois. A file without a point ROI is a RegionError naming nameForErrors.
std::vector<cv::Point2d> parseRoiPoints(const std::string& bytes, const std::string& nameForErrors,
                                        int* otherRois = nullptr);
// A multi-point ROI of `points` (ImageJ's coordinates: a pixel's centre at +0.5), as detectionsRoiSet writes the
// cell centres.
std::string encodePointRoi(const std::string& name, const std::vector<cv::Point2d>& points);

// One ROI's bytes (exposed for tests): a polygon (type 0), traced outline (8) or, for several rings, a composite.
std::string encodeRoi(const std::string& name, const std::vector<Ring>& rings, int type = 0,
                      const std::string& properties = {});

}  // namespace fluocount
