#include "ui/model/slide_folder_watch.h"

#include "core/slide_folder.h"

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
  if (!imagesFolder_.isEmpty()) watcher_->addPath(imagesFolder_);
}

void SlideFolderWatch::setSettleMilliseconds(int milliseconds) { settle_->setInterval(milliseconds); }

void SlideFolderWatch::compare() {
  if (imagesFolder_.isEmpty()) return;
  QStringList now;
  for (const std::string& image : imagesIn(imagesFolder_.toStdString()))
    now << QFileInfo(QString::fromStdString(image)).fileName();
  now.sort();
  if (now == names_) return;
  QStringList added, removed;
  for (const QString& name : now)
    if (!names_.contains(name)) added << name;
  for (const QString& name : names_)
    if (!now.contains(name)) removed << name;
  names_ = now;  // reported once; follow() sets the list the window then holds
  emit slidesChanged(added, removed);
}

}  // namespace fluocount::ui
