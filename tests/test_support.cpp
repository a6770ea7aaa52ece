#include "tests/test_support.h"

#include <QStandardPaths>

#include <QDir>
#include <QFileInfo>
#include <QProcess>

#include <fstream>
#include <iterator>
#include <stdexcept>

namespace fluocount::test {

QString sharedDataDir() {
  const QByteArray fromEnvironment = qgetenv("FLUOCOUNT_SHARED_DATA");
  const QString dir = fromEnvironment.isEmpty() ? QStringLiteral(FLUOCOUNT_SHARED_DIR "/data") : QString(fromEnvironment);
  return QFileInfo(dir).isDir() ? QDir(dir).absolutePath() : QString();
}

std::string dataFile(const QString& relative) { return (sharedDataDir() + "/" + relative).toStdString(); }

std::string maskFile(const QString& slide) {
  const QFileInfo image(slide);
  return dataFile(image.dir().path() + "/../masks/" + image.completeBaseName() + ".png");
}

std::string readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

QString writableSlideFolder(const QString& scratch, const QString& name, const QStringList& slides) {
  QStandardPaths::setTestModeEnabled(true);
  const QString folder = scratch + "/" + name;
  for (const QString& slide : slides) {
    const QFileInfo image(sharedDataDir() + "/" + slide);
    if (!image.isFile()) throw std::runtime_error("missing real slide " + image.filePath().toStdString());
    const QDir dataset = image.dir().filePath("..");
    for (const QString& sub : {QStringLiteral("images"), QStringLiteral("masks"), QStringLiteral("labels")}) {
      const QString from = dataset.filePath(sub + "/" + (sub == "images" ? image.fileName() : image.completeBaseName() + ".png"));
      if (!QFileInfo::exists(from)) continue;
      QDir().mkpath(folder + "/" + sub);
      QFile::copy(from, folder + "/" + sub + "/" + QFileInfo(from).fileName());
    }
  }
  return folder;
}

QString makeLocale(const QString& folder, const QString& locale) {
  QDir().mkpath(folder);
  QProcess localedef;
  localedef.start("localedef", {"-i", locale, "-f", "UTF-8", folder + "/" + locale + ".UTF-8"});
  if (!localedef.waitForFinished(120000) || localedef.exitCode() != 0)
    return "localedef could not make " + locale + " (Debian package 'locales'): " + localedef.readAllStandardError();
  return {};
}

}  // namespace fluocount::test
