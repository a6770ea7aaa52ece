#pragma once
// Automatic cell diameter (`--diameter auto`, the app's Measure Diameter): the one knob a biologist should not have
// to guess. The counter is run at a few probe diameters; at each, the detected objects say how large the cells
// are; the largest probe whose cells fit it is trusted, and what its objects measure is the estimate.
//
// Why not the median of the detections' sizes at one guess: faint, small detections (dim cells, debris) are many
// and pull a plain median far down (an earlier attempt gave 18-25 px on FNC cells of 33-57 px). Here every object
// weighs its area times its mean probability, so the estimate is "the diameter of the cell a confidently detected
// pixel belongs to", which few small, faint objects cannot move.
//
// Why no second pass at the estimate: the network's objects are somewhat smaller than the annotated cells on the
// FNC and DeepFLaSH slides (8-17 % at the trusted probe), so a pass at that smaller diameter shows the cells larger
// to the network, which cuts them smaller again: on the real slides of every dataset such a refinement moved RT353
// (57 px cells) from 48 to 36 px and Mar23bS1C2R3 (52 px) from 43 to 25 px, and lowered F1 with `auto` there (0.716
// -> 0.676, 0.533 -> 0.333); on the nuclei it moved the estimates a little either way and F1 by under 0.001
// (model card, "Automatic cell diameter").
#include "core/postprocess.h"

#include <opencv2/core.hpp>

#include <functional>
#include <string>
#include <vector>

namespace fluocount {

struct DiameterSearchSettings {
  // Probe diameters, px. Factor-2 steps: a network trained with scale augmentation (x0.67 to x1.5) segments
  // faithfully at least one of them for any cell size between about 10 and 120 px.
  std::vector<double> probesPx = {15, 30, 60};
  double minimumPx = 6, maximumPx = 300;  // the estimate is clamped to this range
  int minimumObjects = 3;                 // a probe with fewer confident objects says nothing
  // An estimate that rests on the smallest probe with fewer objects than this also needs the next larger probe to
  // have found enough to measure (minimumObjects). The smallest probe shows the slide enlarged (1.67 times at
  // 15 px), where fragments of stained processes look like small cells: on real cell-free fields of FNC slides 4-7
  // of them gave estimates of 9-12 px that counted 3-12 "cells", and the 30 px probe found 1-2 there. A few real
  // cells show at both: DSB2018 images of 3-8 nuclei give 3-5 objects at 30 px (2 of its 433 images excepted: 1 and
  // 2 objects at 30 px against 6 and 5 at 15, estimated 90-130 % too large, which now go without an estimate).
  // Model card, "Fields without cells". 0: no such check.
  int corroborateBelowObjects = 10;
  // A probe whose cells fit is trusted only if the next smaller probe finds at most this many times its objects.
  // Halving the assumed diameter shows a real cell to the network at twice the size, which the post-processing
  // cuts into at most a few pieces (measured: 1.2 to 2.7 times as many objects on FNC slides of 33 to 77 px
  // cells). Far more mean that the larger probe saw only a few clumps or artefacts large enough to survive it,
  // not the cells: a DSB2018 slide of 289 nuclei of 13 px gives 5 objects of 60 px at 60 and 251 at 15.
  double maximumObjectGrowth = 4;
  // The growth check needs a ratio of object counts, not every object. The smaller probe is the search's costliest
  // pass (it shows the image to the network at twice the scale), so where the central quarter of the image (half
  // its width and height) holds at least this many of the larger probe's objects, both probes count only the
  // objects centred there, and the smaller probe runs on that quarter and a margin of the larger probe's diameter;
  // otherwise on the whole image. 0: always on the whole image.
  int windowedGrowthCheckObjects = 10;
  double roundToPx = 1;  // estimates are rounded, so that the count is reproducible from the table
};

struct DiameterProbe {
  double diameterPx = 0;  // the diameter the counter assumed
  double estimatePx = 0;  // what its detections measure (0: too few objects)
  int objects = 0;
  double weight = 0;  // sum of the objects' weights (area x mean probability)
  cv::Rect window;    // where its objects were counted (empty: the whole image); only growth checks count in one
};

// The counting pipeline at an assumed cell diameter (px, in the image's own pixels), on the whole image or, where
// `window` is not empty, on that part of it (the detection then in the window's coordinates).
using DetectAtDiameter = std::function<Detection(double diameterPx, const cv::Rect& window)>;

struct DiameterEstimate {
  double diameterPx = 0;              // 0 when nothing was detected at any probe
  double weight = 0;                  // the trusted probe's: the image's vote in a folder's diameter
  std::vector<DiameterProbe> probes;  // in the order they were run
  bool found() const { return diameterPx > 0; }
};

// The weighted median of the objects' equivalent-circle diameters sqrt(4 area / pi), each object weighing its area
// times its mean probability (1 where no probability was measured). 0 for no objects.
// Only the objects that touch no other (no other label within one pixel: not two sides of a watershed line) are
// measured, where there are at least minimumIsolated of them; otherwise, or without labels, every object. Where the
// split cuts a cell or two cells meet, the line falls where the distance transform puts it, so those objects measure
// what the split made of them rather than a cell. Measured on the model card's real slides: the large FNC cells and
// parvalbumin cells, which were estimated low, move up towards their annotations (RT353: 40 -> 42 px of 57); nuclei
// estimates, already a little high, mostly rise by 1 px; F1 with --diameter auto changes only on RT353 (+0.019).
double typicalObjectDiameter(const Detection& detection, int minimumIsolated = 3);

// A probe: what the objects detected when the counter assumed `diameterPx` say about the cell size.
DiameterProbe measureProbe(const Detection& detection, double diameterPx, const DiameterSearchSettings& settings);

// The central quarter of an image: half its width and height, centred.
cv::Rect centralQuarter(const cv::Size& image);

// Runs `detectAt` at the probes from the largest down and takes the first whose cells fit it (measure at least
// 1/sqrt 2 of it) and whose objects the next smaller probe does not multiply (maximumObjectGrowth, checked on a
// window where windowedGrowthCheckObjects allows). The estimate is what that probe's objects measure, rounded; where
// no probe fits, the smallest probe's that found objects.
DiameterEstimate estimateCellDiameter(const DetectAtDiameter& detectAt, const DiameterSearchSettings& settings = {});

// Whether the counts of a folder counted at an assumed cell diameter suggest cells of another size: more than half
// of the images without a single cell (a network misses cells far smaller or larger than it assumes, often with no
// other sign). The app's note after a count at the default diameter and the CLI's both ask this.
bool mostImagesWithoutCells(const std::vector<int>& counts);

// A folder's diameter from its slides' estimates: the median of the images' estimates, weighted by each image's
// confident weight (images without cells do not vote). 0 when no image has an estimate.
double folderDiameter(const std::vector<DiameterEstimate>& images);

}  // namespace fluocount
