#include "ui/model/project_state.h"

#include "core/counter.h"
#include "core/image_metadata.h"
#include "core/inference.h"
#include "core/metrics.h"

#include <QJsonDocument>

#include <algorithm>
#include <cmath>

namespace fluocount::ui {

namespace {

constexpr const char* kStateFormat = "fluocount-project";

QJsonObject settingsToJson(const ProjectSettings& s) {
  QJsonObject json{{"model", s.modelPath},
                   {"classical", s.classical},
                   {"automatic_cell_diameter", s.automaticDiameter},
                   {"cell_diameter_px", s.cellDiameterPx}};
  if (s.threshold) json["threshold"] = *s.threshold;
  if (s.minObjectAreaPx) json["min_object_area_px"] = *s.minObjectAreaPx;
  if (s.splitTouchingCells) json["split_touching_cells"] = *s.splitTouchingCells;
  if (s.pixelSizeUm) json["pixel_size_um"] = *s.pixelSizeUm;
  if (s.cellDiameterUm) json["cell_diameter_um"] = *s.cellDiameterUm;
  if (s.precision != NetworkPrecision::Float32)
    json["network_precision"] = QString::fromStdString(precisionName(s.precision));
  if (!s.channels.empty()) {
    QJsonArray channels;
    for (const int c : s.channels) channels.append(c);
    json["channels"] = channels;
  }
  if (!s.positivity.empty()) {
    QJsonArray rules;
    for (const PositivityRule& rule : s.positivity) rules.append(QJsonArray{rule.channel, rule.threshold});
    json["positivity"] = rules;
  }
  return json;
}

ProjectSettings settingsFromJson(const QJsonObject& json) {
  ProjectSettings s;
  s.modelPath = json["model"].toString();
  s.classical = json["classical"].toBool();
  s.automaticDiameter = json["automatic_cell_diameter"].toBool(false);
  s.cellDiameterPx = std::max(0.0, json["cell_diameter_px"].toDouble());
  if (json.contains("threshold")) s.threshold = std::clamp(json["threshold"].toDouble(), 0.0, 1.0);
  if (json.contains("min_object_area_px")) s.minObjectAreaPx = std::max(0.0, json["min_object_area_px"].toDouble());
  if (json.contains("split_touching_cells")) s.splitTouchingCells = json["split_touching_cells"].toBool();
  // A pixel size or channel choice that is not one a user could have set is left out (the slides then count with
  // what their files declare), never taken as it stands.
  if (json.contains("pixel_size_um")) {
    const double um = json["pixel_size_um"].toDouble(-1);
    if (um >= kMinPixelSizeUm && um <= kMaxPixelSizeUm) s.pixelSizeUm = um;
  }
  if (json.contains("cell_diameter_um")) {
    const double um = json["cell_diameter_um"].toDouble(-1);
    if (um > 0 && um <= 10000) s.cellDiameterUm = um;
  }
  // Anything but "bfloat16" or "int8" is float32, the exact arithmetic.
  for (const NetworkPrecision faster : {NetworkPrecision::BFloat16, NetworkPrecision::Int8})
    if (json["network_precision"].toString() == QString::fromStdString(precisionName(faster))) s.precision = faster;
  if (json.contains("channels")) {
    std::vector<int> channels;
    for (const QJsonValue& value : json["channels"].toArray()) channels.push_back(value.toInt(0));
    const bool valid = (channels.size() == 1 || channels.size() == 3) &&
                       std::all_of(channels.begin(), channels.end(), [](int c) { return c >= 1 && c <= 16; });
    if (valid) s.channels = channels;
  }
  if (json.contains("positivity")) {
    std::vector<PositivityRule> rules;
    for (const QJsonValue& value : json["positivity"].toArray()) {
      const QJsonArray rule = value.toArray();
      const int channel = rule.size() == 2 ? rule[0].toInt(0) : 0;
      const double threshold = rule.size() == 2 ? rule[1].toDouble(-1) : -1;
      // Raw values: at most 65535 in an integer image, a float image's own (finite) otherwise.
      if (channel < 1 || channel > 16 || !(threshold >= 0) || threshold > 1e12) {
        rules.clear();  // one malformed rule: none, rather than a different set of markers
        break;
      }
      rules.push_back({channel, threshold});
    }
    if (rules.size() <= kMaxPositivityRules) s.positivity = rules;
  }
  return s;
}

QJsonArray sweepToJson(const SweepResult& sweep) {
  QJsonArray points;
  for (const SweepPoint& p : sweep.points)
    points.append(QJsonArray{p.threshold, p.totalCount, p.counts.truePositives, p.counts.falsePositives,
                             p.counts.falseNegatives});
  return points;
}

SweepResult sweepFromJson(const QJsonArray& points, bool hasTruth) {
  SweepResult sweep;
  sweep.hasTruth = hasTruth;
  for (const QJsonValue& value : points) {
    const QJsonArray p = value.toArray();
    if (p.size() != 5) throw std::runtime_error("a threshold-sweep point does not have 5 numbers");
    SweepPoint point;
    point.threshold = p[0].toDouble();
    point.totalCount = p[1].toInt();
    point.counts = {p[2].toInt(), p[3].toInt(), p[4].toInt()};
    point.precision = precisionOf(point.counts);
    point.recall = recallOf(point.counts);
    point.f1 = f1Of(point.counts);
    sweep.points.push_back(point);
  }
  chooseThresholds(sweep);
  return sweep;
}

QJsonObject slideToJson(const SavedSlide& slide) {
  QJsonObject entry{{"reviewed", slide.reviewed}, {"edited", slide.edited}};
  if (slide.maskOutlinedFromMarks) entry["mask_outlined_from_marks"] = true;
  if (slide.previousCount >= 0) entry["previous_count"] = slide.previousCount;
  if (slide.counted) {
    entry["status"] = "counted";
    entry["stamp"] = slide.stamp;
    if (!slide.modelSha256.isEmpty()) entry["model_sha256"] = slide.modelSha256;
    if (!slide.truthStamp.isEmpty()) entry["truth_stamp"] = slide.truthStamp;
    entry["width"] = slide.width;
    entry["height"] = slide.height;
    if (slide.heatmapChecksum)
      entry["heatmap_crc32"] = QString::number(*slide.heatmapChecksum, 16).rightJustified(8, QLatin1Char('0'));
    entry["count"] = slide.count;
    entry["cell_diameter_px"] = slide.cellDiameterPx;
    if (!slide.cellDiameterSource.isEmpty()) entry["cell_diameter_source"] = slide.cellDiameterSource;
    entry["default_threshold"] = slide.defaultThreshold;
    entry["seconds"] = slide.seconds;
    entry["has_truth"] = slide.sweep.hasTruth;
    entry["sweep"] = sweepToJson(slide.sweep);
  }
  return entry;
}

SavedSlide slideFromJson(const QJsonObject& entry) {
  SavedSlide slide;
  slide.reviewed = entry["reviewed"].toBool();
  slide.edited = entry["edited"].toBool();
  slide.maskOutlinedFromMarks = entry["mask_outlined_from_marks"].toBool();
  slide.previousCount = std::max(-1, entry["previous_count"].toInt(-1));
  if (entry["status"].toString() != "counted") return slide;
  try {
    slide.sweep = sweepFromJson(entry["sweep"].toArray(), entry["has_truth"].toBool());
  } catch (const std::exception&) {
    return slide;  // results unusable: the slide is counted again
  }
  const double threshold = entry["default_threshold"].toDouble(0.5);
  slide.counted = true;
  slide.stamp = entry["stamp"].toString();
  slide.modelSha256 = entry["model_sha256"].toString();
  slide.truthStamp = entry["truth_stamp"].toString();
  slide.width = std::max(0, entry["width"].toInt());
  slide.height = std::max(0, entry["height"].toInt());
  if (entry.contains("heatmap_crc32")) {
    const QString hex = entry["heatmap_crc32"].toString();
    bool ok = false;
    const qulonglong checksum = hex.toULongLong(&ok, 16);
    if (!ok || hex.size() != 8) {  // not a checksum: its results are unusable, and the slide is counted again
      slide.counted = false;
      return slide;
    }
    slide.heatmapChecksum = std::uint32_t(checksum);
  }
  slide.count = std::max(-1, entry["count"].toInt(-1));
  const double diameter = entry["cell_diameter_px"].toDouble(0);
  slide.cellDiameterPx = diameter >= 2 && diameter <= 2000 ? diameter : 0;  // else not recorded: counted again
  const QString source = entry["cell_diameter_source"].toString();
  if (diameterSourceNamed(source.toStdString())) slide.cellDiameterSource = source;  // else not recorded
  slide.defaultThreshold = std::isfinite(threshold) ? std::clamp(threshold, 0.0, 1.0) : 0.5;
  slide.seconds = entry["seconds"].toDouble();
  return slide;
}

}  // namespace

bool ProjectSettings::operator==(const ProjectSettings& o) const {
  return modelPath == o.modelPath && classical == o.classical && automaticDiameter == o.automaticDiameter &&
         cellDiameterPx == o.cellDiameterPx && cellDiameterUm == o.cellDiameterUm && threshold == o.threshold &&
         minObjectAreaPx == o.minObjectAreaPx && splitTouchingCells == o.splitTouchingCells &&
         pixelSizeUm == o.pixelSizeUm && channels == o.channels && precision == o.precision &&
         std::equal(positivity.begin(), positivity.end(), o.positivity.begin(), o.positivity.end(),
                    [](const PositivityRule& a, const PositivityRule& b) {
                      return a.channel == b.channel && a.threshold == b.threshold;
                    });
}

std::optional<ProjectState> parseProjectState(const QByteArray& bytes, QString* problem) {
  QJsonParseError parseError;
  const QJsonDocument document = QJsonDocument::fromJson(bytes, &parseError);
  const QJsonObject json = document.object();
  if (parseError.error != QJsonParseError::NoError || json["format"].toString() != kStateFormat) {
    if (problem) *problem = QObject::tr("damaged project state (%1)").arg(parseError.errorString());
    return std::nullopt;
  }
  if (json["version"].toInt() > kProjectStateVersion) {
    if (problem) *problem = QObject::tr("written by a newer FluoCount (state version %1)").arg(json["version"].toInt());
    return std::nullopt;
  }
  ProjectState state;
  state.settings = settingsFromJson(json["settings"].toObject());
  state.previousModel = json["previous_model"].toString();
  const QJsonObject slides = json["slides"].toObject();
  for (auto it = slides.begin(); it != slides.end(); ++it)
    state.slides[it.key()] = slideFromJson(it.value().toObject());
  return state;
}

QByteArray serialiseProjectState(const ProjectState& state) {
  QJsonObject slides;
  for (const auto& [name, slide] : state.slides) slides[name] = slideToJson(slide);
  const QJsonObject json{{"format", kStateFormat},
                         {"version", kProjectStateVersion},
                         {"settings", settingsToJson(state.settings)},
                         {"slides", slides},
                         {"previous_model", state.previousModel}};
  return QJsonDocument(json).toJson(QJsonDocument::Indented);
}

}  // namespace fluocount::ui
