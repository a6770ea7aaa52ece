#pragma once
// Where the bundled model and sample slides are, for the CLI and the GUI alike: installed under
// <prefix>/share/fluocount beside bin/, or in the source tree when run from a build folder.
#include <optional>
#include <string>

namespace fluocount {

// $FLUOCOUNT_MODEL, else <exe>/../share/fluocount/models/default.fcmodel, else the source tree's
// models/default.fcmodel; nothing when none exists.
std::optional<std::string> defaultModelPath();

// The bundled sample slides (a folder with images/ and masks/), installed or in the source tree.
std::optional<std::string> bundledSamplesFolder();

// What --version prints: "<program> <version>" and a line on the bundled model (path, architecture, threshold,
// how and when it was trained), or why there is none.
std::string versionReport(const std::string& program, const std::string& version);

}  // namespace fluocount
