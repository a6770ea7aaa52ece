#pragma once
// The saved state of a slide folder, <folder>/.fluocount/project.json, as plain data: the counting settings, and
// per slide its review marks, the count and the threshold sweep of its last analysis. Parsing is separate from
// Project (and needs Qt Core alone) so that a damaged or hostile file can be fuzzed on its own.
#include "core/cell_channels.h"
#include "core/inference.h"
#include "core/threshold_sweep.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QString>

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace fluocount::ui {

struct ProjectSettings {
  QString modelPath;       // empty: the bundled model
  bool classical = false;  // count with the classical method instead of a network
  // Estimate each slide's cell diameter (core/diameter_estimate.h, as fluocount-cli's default); new folders start
  // so. Off, cellDiameterPx or cellDiameterUm holds for every slide. A project saved before this setting existed
  // reads as off, the meaning its saved results were counted under.
  bool automaticDiameter = true;
  double cellDiameterPx = 0;  // 0: the model's default
  // The diameter in µm instead: each slide's diameter in pixels follows from its pixel size (a slide without one
  // fails with that reason). Replaces cellDiameterPx.
  std::optional<double> cellDiameterUm;
  std::optional<double> threshold;  // empty: the model's own (Kneedle) threshold
  std::optional<double> minObjectAreaPx;
  std::optional<bool> splitTouchingCells;
  std::optional<double> pixelSizeUm;       // µm per pixel for the folder's slides, over what their files declare
  std::vector<int> channels;               // what the network sees (selectChannels); empty: the images as decoded
  std::vector<PositivityRule> positivity;  // per-channel positive calls for the tables
  // The network's arithmetic (InferenceSettings::precision): float32, or the faster one this computer offers
  // (bfloat16 where native, int8 on other CPUs: fasterPrecisionHere). A folder counted in one this computer does
  // not run is counted again in float32 when opened here.
  NetworkPrecision precision = NetworkPrecision::Float32;
  bool operator==(const ProjectSettings& o) const;
  bool operator!=(const ProjectSettings& o) const { return !(*this == o); }
};

struct SavedSlide {
  bool reviewed = false, edited = false;
  bool maskOutlinedFromMarks = false;  // Slide::maskOutlinedFromMarks
  int previousCount = -1;
  bool counted = false;       // the fields below are meaningful only then
  QString stamp;              // size@mtime of the image the results came from
  QString modelSha256;        // of the model file that counted it (empty: the classical method, or not recorded)
  QString truthStamp;         // of the annotations its sweep was matched against (truthStamp; empty: not recorded)
  int width = 0, height = 0;  // of the image and its cached heatmap (0: not recorded, before 2026-12)
  // The CRC-32 its cached heatmap file ends with, which tells that file from another run's (nothing: not recorded,
  // before 2026-12-06; the file is then read whole when the folder opens).
  std::optional<std::uint32_t> heatmapChecksum;
  int count = -1;
  double cellDiameterPx = 0;  // the diameter it was counted at (0: not recorded, before 2026-12-03)
  // Where that diameter came from (diameterSourceName; empty: not recorded, before 2026-12-07).
  QString cellDiameterSource;
  double defaultThreshold = 0.5, seconds = 0;
  SweepResult sweep;
};

struct ProjectState {
  ProjectSettings settings;
  QString previousModel;
  std::map<QString, SavedSlide> slides;  // by slide file name
};

constexpr int kProjectStateVersion = 1;

// Nothing, with the reason in *problem, when the bytes are not a project state this version can read (damaged,
// not JSON, another format, or written by a newer FluoCount). A malformed slide entry loses only its results.
std::optional<ProjectState> parseProjectState(const QByteArray& bytes, QString* problem);
QByteArray serialiseProjectState(const ProjectState& state);

}  // namespace fluocount::ui
