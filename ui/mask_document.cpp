#include "ui/mask_document.h"

#include "core/image_io.h"

#include <QDir>
#include <QFileInfo>
#include <QTimer>

namespace fluocount::ui {

namespace {
QRect toQRect(const cv::Rect& r) { return QRect(r.x, r.y, r.width, r.height); }
}  // namespace

MaskDocument::MaskDocument(QObject* parent) : QObject(parent) {
  undo_.setUndoLimit(kUndoLimit);
}

bool MaskDocument::load(const QString& imagePath, cv::Size imageSize, const QString& maskPath, QString* error) {
  close();
  path_ = maskPath;
  try {
    if (QFileInfo::exists(maskPath)) {
      mask_ = loadMask(maskPath.toStdString(), imageSize, imagePath.toStdString()).clone();
      mask_.setTo(kCell, mask_ > 0);
    } else {
      mask_ = cv::Mat::zeros(imageSize, CV_8U);
    }
    editable_ = true;
    return true;
  } catch (const std::exception& e) {
    // Shown, not edited: saving would replace the user's file.
    mask_.release();
    if (error) *error = QString::fromUtf8(e.what());
    return false;
  }
}

void MaskDocument::close() {
  if (dirty_) save();
  undo_.clear();
  mask_.release();
  path_.clear();
  editable_ = false;
  dirty_ = false;
}

std::size_t MaskDocument::undoMemoryBytes() const {
  std::size_t bytes = 0;
  for (int i = 0; i < undo_.count(); ++i)
    if (const auto* command = dynamic_cast<const MaskEditCommand*>(undo_.command(i))) bytes += command->memoryBytes();
  return bytes;
}

void MaskDocument::record(const QString& text, MaskChange change, int strokeId) {
  if (!editable_ || change.empty()) return;
  const QRect region = toQRect(change.bounds());
  undo_.push(new MaskEditCommand(this, text, std::move(change), strokeId));
  dirty_ = true;
  emit changed(region);
}

void MaskDocument::finishEdit() {
  if (dirty_) save();
}

// An undo or redo: an edit like any other, saved once the event loop is back (several in a row save once).
void MaskDocument::applied(const MaskChange& change) {
  dirty_ = true;
  emit changed(toQRect(change.bounds()));
  QTimer::singleShot(0, this, [this] {
    if (dirty_) save();
  });
}

bool MaskDocument::save(QString* error) {
  if (!editable_ || path_.isEmpty()) return false;
  try {
    QDir().mkpath(QFileInfo(path_).path());
    saveMask(path_.toStdString(), mask_);
    dirty_ = false;
    emit saved(path_);
    return true;
  } catch (const std::exception& e) {
    const QString message = QString::fromUtf8(e.what());
    if (error) *error = message;
    emit saveFailed(message);
    return false;
  }
}

MaskEditCommand::MaskEditCommand(MaskDocument* document, const QString& text, MaskChange change, int strokeId)
    : QUndoCommand(text), document_(document), change_(std::move(change)), strokeId_(strokeId) {}

void MaskEditCommand::undo() {
  change_.undo(document_->mask_);
  applied_ = false;
  document_->applied(change_);
}

void MaskEditCommand::redo() {
  if (applied_) return;
  change_.redo(document_->mask_);
  applied_ = true;
  document_->applied(change_);
}

bool MaskEditCommand::mergeWith(const QUndoCommand* other) {
  const auto* next = dynamic_cast<const MaskEditCommand*>(other);
  if (!next || next->strokeId_ != strokeId_ || strokeId_ < 0) return false;
  change_.merge(next->change_);
  return true;
}

}  // namespace fluocount::ui
