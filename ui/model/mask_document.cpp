#include "ui/model/mask_document.h"

#include "core/image_io.h"
#include "core/slide_folder.h"

#include <QDir>
#include <QFileInfo>
#include <QTimer>

namespace fluocount::ui {

namespace {
QRect toQRect(const cv::Rect& r) { return QRect(r.x, r.y, r.width, r.height); }

// FNV-1a over the pixels: enough to notice that a mask file changed while its slide was not on screen.
std::uint64_t pixelHash(const cv::Mat& mask) {
  std::uint64_t hash = 1469598103934665603ull ^ std::uint64_t(mask.cols) << 32 ^ std::uint64_t(mask.rows);
  for (int y = 0; y < mask.rows; ++y) {
    const std::uint8_t* row = mask.ptr<std::uint8_t>(y);
    for (int x = 0; x < mask.cols; ++x) hash = (hash ^ row[x]) * 1099511628211ull;
  }
  return hash;
}
}  // namespace

MaskDocument::MaskDocument(SlideHistory* history, QObject* parent)
    : QObject(parent), history_(history), file_(new GuardedFile(this)) {
  connect(file_, &GuardedFile::changedElsewhere, this, &MaskDocument::changedElsewhere);
}

bool MaskDocument::load(const QString& imagePath, cv::Size imageSize, const QString& maskPath, QString* error) {
  close();
  path_ = maskPath;
  imagePath_ = imagePath;
  imageSize_ = imageSize;
  history_->activate(maskPath);
  file_->follow(maskPath);  // before reading: a change made while it is read shows as a change
  try {
    // A TIFF mask (Fiji's) is read where no PNG exists yet; the edits go to the PNG, which then holds the mask.
    const std::string holding = maskFileHolding(maskPath.toStdString());
    origin_ = MaskOrigin::Drawn;
    if (!holding.empty()) {
      mask_ = loadMask(holding, imageSize, imagePath.toStdString()).clone();
      mask_.setTo(kCell, mask_ > 0);
      origin_ = maskOriginOfFile(holding);
    } else {
      mask_ = cv::Mat::zeros(imageSize, CV_8U);
    }
    const auto left = leftAs_.find(maskPath);
    if (left == leftAs_.end() || left->second != pixelHash(mask_)) history_->clearActive();
    editable_ = true;
    return true;
  } catch (const std::exception& e) {
    // Shown, not edited: saving would replace the user's file.
    mask_.release();
    history_->clearActive();
    if (error) *error = QString::fromUtf8(e.what());
    return false;
  }
}

void MaskDocument::close() {
  closing_ = true;
  if (dirty_) save();
  if (file_->inConflict()) {
    // No one is left to ask: the file stays as the other program left it, and the edit is kept beside it.
    try {
      emit setAsideOnClose(path_, file_->keepTheirs(bytes()));
    } catch (const std::exception& e) {
      emit saveFailed(QString::fromUtf8(e.what()));
    }
    leftAs_.erase(path_);
  } else if (editable_ && !dirty_) {
    leftAs_[path_] = pixelHash(mask_);
  } else {
    leftAs_.erase(path_);  // unsaved: the file is not what the history ends with
  }
  file_->follow({});
  mask_.release();
  path_.clear();
  editable_ = false;
  dirty_ = false;
  closing_ = false;
}

std::string MaskDocument::bytes() const { return maskPngBytes(mask_, path_.toStdString(), origin_); }

// The same pixels again, with the origin in the file: not an edit, so neither `saved` nor `saveFailed` is emitted
// (unless an edit was waiting, which this saves); the caller says what a failure means. A file that cannot be
// written now gets the origin with the next save.
bool MaskDocument::setOrigin(MaskOrigin origin, QString* error) {
  if (!editable_ || origin == origin_) return true;
  origin_ = origin;
  if (dirty_) return save(error);
  if (maskFileHolding(path_.toStdString()).empty()) return true;  // no file yet: the first edit writes it
  return writeFile(error, /*anEdit=*/false);
}

// Another program changed the file. With nothing of ours waiting, the file is simply what the mask is now; an edit
// waiting to be saved makes it a conflict for the user to settle (while closing, close() settles it).
void MaskDocument::changedElsewhere() {
  if (path_.isEmpty()) return;
  switch (file_->respondToChange(dirty_, closing_)) {
    case GuardedFile::Response::Reload: reload(); break;
    case GuardedFile::Response::AskUser: emit conflict(path_); break;
    case GuardedFile::Response::Nothing: break;
  }
}

bool MaskDocument::reload() {
  dirty_ = false;
  const QString imagePath = imagePath_, maskPath = path_;
  const cv::Size size = imageSize_;
  QString error;
  const bool ok = load(imagePath, size, maskPath, &error);
  emit reloaded(maskPath);
  return ok;
}

QString MaskDocument::keepMine() {
  if (!file_->inConflict()) return {};
  const QString kept = file_->keepMine(bytes());
  dirty_ = false;
  emit saved(path_);
  return kept;
}

QString MaskDocument::keepTheirs() {
  if (!file_->inConflict()) return {};
  const QString kept = file_->keepTheirs(bytes());
  reload();
  return kept;
}

void MaskDocument::apply(const QString& text, const MaskEdit& edit, int strokeId) {
  if (!editable_) return;
  MaskChange change = edit(mask_);
  if (change.empty()) return;
  const QRect region = toQRect(change.bounds());
  history_->push(new MaskEditCommand(this, text, std::move(change), strokeId));
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
  if (!editable_ || path_.isEmpty() || !writeFile(error, /*anEdit=*/true)) return false;
  dirty_ = false;
  emit saved(path_);
  return true;
}

bool MaskDocument::writeFile(QString* error, bool anEdit) {
  try {
    if (file_->inConflict() || !file_->write(bytes())) {
      if (error) *error = tr("%1 was changed by another program; the edit waits in memory").arg(path_);
      return false;
    }
    return true;
  } catch (const std::exception& e) {
    const QString message = QString::fromUtf8(e.what());
    if (error) *error = message;
    if (anEdit) emit saveFailed(message);
    return false;
  }
}

MaskEditCommand::MaskEditCommand(MaskDocument* document, const QString& text, MaskChange change, int strokeId)
    : HistoryCommand(text, true), document_(document), change_(std::move(change)), strokeId_(strokeId) {}

void MaskEditCommand::revert() {
  change_.undo(document_->mask_);
  document_->applied(change_);
}

void MaskEditCommand::apply() {
  change_.redo(document_->mask_);
  document_->applied(change_);
}

bool MaskEditCommand::mergeWith(const QUndoCommand* other) {
  const auto* next = dynamic_cast<const MaskEditCommand*>(other);
  if (!next || next->strokeId_ != strokeId_ || strokeId_ < 0) return false;
  change_.merge(next->change_);
  return true;
}

std::unique_ptr<HistoryCommand> MaskEditCommand::takeApplied() {
  return std::make_unique<MaskEditCommand>(document_, text(), std::move(change_), strokeId_);
}

}  // namespace fluocount::ui
