#pragma once
// Slides that appear in or vanish from an open folder while the app runs (a microscope or a script writing into
// it, files moved away): SlideFolderWatch follows the folder's images folder and reports, once it has settled for
// a moment, that its slides are no longer the ones listed. No widgets; the window decides when to read the folder
// again (core/slide_folder.h's rule: the files directly in <folder>/images, or in <folder>).
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
  // How long the folder must stay unchanged before it is compared (a file being written changes it many times).
  void setSettleMilliseconds(int milliseconds);

signals:
  // The images folder's slides differ from those listed: `added` and `removed` are file names.
  void slidesChanged(const QStringList& added, const QStringList& removed);

private:
  void compare();

  QFileSystemWatcher* watcher_;
  QTimer* settle_;
  QString imagesFolder_;
  QStringList names_;  // sorted
};

}  // namespace fluocount::ui
