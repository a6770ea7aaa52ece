#pragma once
// The named regions of the slide on screen (the brain areas a study reports), kept in <folder>/regions/<stem>.geojson
// in QuPath's conventions, the same file 'fluocount-cli count --regions <folder>/regions' reads. Every edit (add,
// delete, rename, move a vertex, import) is an undo command on the slide's undo stack, beside the mask edits, and
// is saved atomically as soon as it applies. A regions file that fails validation is reported and never
// overwritten: the document is then read-only. A file another program changes meanwhile (QuPath exporting the
// slide's annotations again) is loaded again, or, when an edit meets it, is a conflict settled as MaskDocument's
// (GuardedFile): nothing is written over a version the document has not seen.
#include "core/regions.h"

#include "ui/model/guarded_file.h"
#include "ui/model/slide_history.h"

#include <QObject>

namespace fluocount::ui {

class RegionDocument : public QObject {
  Q_OBJECT
public:
  // Edits go on the history's active stack: the slide on screen, which MaskDocument::load activates.
  RegionDocument(SlideHistory* history, QObject* parent = nullptr);

  // regionsPath need not exist (no regions yet). Returns false, read-only, when the file is refused, or when it
  // holds what is not a region as well (LeftOutOfRegions: a QuPath export's cells), which a save would drop.
  bool load(const QString& regionsPath, cv::Size imageSize, QString* error);
  void close();
  bool isOpen() const { return !imageSize_.empty(); }
  bool isEditable() const { return editable_; }
  const QString& path() const { return path_; }
  cv::Size imageSize() const { return imageSize_; }
  const std::vector<Region>& regions() const { return regions_; }

  // The edits. A new or renamed region's name is made unique ("LHr", "LHr 2"); an empty name is refused.
  void add(Region region);
  void remove(int index);
  void rename(int index, const QString& name);
  // QuPath's class of the region (Region::classification); empty clears it.
  void classify(int index, const QString& classification);
  // Replaces one region's geometry (a vertex moved). Edits with the same dragId >= 0 in a row merge into one undo
  // step.
  void reshape(int index, Region region, int dragId = -1);
  // Adds every region of a QuPath GeoJSON or an ImageJ ROI set (.zip, .roi), checked first: a refused file changes
  // nothing. Returns the number added; `leftOut` says what the file held that is not a region (LeftOutOfRegions),
  // empty where nothing.
  int importFile(const QString& file, QString* error, QString* leftOut = nullptr);
  QString uniqueName(const QString& wanted, int except = -1) const;
  // While held (a vertex being dragged), edits apply and show but are written once, when the hold ends.
  void holdSaving(bool hold);

  // As MaskDocument's: where a version given up in a conflict is kept, and the two ways to settle one.
  void setSetAsideFolder(const QString& folder) { file_->setSetAsideFolder(folder); }
  bool hasConflict() const { return file_->inConflict(); }
  QString keepMine();
  QString keepTheirs();

signals:
  void changed();
  void saveFailed(const QString& error);
  // As MaskDocument's: loaded again after another program changed the file (the slide's undo history is cleared),
  // an edit waiting on a changed file, and an edit set aside when the document closed in conflict.
  void reloaded(const QString& path);
  void conflict(const QString& path);
  void setAsideOnClose(const QString& path, const QString& keptAt);

private:
  friend class RegionEditCommand;
  void apply(const std::vector<Region>& regions);  // sets and saves
  void save();
  void changedElsewhere();
  void reload();
  void push(const QString& text, std::vector<Region> after, int dragId = -1);

  SlideHistory* history_;
  std::vector<Region> regions_;
  QString path_;
  cv::Size imageSize_;
  bool editable_ = false;
  bool holdSaving_ = false, unsaved_ = false;
  bool closing_ = false;
  GuardedFile* file_;
};

// One edit: the region list before and after (a few polygons: small).
class RegionEditCommand : public HistoryCommand {
public:
  static constexpr int kDragId = 0x52454749;  // "REGI"
  RegionEditCommand(RegionDocument* document, const QString& text, std::vector<Region> before,
                    std::vector<Region> after, int dragId, bool alreadyApplied = false);
  int id() const override { return dragId_ >= 0 ? kDragId : -1; }
  bool mergeWith(const QUndoCommand* other) override;
  std::size_t memoryBytes() const override;
  std::unique_ptr<HistoryCommand> takeApplied() override;

protected:
  void apply() override;
  void revert() override;

private:
  RegionDocument* document_;
  std::vector<Region> before_, after_;
  int dragId_;
};

}  // namespace fluocount::ui
