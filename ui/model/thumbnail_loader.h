#pragma once
// The slide list's thumbnails as soon as a folder opens, before anything is counted: the slides are read one at a
// time on a thread of the loader's own, at low priority (a large TIFF takes a while to decode, and Qt's shared pool
// serves the threshold slider), and each thumbnail is handed to the loader's thread as it is ready. A new request
// (another folder, a reload) or the loader's end cancels what is left.
#include <QImage>
#include <QObject>
#include <QString>
#include <QThreadPool>

#include <atomic>
#include <memory>
#include <vector>

namespace fluocount::ui {

// A slide's thumbnail as the slide list shows it (at most 160 x 120, the default display stretch); throws what
// loadImage throws for a file it cannot read.
QImage slideThumbnail(const QString& imagePath);

class ThumbnailLoader : public QObject {
  Q_OBJECT
public:
  struct Request {
    int index = -1;
    QString imagePath;
  };

  explicit ThumbnailLoader(QObject* parent = nullptr);
  ~ThumbnailLoader() override;  // cancels, and waits for the slide being read

  // Reads these slides' thumbnails in order, replacing any earlier request.
  void load(std::vector<Request> slides);
  void cancel();
  // Waits until the slides asked for are read (or cancelled); their thumbnails may still be queued to this thread.
  void waitForDone() { reader_.waitForDone(); }

signals:
  // On the loader's thread. A slide that cannot be read gets none (counting it says why).
  void thumbnailReady(int index, const QString& imagePath, const QImage& thumbnail);

private:
  std::shared_ptr<std::atomic<bool>> cancelled_ = std::make_shared<std::atomic<bool>>(false);
  QThreadPool reader_;
};

}  // namespace fluocount::ui
