#pragma once
// A count by hand: the cells a person marked, one point each, in the files the tools they count with save: Fiji's
// multi-point tool (a .roi, or a RoiSet.zip from the ROI Manager), Fiji's Cell Counter plugin (the markers file it
// saves as XML) and QuPath's Points tool (Point or MultiPoint features of a GeoJSON export). FluoCount scores its
// count against such marks as against drawn masks (docs/method.md section 7): a detection and a mark match when
// the detection's centre lies within one cell diameter of the mark.
#include "core/regions.h"

#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace fluocount {

struct HandCount {
  std::vector<cv::Point2d> marks;  // pixel coordinates, (0, 0) the centre of the top-left pixel (as Detection's)
  int otherObjects = 0;            // what the file holds besides marks (regions, lines, outlines): left out
  std::string imageNamed;          // the image file the Cell Counter file says it counts, where it says one
};

// The marks of a file's bytes, by what the bytes are (an ImageJ ROI or ROI set, Cell Counter XML, GeoJSON). A mark
// outside the image (the count of another image, or of the same image at another size) and a file that is none of
// these, or holds only objects that are not marks, are a RegionError naming nameForErrors. A Cell Counter file or a
// GeoJSON of no marks at all is a count of 0.
HandCount parseHandCount(const std::string& bytes, cv::Size imageSize, const std::string& nameForErrors);
// The count by hand of the image at imagePath: as parseHandCount, and a Cell Counter file that names another image
// (a markers file copied for the wrong slide) is a RegionError too, rather than a score against another slide's cells.
HandCount loadHandCount(const std::string& path, cv::Size imageSize, const std::string& imagePath);

// The marks as true cells for evaluate and sweep: each a box of one pixel (or two, for a mark between pixels) whose
// centre is the mark to the nearest half pixel, as matching goes by the centres of objects' bounding boxes.
Detection marksAsCells(const std::vector<cv::Point2d>& marks);

}  // namespace fluocount
