#pragma once
// Everything a model file holds besides its weights: the architecture, how images are normalised, the cell size
// the network was trained at, the default threshold, the post-processing and where the model came from.
#include "core/architecture.h"
#include "core/settings.h"

#include <nlohmann/json.hpp>

#include <string>

namespace fluocount {

struct ModelInfo {
  Architecture architecture = Architecture::CResUnet;
  NormalisationSettings normalisation;
  double canonicalDiameterPx = 50.0;    // cells are resampled to this diameter before the network
  double defaultCellDiameterPx = 50.0;  // the cell diameter assumed in the user's images when they give none
  double threshold = 0.875;             // docs/method.md section 8 (Kneedle on validation F1)
  PostprocessSettings postprocess;      // at referenceDiameterPx; scaled to the user's cell diameter
  // Free-form provenance: training data, split, date, settings, metrics, threshold curve.
  nlohmann::json provenance = nlohmann::json::object();
};

nlohmann::json toJson(const ModelInfo& info);
// Throws std::runtime_error naming the offending field when the header is malformed.
ModelInfo modelInfoFromJson(const nlohmann::json& json);

}  // namespace fluocount
