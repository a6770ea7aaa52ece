#pragma once
// Plain settings shared by the engine, the model file, the CLI and the GUI. Defaults are docs/method.md's.
#include <cstdint>

namespace fluocount {

// How raw pixel values become floats in [0,1] (docs/method.md section 1). 8-bit images are divided by 255; 16-bit
// images get a robust percentile stretch per image, per these percentiles, so that training and inference agree.
struct NormalisationSettings {
  double lowPercentile = 0.1;
  double highPercentile = 99.9;
};

// Post-processing of docs/method.md section 6. Every size is given for cells of referenceDiameterPx across (the paper's
// ~50 px) and scales with the actual cell diameter: lengths linearly, areas quadratically.
struct PostprocessSettings {
  double referenceDiameterPx = 50.0;
  double holeAreaPx = 600.0;       // fill holes smaller than this
  double minObjectAreaPx = 200.0;  // remove objects smaller than this
  bool splitTouchingCells = true;  // marker-based watershed
  double maxFilterSizePx = 30.0;   // maximum filter on the distance transform
  double peakFootprintPx = 40.0;   // local maxima footprint
  double minMarkerAreaPx = 25.0;   // drop marker blobs smaller than this
  double compactness = 1.0;        // compact watershed (the reference code's 1)
  // The authors' post-processing exactly (robomorelli/cell_counting_yellow, evaluation_utils.py
  // mask_post_processing): 4-connected objects and holes, holes touching the border filled too, watershed markers
  // from the peaks over the whole mask (a neighbour's higher peak within the footprint suppresses a small cell's),
  // and a component left without a marker dropped. FluoCount's own (false) keeps every component: see
  // docs/method.md for each deviation and its measured effect.
  bool referenceStyle = false;

  // The same settings for cells of cellDiameterPx across.
  PostprocessSettings scaledTo(double cellDiameterPx) const;
};

// Evaluation (docs/method.md section 7): a prediction matches a target whose centre is closer than this.
struct MatchingSettings {
  double maxCentreDistancePx = 50.0;
};

}  // namespace fluocount
