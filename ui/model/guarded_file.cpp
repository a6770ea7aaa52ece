#include "ui/model/guarded_file.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QTimer>

namespace fluocount::ui {

namespace {
// A program that writes a file in place (Fiji does) changes it several times in a row; read it once they stop.
constexpr int kSettleMs = 250;
}  // namespace

GuardedFile::GuardedFile(QObject* parent)
    : QObject(parent), watcher_(new QFileSystemWatcher(this)), settle_(new QTimer(this)) {
  settle_->setSingleShot(true);
  settle_->setInterval(kSettleMs);
  connect(watcher_, &QFileSystemWatcher::fileChanged, settle_, qOverload<>(&QTimer::start));
  connect(watcher_, &QFileSystemWatcher::directoryChanged, settle_, qOverload<>(&QTimer::start));
  connect(settle_, &QTimer::timeout, this, &GuardedFile::settled);
}

void GuardedFile::follow(const QString& path) {
  settle_->stop();
  conflict_ = false;
  if (!watcher_->files().isEmpty()) watcher_->removePaths(watcher_->files());
  if (!watcher_->directories().isEmpty()) watcher_->removePaths(watcher_->directories());
  path_ = path;
  version_ = {};
  if (path_.isEmpty()) return;
  try {
    version_ = fileVersionOf(path_.toStdString());
  } catch (const std::exception&) {
    // Unreadable now: any later readable content counts as a change, and a write is refused until then.
    version_ = {true, "unreadable"};
  }
  watch();
}

// The file itself, and its folder: a program that saves by writing a new file and renaming it over the old one
// (as FluoCount does) replaces the file the watcher followed, which only the folder reports.
void GuardedFile::watch() {
  if (QFileInfo::exists(path_) && !watcher_->files().contains(path_)) watcher_->addPath(path_);
  const QString folder = QFileInfo(path_).absolutePath();
  if (QFileInfo(folder).isDir() && !watcher_->directories().contains(folder)) watcher_->addPath(folder);
}

void GuardedFile::settled() {
  if (path_.isEmpty()) return;
  watch();
  if (!isUnchanged()) emit changedElsewhere();
}

bool GuardedFile::isUnchanged() const {
  try {
    return fileVersionOf(path_.toStdString()) == version_;
  } catch (const std::exception&) {
    return false;
  }
}

bool GuardedFile::write(const std::string& bytes) {
  QDir().mkpath(QFileInfo(path_).absolutePath());
  try {
    version_ = replaceFileIfUnchanged(path_.toStdString(), bytes, version_);
  } catch (const FileChangedError&) {
    emit changedElsewhere();
    return false;
  }
  watch();
  return true;
}

QString GuardedFile::overwrite(const std::string& bytes, const QString& setAsideFolder) {
  QString keptAt;
  std::string onDisk;
  bool exists = false;
  try {
    exists = QFileInfo::exists(path_);
    if (exists) onDisk = readWholeFile(path_.toStdString(), std::size_t(1) << 30);
  } catch (const std::exception& e) {
    throw FileWriteError(std::string("cannot read what ") + path_.toStdString() +
                         " holds before replacing it: " + e.what());
  }
  if (exists && onDisk != bytes) keptAt = setAside(onDisk, setAsideFolder);
  version_ = exists ? versionOfBytes(onDisk) : FileVersion{};
  if (!write(bytes)) throw FileChangedError(path_.toStdString() + " changed again while it was being replaced");
  return keptAt;
}

QString GuardedFile::setAside(const std::string& bytes, const QString& setAsideFolder) const {
  return setAsideCopy(path_, bytes, setAsideFolder);
}

QString setAsideCopy(const QString& path, const std::string& bytes, const QString& setAsideFolder) {
  const QFileInfo file(path);
  QDir().mkpath(setAsideFolder);
  const QString stamp = QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss-zzz");
  QString kept = QDir(setAsideFolder).filePath(file.completeBaseName() + "." + stamp + "." + file.suffix());
  for (int n = 2; QFileInfo::exists(kept); ++n)
    kept = QDir(setAsideFolder)
               .filePath(file.completeBaseName() + "." + stamp + "-" + QString::number(n) + "." + file.suffix());
  writeFileAtomically(kept.toStdString(), bytes, Overwrite::Refuse);
  return kept;
}

QString GuardedFile::setAsideFolder() const {
  return setAsideFolder_.isEmpty() ? QFileInfo(path_).absolutePath() + "/.set-aside" : setAsideFolder_;
}

GuardedFile::Response GuardedFile::respondToChange(bool editWaiting, bool closing) {
  if (!editWaiting) return closing ? Response::Nothing : Response::Reload;
  const bool first = !conflict_;
  conflict_ = true;
  return first && !closing ? Response::AskUser : Response::Nothing;
}

QString GuardedFile::keepMine(const std::string& mine) {
  const QString kept = overwrite(mine, setAsideFolder());
  conflict_ = false;
  return kept;
}

QString GuardedFile::keepTheirs(const std::string& mine) {
  const QString kept = setAside(mine, setAsideFolder());
  conflict_ = false;
  return kept;
}

}  // namespace fluocount::ui
