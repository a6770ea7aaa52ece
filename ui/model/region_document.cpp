#include "ui/model/region_document.h"

#include "core/atomic_file.h"
#include "core/imagej_roi.h"

#include <QDir>
#include <QFileInfo>

#include <set>

namespace fluocount::ui {

RegionDocument::RegionDocument(SlideHistory* history, QObject* parent)
    : QObject(parent), history_(history), file_(new GuardedFile(this)) {
  connect(file_, &GuardedFile::changedElsewhere, this, &RegionDocument::changedElsewhere);
}

bool RegionDocument::load(const QString& regionsPath, cv::Size imageSize, QString* error) {
  close();
  path_ = regionsPath;
  imageSize_ = imageSize;
  editable_ = true;
  file_->follow(regionsPath);  // before reading: a change made while it is read shows as a change
  if (QFileInfo::exists(regionsPath)) {
    try {
      LeftOutOfRegions leftOut;
      regions_ = loadRegions(regionsPath.toStdString(), imageSize, &leftOut);
      if (leftOut.any()) {
        // Saving writes the regions alone: the rest of the file (a QuPath export's detections) would be lost.
        editable_ = false;
        if (error)
          *error = tr("%1 also holds %2. Its regions are shown read-only, so that saving them never drops the rest "
                      "of the file; to edit them, move the file out of the folder's regions/ and Import it.")
                       .arg(regionsPath, QString::fromStdString(leftOut.describe()));
        emit changed();
        return false;
      }
    } catch (const RegionError& e) {
      editable_ = false;  // never overwrite a file the user may still need
      if (error) *error = tr("%1 (the regions are shown read-only until the file is fixed or removed)").arg(e.what());
      emit changed();
      return false;
    }
  }
  emit changed();
  return true;
}

void RegionDocument::close() {
  closing_ = true;
  holdSaving(false);  // an edit held back by a drag is written before the document goes
  if (file_->inConflict()) {
    // No one is left to ask: the file stays as the other program left it, and the edit is kept beside it.
    try {
      emit setAsideOnClose(path_, file_->keepTheirs(regionsGeoJson(regions_)));
    } catch (const std::exception& e) {
      emit saveFailed(QString::fromUtf8(e.what()));
    }
  }
  file_->follow({});
  closing_ = false;
  regions_.clear();
  path_.clear();
  imageSize_ = {};
  editable_ = false;
  emit changed();
}

QString RegionDocument::uniqueName(const QString& wanted, int except) const {
  std::set<std::string> taken;
  for (std::size_t i = 0; i < regions_.size(); ++i)
    if (int(i) != except) taken.insert(regions_[i].name);
  return QString::fromStdString(claimRegionName(wanted.trimmed().toStdString(), taken));
}

void RegionDocument::push(const QString& text, std::vector<Region> after, int dragId) {
  if (!editable_) return;
  history_->push(new RegionEditCommand(this, text, regions_, std::move(after), dragId));
}

void RegionDocument::add(Region region) {
  region.name =
      uniqueName(region.name.empty() ? tr("Region %1").arg(regions_.size() + 1) : QString::fromStdString(region.name))
          .toStdString();
  const QString text = tr("Add region %1").arg(QString::fromStdString(region.name));
  std::vector<Region> after = regions_;
  after.push_back(std::move(region));
  push(text, std::move(after));
}

void RegionDocument::remove(int index) {
  if (index < 0 || index >= int(regions_.size())) return;
  std::vector<Region> after = regions_;
  after.erase(after.begin() + index);
  push(tr("Delete region %1").arg(QString::fromStdString(regions_[index].name)), std::move(after));
}

void RegionDocument::classify(int index, const QString& classification) {
  const std::string trimmed = classification.trimmed().toStdString();
  if (index < 0 || index >= int(regions_.size()) || trimmed == regions_[index].classification) return;
  std::vector<Region> after = regions_;
  after[index].classification = trimmed;
  push(trimmed.empty() ? tr("Clear the class of region %1").arg(QString::fromStdString(regions_[index].name))
                       : tr("Classify region %1 as %2")
                             .arg(QString::fromStdString(regions_[index].name), QString::fromStdString(trimmed)),
       std::move(after));
}

void RegionDocument::rename(int index, const QString& name) {
  if (index < 0 || index >= int(regions_.size()) || name.trimmed().isEmpty()) return;
  const QString unique = uniqueName(name, index);
  if (unique.toStdString() == regions_[index].name) return;
  std::vector<Region> after = regions_;
  after[index].name = unique.toStdString();
  push(tr("Rename region to %1").arg(unique), std::move(after));
}

void RegionDocument::reshape(int index, Region region, int dragId) {
  if (index < 0 || index >= int(regions_.size())) return;
  std::vector<Region> after = regions_;
  region.name = regions_[index].name;  // a new outline, the same region
  region.classification = regions_[index].classification;
  after[index] = std::move(region);
  push(tr("Edit region %1").arg(QString::fromStdString(regions_[index].name)), std::move(after), dragId);
}

int RegionDocument::importFile(const QString& file, QString* error, QString* leftOut) {
  if (!editable_) {
    if (error) *error = tr("the slide's regions file is read-only");
    return 0;
  }
  std::vector<Region> imported;
  LeftOutOfRegions notRegions;
  try {
    const std::string path = file.toStdString();
    const QString suffix = QFileInfo(file).suffix().toLower();
    imported = suffix == "zip" || suffix == "roi" ? loadRoiRegions(path, imageSize_, &notRegions)
                                                  : loadRegions(path, imageSize_, &notRegions);
  } catch (const RegionError& e) {
    if (error) *error = QString::fromUtf8(e.what());
    return 0;
  }
  std::vector<Region> after = regions_;
  std::set<std::string> taken;
  for (const Region& region : regions_) taken.insert(region.name);
  for (Region& region : imported) {
    region.name = claimRegionName(region.name, taken);  // unique among the existing and the imported so far
    after.push_back(std::move(region));
  }
  push(tr("Import %n region(s)", nullptr, int(imported.size())), std::move(after));
  if (leftOut) *leftOut = notRegions.any() ? QString::fromStdString(notRegions.describe()) : QString();
  return int(imported.size());
}

void RegionDocument::holdSaving(bool hold) {
  holdSaving_ = hold;
  if (!hold && unsaved_) save();
}

void RegionDocument::apply(const std::vector<Region>& regions) {
  regions_ = regions;
  emit changed();
  if (holdSaving_)
    unsaved_ = true;
  else
    save();
}

void RegionDocument::save() {
  if (!editable_ || path_.isEmpty()) {
    unsaved_ = false;
    return;
  }
  try {
    // A refused write keeps the edit waiting (unsaved_) and reports the conflict (changedElsewhere).
    unsaved_ = true;
    if (!file_->inConflict() && file_->write(regionsGeoJson(regions_))) unsaved_ = false;
  } catch (const std::exception& e) {
    unsaved_ = false;
    emit saveFailed(QString::fromUtf8(e.what()));
  }
}

// As MaskDocument::changedElsewhere: loaded again when no edit of ours waits, else a conflict for the user.
void RegionDocument::changedElsewhere() {
  if (path_.isEmpty()) return;
  switch (file_->respondToChange(unsaved_, closing_)) {
    case GuardedFile::Response::Reload: reload(); break;
    case GuardedFile::Response::AskUser: emit conflict(path_); break;
    case GuardedFile::Response::Nothing: break;
  }
}

void RegionDocument::reload() {
  unsaved_ = false;
  const QString path = path_;
  const cv::Size size = imageSize_;
  history_->clearActive();  // its steps hold region lists of the file as it was
  QString error;
  load(path, size, &error);
  emit reloaded(path);
}

QString RegionDocument::keepMine() {
  if (!file_->inConflict()) return {};
  const QString kept = file_->keepMine(regionsGeoJson(regions_));
  unsaved_ = false;
  return kept;
}

QString RegionDocument::keepTheirs() {
  if (!file_->inConflict()) return {};
  const QString kept = file_->keepTheirs(regionsGeoJson(regions_));
  reload();
  return kept;
}

RegionEditCommand::RegionEditCommand(RegionDocument* document, const QString& text, std::vector<Region> before,
                                     std::vector<Region> after, int dragId, bool alreadyApplied)
    : HistoryCommand(text, alreadyApplied), document_(document), before_(std::move(before)), after_(std::move(after)),
      dragId_(dragId) {}

void RegionEditCommand::revert() { document_->apply(before_); }
void RegionEditCommand::apply() { document_->apply(after_); }

bool RegionEditCommand::mergeWith(const QUndoCommand* other) {
  const auto* later = dynamic_cast<const RegionEditCommand*>(other);
  if (!later || later->document_ != document_ || later->dragId_ != dragId_ || dragId_ < 0) return false;
  after_ = later->after_;
  return true;
}

namespace {
std::size_t bytesOf(const std::vector<Region>& regions) {
  std::size_t bytes = regions.size() * sizeof(Region);
  for (const Region& region : regions) {
    bytes += region.name.size();
    for (const auto& polygon : region.polygons)
      for (const Ring& ring : polygon) bytes += sizeof(Ring) + ring.size() * sizeof(ring.front());
  }
  return bytes;
}
}  // namespace

std::size_t RegionEditCommand::memoryBytes() const { return sizeof(*this) + bytesOf(before_) + bytesOf(after_); }

std::unique_ptr<HistoryCommand> RegionEditCommand::takeApplied() {
  return std::make_unique<RegionEditCommand>(document_, text(), std::move(before_), std::move(after_), dragId_, true);
}

}  // namespace fluocount::ui
