#include "core/locations.h"

#include "core/model_file.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

#include <cstdio>
#include <cstdlib>

namespace fluocount {

namespace {
std::optional<std::string> firstExisting(const QStringList& candidates) {
  for (const QString& candidate : candidates)
    if (QFileInfo::exists(candidate)) return QDir::cleanPath(candidate).toStdString();
  return std::nullopt;
}
}  // namespace

std::optional<std::string> defaultModelPath() {
  if (const char* fromEnvironment = std::getenv("FLUOCOUNT_MODEL"); fromEnvironment && *fromEnvironment)
    return std::string(fromEnvironment);
  return firstExisting({QCoreApplication::applicationDirPath() + "/../share/fluocount/models/default.fcmodel",
                        QStringLiteral(FLUOCOUNT_SOURCE_DIR) + "/models/default.fcmodel"});
}

std::optional<std::string> bundledSamplesFolder() {
  return firstExisting({QCoreApplication::applicationDirPath() + "/../share/fluocount/samples",
                        QStringLiteral(FLUOCOUNT_SOURCE_DIR) + "/resources/samples"});
}

std::string versionReport(const std::string& program, const std::string& version) {
  std::string report = program + " " + version + "\n";
  const auto model = defaultModelPath();
  if (!model) return report + "bundled model: not found (set FLUOCOUNT_MODEL or reinstall)\n";
  try {
    const ModelInfo info = readModelInfo(*model);
    const auto& p = info.provenance;
    auto text = [&p](const char* key) {
      return p.contains(key) && p.at(key).is_string() ? p.at(key).get<std::string>() : std::string("?");
    };
    char threshold[32];
    std::snprintf(threshold, sizeof threshold, "%.3f", info.threshold);
    report += "bundled model: " + *model + "\n  " + architectureName(info.architecture) + ", threshold " + threshold +
              ", trained " + text("date") + " by " + text("trained_by") + " from " + text("started_from");
    if (p.contains("epochs")) report += ", " + p.at("epochs").dump() + " epochs";
    if (p.contains("validation_metrics") && p.at("validation_metrics").contains("f1"))
      report += ", validation F1 " + p.at("validation_metrics").at("f1").dump().substr(0, 5);
    report += "\n";
  } catch (const std::exception& e) {
    report += std::string("bundled model: unreadable: ") + e.what() + "\n";
  }
  return report;
}

}  // namespace fluocount
