#pragma once
// A file the app saves that other programs may change too: a mask Fiji saves, regions QuPath exports, the same
// folder open in a second FluoCount window, a sync tool. GuardedFile remembers the version the app last read or
// wrote, writes only over that version (core/atomic_file's replaceFileIfUnchanged), and reports a change made by
// anyone else: watched while the file is followed, and noticed at the latest by the next write. Whichever version
// loses a conflict is set aside in a folder of the caller's choosing, never dropped.
#include "core/atomic_file.h"

#include <QObject>
#include <QString>

class QFileSystemWatcher;
class QTimer;

namespace fluocount::ui {

// Keeps `bytes`, a version of the file at `path` about to be given up, as <setAsideFolder>/<name>.<date-time>.<suffix>
// (never over another such copy); returns that path. Throws FileWriteError.
QString setAsideCopy(const QString& path, const std::string& bytes, const QString& setAsideFolder);

class GuardedFile : public QObject {
  Q_OBJECT
public:
  explicit GuardedFile(QObject* parent = nullptr);

  // Follows `path` from the version it holds now (read here: call it before reading the file's contents, so that
  // a change in between is seen as a change). An empty path stops following.
  void follow(const QString& path);
  const QString& path() const { return path_; }

  // Whether the file still holds the version last read or written here (read again to tell).
  bool isUnchanged() const;

  // Writes `bytes` over the version last seen. Returns false, leaving the file as it is, when someone else changed
  // it; throws FileWriteError for any other failure (a full disk, a read-only folder).
  bool write(const std::string& bytes);

  // Writes `bytes` whatever the file holds now; what it held, when that was neither absent nor these bytes, is
  // first set aside. Returns the set-aside copy's path, or an empty string.
  QString overwrite(const std::string& bytes, const QString& setAsideFolder);

  // Keeps `bytes`, a version of this file that is about to be given up, as
  // <setAsideFolder>/<name>.<date-time>.<suffix>; returns that path. Throws FileWriteError.
  QString setAside(const std::string& bytes, const QString& setAsideFolder) const;

  // The policy both documents follow (MaskDocument, RegionDocument). Where a version given up is kept (default: a
  // .set-aside folder beside the file).
  void setSetAsideFolder(const QString& folder) { setAsideFolder_ = folder; }
  QString setAsideFolder() const;
  // What a document does when the file changed elsewhere: with no edit of its own waiting, load the file again
  // (unless it is closing); with one, it is in conflict, and the user is asked the first time (not while closing).
  enum class Response { Nothing, Reload, AskUser };
  Response respondToChange(bool editWaiting, bool closing);
  bool inConflict() const { return conflict_; }
  // Settling a conflict with the document's bytes: keepMine writes them (what the file held is set aside);
  // keepTheirs sets them aside (the document then loads the file). Each returns the set-aside copy's path.
  QString keepMine(const std::string& mine);
  QString keepTheirs(const std::string& mine);

signals:
  // The file no longer holds the version last read or written here: emitted once things settle after the watcher
  // saw the file or its folder change, and at once when a write was refused.
  void changedElsewhere();

private:
  void watch();
  void settled();

  QString path_, setAsideFolder_;
  FileVersion version_;
  bool conflict_ = false;
  QFileSystemWatcher* watcher_;
  QTimer* settle_;
};

}  // namespace fluocount::ui
