#pragma once
// The user's mask of the slide on screen: loaded from <folder>/masks/<stem>.png (or empty), edited through undo
// commands that hold only the changed pixels, and saved atomically after every finished edit, so that killing the
// app loses at most the stroke in progress. A mask whose size differs from its slide is reported and never
// overwritten: the document is then read-only.
#include "core/mask_edit.h"

#include <QObject>
#include <QRect>
#include <QUndoStack>

namespace fluocount::ui {

class MaskDocument : public QObject {
  Q_OBJECT
public:
  static constexpr int kUndoLimit = 500;  // with only changed pixels kept, a few MB for typical edits

  explicit MaskDocument(QObject* parent = nullptr);

  // maskPath need not exist (the slide has no mask yet: an empty one is edited and saved there).
  bool load(const QString& imagePath, cv::Size imageSize, const QString& maskPath, QString* error);
  void close();
  bool isOpen() const { return !mask_.empty(); }
  bool isEditable() const { return editable_; }
  const QString& path() const { return path_; }
  const cv::Mat& mask() const { return mask_; }
  QUndoStack* undoStack() { return &undo_; }
  std::size_t undoMemoryBytes() const;

  // Records an edit already applied to pixels() (by a core tool). Edits with the same strokeId >= 0 in a row merge
  // into one undo step. The mask is saved when finishEdit() is called (the end of a stroke or action).
  cv::Mat& pixels() { return mask_; }
  void record(const QString& text, MaskChange change, int strokeId = -1);
  void finishEdit();
  bool save(QString* error = nullptr);

signals:
  void changed(QRect region);  // an edit, undo or redo changed these pixels
  void saved(const QString& path);
  void saveFailed(const QString& error);

private:
  friend class MaskEditCommand;
  void applied(const MaskChange& change);

  cv::Mat mask_;
  QString path_;
  bool editable_ = false;
  bool dirty_ = false;
  QUndoStack undo_;
};

// One edit on the undo stack: its MaskChange (only the changed pixels). Stroke segments merge.
class MaskEditCommand : public QUndoCommand {
public:
  static constexpr int kStrokeId = 0x4d41534b;  // "MASK"
  MaskEditCommand(MaskDocument* document, const QString& text, MaskChange change, int strokeId);
  void undo() override;
  void redo() override;
  int id() const override { return strokeId_ >= 0 ? kStrokeId : -1; }
  bool mergeWith(const QUndoCommand* other) override;
  std::size_t memoryBytes() const { return change_.memoryBytes(); }

private:
  MaskDocument* document_;
  MaskChange change_;
  int strokeId_;
  bool applied_ = true;  // the tool already changed the mask: the first redo() does nothing
};

}  // namespace fluocount::ui
