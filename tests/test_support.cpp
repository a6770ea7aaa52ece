#include "tests/test_support.h"

#include <QStandardPaths>

#include <QDir>
#include <QFileInfo>

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

std::string firstFile(const QString& relativeFolder) {
  const QDir dir(sharedDataDir() + "/" + relativeFolder);
  const QStringList files = dir.entryList(QDir::Files, QDir::Name);
  if (files.isEmpty()) throw std::runtime_error("no files in " + dir.path().toStdString());
  return dir.filePath(files.first()).toStdString();
}

std::string readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void copyFolder(const QString& from, const QString& to) {
  QDir().mkpath(to);
  for (const QFileInfo& entry : QDir(from).entryInfoList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot)) {
    if (entry.isDir()) copyFolder(entry.filePath(), to + "/" + entry.fileName());
    else QFile::copy(entry.filePath(), to + "/" + entry.fileName());
  }
}

QString writableDatasetCopy(const QString& scratch, const QString& dataset) {
  QStandardPaths::setTestModeEnabled(true);
  const QString copy = scratch + "/" + dataset;
  copyFolder(sharedDataDir() + "/" + dataset, copy);
  return copy;
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

}  // namespace fluocount::test
