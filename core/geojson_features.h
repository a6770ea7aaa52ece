#pragma once
// The features of a GeoJSON document, as QuPath and other tools write them: a FeatureCollection, a bare array of
// features (QuPath writes one too) or a single Feature. For the readers of regions and of counts by hand.
#include "core/regions.h"

#include <nlohmann/json.hpp>

#include <string>

namespace fluocount {

// The features as a JSON array; a RegionError naming `where` when the text is not JSON or not such a document.
nlohmann::json geoJsonFeatures(const std::string& text, const std::string& where);

}  // namespace fluocount
