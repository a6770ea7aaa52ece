#include "core/model_info.h"

#include <cmath>
#include <stdexcept>

namespace fluocount {

PostprocessSettings PostprocessSettings::scaledTo(double cellDiameterPx) const {
  const double s = cellDiameterPx / referenceDiameterPx;
  PostprocessSettings scaled = *this;
  scaled.referenceDiameterPx = cellDiameterPx;
  scaled.holeAreaPx = holeAreaPx * s * s;
  scaled.minObjectAreaPx = minObjectAreaPx * s * s;
  scaled.maxFilterSizePx = maxFilterSizePx * s;
  scaled.peakFootprintPx = peakFootprintPx * s;
  scaled.minMarkerAreaPx = minMarkerAreaPx * s * s;
  return scaled;
}

namespace {

double positiveNumber(const nlohmann::json& object, const char* key) {
  if (!object.contains(key) || !object.at(key).is_number())
    throw std::runtime_error(std::string("model header: missing or non-numeric '") + key + "'");
  const double value = object.at(key).get<double>();
  if (!std::isfinite(value) || value < 0)
    throw std::runtime_error(std::string("model header: '") + key + "' must be a finite non-negative number");
  return value;
}

const nlohmann::json& section(const nlohmann::json& json, const char* key) {
  if (!json.contains(key) || !json.at(key).is_object())
    throw std::runtime_error(std::string("model header: missing section '") + key + "'");
  return json.at(key);
}

}  // namespace

nlohmann::json toJson(const ModelInfo& info) {
  const auto& p = info.postprocess;
  return {
      {"architecture", architectureName(info.architecture)},
      {"normalisation",
       {{"low_percentile", info.normalisation.lowPercentile}, {"high_percentile", info.normalisation.highPercentile}}},
      {"canonical_diameter_px", info.canonicalDiameterPx},
      {"default_cell_diameter_px", info.defaultCellDiameterPx},
      {"threshold", info.threshold},
      {"postprocess",
       {{"reference_diameter_px", p.referenceDiameterPx},
        {"hole_area_px", p.holeAreaPx},
        {"min_object_area_px", p.minObjectAreaPx},
        {"split_touching_cells", p.splitTouchingCells},
        {"max_filter_size_px", p.maxFilterSizePx},
        {"peak_footprint_px", p.peakFootprintPx},
        {"min_marker_area_px", p.minMarkerAreaPx},
        {"compactness", p.compactness}}},
      {"provenance", info.provenance},
  };
}

ModelInfo modelInfoFromJson(const nlohmann::json& json) {
  if (!json.is_object()) throw std::runtime_error("model header: not a JSON object");
  ModelInfo info;
  if (!json.contains("architecture") || !json.at("architecture").is_string())
    throw std::runtime_error("model header: missing 'architecture'");
  const auto name = json.at("architecture").get<std::string>();
  const auto architecture = architectureFromName(name);
  if (!architecture) throw std::runtime_error("model header: unknown architecture '" + name + "'");
  info.architecture = *architecture;

  const auto& norm = section(json, "normalisation");
  info.normalisation.lowPercentile = positiveNumber(norm, "low_percentile");
  info.normalisation.highPercentile = positiveNumber(norm, "high_percentile");
  if (info.normalisation.highPercentile > 100 || info.normalisation.lowPercentile >= info.normalisation.highPercentile)
    throw std::runtime_error("model header: normalisation percentiles must satisfy 0 <= low < high <= 100");

  info.canonicalDiameterPx = positiveNumber(json, "canonical_diameter_px");
  if (info.canonicalDiameterPx < 2) throw std::runtime_error("model header: canonical_diameter_px below 2 px");
  // Absent in files written before the two diameters were told apart, when they were always equal.
  info.defaultCellDiameterPx = json.contains("default_cell_diameter_px")
                                   ? positiveNumber(json, "default_cell_diameter_px")
                                   : info.canonicalDiameterPx;
  if (info.defaultCellDiameterPx < 2) throw std::runtime_error("model header: default_cell_diameter_px below 2 px");
  info.threshold = positiveNumber(json, "threshold");
  if (info.threshold > 1) throw std::runtime_error("model header: threshold above 1");

  const auto& pp = section(json, "postprocess");
  auto& p = info.postprocess;
  p.referenceDiameterPx = positiveNumber(pp, "reference_diameter_px");
  if (p.referenceDiameterPx <= 0) throw std::runtime_error("model header: reference_diameter_px must be positive");
  p.holeAreaPx = positiveNumber(pp, "hole_area_px");
  p.minObjectAreaPx = positiveNumber(pp, "min_object_area_px");
  p.maxFilterSizePx = positiveNumber(pp, "max_filter_size_px");
  p.peakFootprintPx = positiveNumber(pp, "peak_footprint_px");
  p.minMarkerAreaPx = positiveNumber(pp, "min_marker_area_px");
  p.compactness = positiveNumber(pp, "compactness");
  if (!pp.contains("split_touching_cells") || !pp.at("split_touching_cells").is_boolean())
    throw std::runtime_error("model header: missing 'split_touching_cells'");
  p.splitTouchingCells = pp.at("split_touching_cells").get<bool>();

  if (json.contains("provenance")) info.provenance = json.at("provenance");
  return info;
}

}  // namespace fluocount
