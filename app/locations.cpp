#include "app/locations.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

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

}  // namespace fluocount
