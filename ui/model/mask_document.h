#pragma once
// The user's mask of the slide on screen: loaded from <folder>/masks/<stem>.png (or empty), changed only through
// undo commands that hold just the changed pixels, and saved atomically after every finished edit, so that killing
// the app loses at most the stroke in progress. A mask whose size differs from its slide is reported and never
// overwritten: the document is then read-only. The edits go on the slide's stack in a SlideHistory, so they can
// still be undone after moving to another slide and back.
//
// Another program may change the file meanwhile (Fiji, a second FluoCount window): the document follows it
// (GuardedFile) and never writes over a version it has not seen. With no edit waiting to be saved it simply loads
// the new file (the slide's undo history starts again there); an edit that meets a changed file is a conflict the
// user settles (keepMine / keepTheirs), and the version given up is set aside, never dropped.
#include "core/mask_edit.h"
#include "ui/model/guarded_file.h"
#include "ui/model/slide_history.h"

#include <QObject>
#include <QRect>

#include <functional>
#include <map>

class QUndoStack;

namespace fluocount::ui {

// One of core/mask_edit's edits bound to its arguments: it changes the mask it is given and returns what changed.
using MaskEdit = std::function<MaskChange(cv::Mat& mask)>;

class MaskDocument : public QObject {
  Q_OBJECT
public:
  explicit MaskDocument(SlideHistory* history, QObject* parent = nullptr);

  // maskPath (masks/<stem>.png) need not exist: the slide has no mask yet, and an empty one is edited and saved
  // there, or the mask is a TIFF of that stem (as Fiji saves it), read from there and saved to maskPath. The slide's
  // history becomes the active one; it is cleared when the file changed since the slide was last left.
  bool load(const QString& imagePath, cv::Size imageSize, const QString& maskPath, QString* error);
  void close();
  bool isOpen() const { return !mask_.empty(); }
  bool isEditable() const { return editable_; }
  const QString& path() const { return path_; }
  const cv::Mat& mask() const { return mask_; }
  SlideHistory* history() const { return history_; }
  QUndoStack* undoStack() const { return history_->active(); }
  std::size_t undoMemoryBytes() const { return history_->activeBytes(); }

  // Applies an edit as one undo step (nothing when the document is read-only or the edit changes no pixel). Edits
  // with the same strokeId >= 0 in a row merge into one step. The mask is saved when finishEdit() is called (the
  // end of a stroke or action).
  void apply(const QString& text, const MaskEdit& edit, int strokeId = -1);
  void finishEdit();
  bool save(QString* error = nullptr);
  // Where the mask came from, as its file says (core/mask_origin.h) and as it is saved with every edit. Setting
  // another origin writes the mask file again with it (the same pixels), when there is one: marking the slide
  // reviewed takes "outlined from a count by hand" out of the file. False when it could not be written (`error`
  // says why; nothing is emitted).
  MaskOrigin origin() const { return origin_; }
  bool setOrigin(MaskOrigin origin, QString* error = nullptr);

  // Where a version given up in a conflict is kept (the project's .fluocount/set-aside).
  void setSetAsideFolder(const QString& folder) { file_->setSetAsideFolder(folder); }
  bool hasConflict() const { return file_->inConflict(); }
  // Settles a conflict. keepMine writes the document over the file, first setting aside what the file held;
  // keepTheirs sets the document aside and loads the file. Each returns the set-aside copy's path (empty when
  // there was nothing to keep) and throws FileWriteError when it cannot keep it (nothing is changed then).
  QString keepMine();
  QString keepTheirs();

signals:
  void changed(QRect region);  // an edit, undo or redo changed these pixels
  void saved(const QString& path);
  void saveFailed(const QString& error);
  // The file was changed by another program and loaded again (no edit of ours was waiting): the whole mask may
  // differ, and the slide's undo history was cleared unless the pixels are the same.
  void reloaded(const QString& path);
  // An edit could not be saved because another program changed the file; it waits in memory for keepMine or
  // keepTheirs.
  void conflict(const QString& path);
  // The document was closed with an edit in conflict: the edit was kept at keptAt, and the file left as it was.
  void setAsideOnClose(const QString& path, const QString& keptAt);

private:
  friend class MaskEditCommand;
  void applied(const MaskChange& change);
  void changedElsewhere();
  bool reload();
  std::string bytes() const;
  // Writes the document over its file unless another program changed the file since; an edit's failure to write
  // is also reported by saveFailed.
  bool writeFile(QString* error, bool anEdit);

  SlideHistory* history_;
  cv::Mat mask_;
  QString path_;
  bool editable_ = false;
  bool dirty_ = false;
  bool closing_ = false;
  MaskOrigin origin_ = MaskOrigin::Drawn;
  QString imagePath_;
  cv::Size imageSize_;
  GuardedFile* file_;
  // Each slide's mask as it was left (a hash of its pixels): its history still fits the file when they agree.
  std::map<QString, std::uint64_t> leftAs_;
};

// One edit: its MaskChange (only the changed pixels). Stroke segments merge.
class MaskEditCommand : public HistoryCommand {
public:
  static constexpr int kStrokeId = 0x4d41534b;  // "MASK"
  MaskEditCommand(MaskDocument* document, const QString& text, MaskChange change, int strokeId);
  int id() const override { return strokeId_ >= 0 ? kStrokeId : -1; }
  bool mergeWith(const QUndoCommand* other) override;
  std::size_t memoryBytes() const override { return change_.memoryBytes(); }
  std::unique_ptr<HistoryCommand> takeApplied() override;

protected:
  void apply() override;
  void revert() override;

private:
  MaskDocument* document_;
  MaskChange change_;
  int strokeId_;
};

}  // namespace fluocount::ui
