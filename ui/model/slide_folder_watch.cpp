#include "ui/model/slide_folder_watch.h"

#include "core/utf8.h"

#include "core/slide_folder.h"
#include "ui/model/project.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QTimer>

namespace fluocount::ui {

SlideFolderWatch::SlideFolderWatch(QObject* parent)
    : QObject(parent), watcher_(new QFileSystemWatcher(this)), settle_(new QTimer(this)) {
  settle_->setSingleShot(true);
  settle_->setInterval(1000);
  connect(watcher_, &QFileSystemWatcher::directoryChanged, settle_, qOverload<>(&QTimer::start));
  connect(settle_, &QTimer::timeout, this, &SlideFolderWatch::compare);
}

void SlideFolderWatch::follow(const QString& folder, const QStringList& slideNames) {
  settle_->stop();
  if (!watcher_->directories().isEmpty()) watcher_->removePaths(watcher_->directories());
  imagesFolder_ = folder.isEmpty() ? QString() : QString::fromStdString(imagesFolderOf(folder.toStdString()));
  names_ = slideNames;
  names_.sort();
  newFiles_.clear();
  unreadNames_ = unreadNames();
  if (!imagesFolder_.isEmpty()) watcher_->addPath(imagesFolder_);
}

QStringList SlideFolderWatch::unreadNames() const {
  QStringList names;
  if (imagesFolder_.isEmpty()) return names;
  for (const UnreadFile& file : unreadImagesIn(imagesFolder_.toStdString())) names << QString::fromStdString(file.path);
  return names;
}

void SlideFolderWatch::setSettleMilliseconds(int milliseconds) { settle_->setInterval(milliseconds); }

void SlideFolderWatch::compare() {
  if (imagesFolder_.isEmpty()) return;
  if (QStringList unread = unreadNames(); unread != unreadNames_) {
    unreadNames_ = std::move(unread);
    emit unreadFilesChanged();
  }
  QStringList now;
  for (const std::string& image : imagesIn(imagesFolder_.toStdString()))
    if (isUtf8(image))  // the app lists no slide whose name Qt cannot hold (Project::open)
      now << QFileInfo(QString::fromStdString(image)).fileName();
  now.sort();
  QStringList added, removed;
  for (const QString& name : now)
    if (!names_.contains(name)) added << name;
  for (const QString& name : names_)
    if (!now.contains(name)) removed << name;

  // A file is written when it looks the same as a settle time ago and nothing touched it since. The timer's
  // ticks, not the folder's events, drive this: writing into a file does not change its folder.
  const QDateTime untouchedSince = QDateTime::currentDateTime().addMSecs(-settle_->interval());
  QHash<QString, QString> lookNow;
  bool allWritten = true;
  for (const QString& name : added) {
    const QString path = QDir(imagesFolder_).filePath(name);
    lookNow.insert(name, fileStamp(path));
    allWritten =
        allWritten && newFiles_.value(name) == lookNow[name] && QFileInfo(path).lastModified() <= untouchedSince;
  }
  if (!allWritten) {
    newFiles_ = lookNow;
    settle_->start();
    return;
  }
  newFiles_.clear();
  if (added.isEmpty() && removed.isEmpty()) return;
  names_ = now;  // reported once; follow() sets the list the window then holds
  emit slidesChanged(added, removed);
}

}  // namespace fluocount::ui
