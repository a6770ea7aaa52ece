#pragma once
// Slides that appear in or vanish from an open folder while the app runs (a microscope or a script writing into
// it, files moved away): SlideFolderWatch follows the folder's images folder and reports, once it has settled for
// a moment, that its slides are no longer the ones listed. No widgets; the window decides when to read the folder
// again (core/slide_folder.h's rule: the files directly in <folder>/images, or in <folder>).
#include <QHash>
#include <QObject>
#include <QStringList>

class QFileSystemWatcher;
class QTimer;

namespace fluocount::ui {

class SlideFolderWatch : public QObject {
  Q_OBJECT
public:
  explicit SlideFolderWatch(QObject* parent = nullptr);

  // Follows the images folder of `folder`, whose slides are now `slideNames` (file names); an empty folder stops.
  void follow(const QString& folder, const QStringList& slideNames);
  // How long the folder must stay unchanged before it is compared (a file being written changes it many times),
  // and how long a new file must stay unchanged before it counts as written.
  void setSettleMilliseconds(int milliseconds);

signals:
  // The images folder's slides differ from those listed: `added` and `removed` are file names. Reported only once
  // every new file has stopped changing (the same size and time at two looks, a settle time apart, and untouched
  // since), so that a slide a microscope or a copy is still writing never joins half-written: the window reads the
  // whole folder again on this signal.
  void slidesChanged(const QStringList& added, const QStringList& removed);
  // Files FluoCount does not read (core unreadImagesIn: a microscope's CZI, ND2, ...) appeared or vanished: the
  // folder's note about them is out of date. Reported at once, as the slides that never come from them are.
  void unreadFilesChanged();

private:
  void compare();
  QStringList unreadNames() const;  // paths, in name order

  QFileSystemWatcher* watcher_;
  QTimer* settle_;
  QString imagesFolder_;
  QStringList names_;                 // sorted
  QStringList unreadNames_;           // the unread files' names at the last look
  QHash<QString, QString> newFiles_;  // the new files' size@time at the last look, while one is still changing
};

}  // namespace fluocount::ui
