#include "ui/model/thumbnail_loader.h"

#include "core/image_io.h"
#include "ui/model/slide_analysis.h"

#include <QMetaObject>
#include <QtConcurrent/QtConcurrentRun>

#include <opencv2/imgproc.hpp>

#include <algorithm>

namespace fluocount::ui {

QImage slideThumbnail(const QString& imagePath) {
  RawImage raw = loadImage(imagePath.toStdString());
  // Shrunk before it is stretched: a large slide's thumbnail should cost its decoding alone.
  const double scale = std::min({1.0, 320.0 / raw.pixels.cols, 240.0 / raw.pixels.rows});
  if (scale < 1) cv::resize(raw.pixels, raw.pixels, {}, scale, scale, cv::INTER_AREA);
  return displayImage(normaliseToRgb(raw.pixels, {})).scaled(160, 120, Qt::KeepAspectRatio, Qt::SmoothTransformation);
}

ThumbnailLoader::ThumbnailLoader(QObject* parent) : QObject(parent) {
  reader_.setMaxThreadCount(1);
  reader_.setThreadPriority(QThread::LowPriority);
}

ThumbnailLoader::~ThumbnailLoader() {
  cancel();
  reader_.waitForDone();
}

void ThumbnailLoader::cancel() { cancelled_->store(true); }

void ThumbnailLoader::load(std::vector<Request> slides) {
  cancel();
  cancelled_ = std::make_shared<std::atomic<bool>>(false);
  if (slides.empty()) return;
  // One reader thread: an earlier request stops at its next slide, and this one starts after it.
  (void)QtConcurrent::run(&reader_, [this, slides = std::move(slides), cancelled = cancelled_] {
    for (const Request& slide : slides) {
      if (cancelled->load()) return;
      QImage thumbnail;
      try {
        thumbnail = slideThumbnail(slide.imagePath);
      } catch (const std::exception&) {
        continue;
      }
      // Queued to this object's thread. The destructor waits for this loop, and a call still queued when the
      // object goes is dropped with it.
      QMetaObject::invokeMethod(
          this,
          [this, slide, thumbnail, cancelled] {
            if (!cancelled->load()) emit thumbnailReady(slide.index, slide.imagePath, thumbnail);
          },
          Qt::QueuedConnection);
    }
  });
}

}  // namespace fluocount::ui
