#include "ui/model/project.h"

#include "core/utf8.h"
#include "ui/model/guarded_file.h"

#include "core/locations.h"
#include "core/atomic_file.h"
#include "core/heatmap_file.h"
#include "core/image_io.h"
#include "core/inference.h"
#include "core/mask_origin.h"
#include "core/model_file.h"
#include "core/slide_folder.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QLockFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace fluocount::ui {

QString fileStamp(const QString& path) {
  const QFileInfo info(path);
  return QString::number(info.size()) + "@" + QString::number(info.lastModified().toMSecsSinceEpoch());
}

QString imageStamp(const QString& path) { return fileStamp(path) + ", read " + QString::number(kImageReaderVersion); }

QString truthStamp(const QString& maskPath, const QString& handCountPath) {
  if (maskPath.isEmpty())
    return handCountPath.isEmpty() ? QStringLiteral("none") : "hand count " + fileStamp(handCountPath);
  const QString labels = QString::fromStdString(labelsFileFor(maskPath.toStdString()));
  return fileStamp(maskPath) + (QFileInfo::exists(labels) ? " labels " + fileStamp(labels) : QString());
}

namespace {

// The diameter a saved result was counted at, when it is the one the counter would use: the recorded one (which a
// counter that estimates or converts from µm must have), or, in a file from before it was recorded, the fixed one.
// Empty: the slide is counted again.
std::optional<double> savedDiameter(const SavedSlide& saved, const CellCounter& counter) {
  const bool perSlide = counter.estimatesDiameter() || counter.settings().cellDiameterUm.has_value();
  if (saved.cellDiameterPx <= 0) return perSlide ? std::nullopt : std::optional(counter.cellDiameterPx());
  if (!perSlide && saved.cellDiameterPx != counter.cellDiameterPx()) return std::nullopt;
  return saved.cellDiameterPx;
}

// Where a saved result's diameter came from: as recorded, or, in a file from before it was recorded, what the
// counter's settings say where they leave no doubt (not with an estimate, which may not have found cells).
std::optional<DiameterSource> savedDiameterSource(const SavedSlide& saved, const CellCounter& counter) {
  if (const auto recorded = diameterSourceNamed(saved.cellDiameterSource.toStdString())) return recorded;
  if (counter.estimatesDiameter()) return std::nullopt;
  if (counter.settings().cellDiameterUm) return DiameterSource::GivenInMicrometres;
  return counter.settings().cellDiameterPx > 0 ? DiameterSource::Given : DiameterSource::Default;
}

// The cached heatmap a saved result was made with. Where the state recorded the file's CRC-32, the file is only
// opened and checked to be that one, and its values are read (and checked) when the slide needs them: a folder of
// hundreds of counted slides opens without reading gigabytes. A state from before that was recorded has the file
// read whole and checked now, at the recorded size. Null: not that heatmap (another run's, damaged, gone), so the
// slide is counted again.
std::shared_ptr<SlideHeatmap> savedHeatmap(const std::string& file, const SavedSlide& saved) {
  const cv::Size size(saved.width, saved.height);
  if (saved.heatmapChecksum && !size.empty()) return SlideHeatmap::openSaved(file, size, *saved.heatmapChecksum);
  return SlideHeatmap::readSaved(file, saved.width > 0 ? std::optional(size) : std::nullopt, std::nullopt);
}

// A mask file that says FluoCount outlined it from a count by hand (core/mask_origin.h: `fluocount-cli masks`, or
// this app) was written after any review, since marking a slide reviewed writes its mask without that: the file,
// not a review saved for an earlier version of it, says what the slide's mask is now.
void takeOutlineMarkFromMaskFile(Slide& slide) {
  if (!slide.hasMask() || maskOriginOfFile(slide.maskPath.toStdString()) != MaskOrigin::OutlinedFromMarks) return;
  slide.maskOutlinedFromMarks = true;
  slide.reviewed = false;
}

}  // namespace

QString statusText(SlideStatus status) {
  switch (status) {
    case SlideStatus::NotRun: return QObject::tr("not run");
    case SlideStatus::Counted: return QObject::tr("counted");
    case SlideStatus::Failed: return QObject::tr("failed");
  }
  return {};
}

Project::Project(QObject* parent) : QObject(parent) {}

Project::~Project() = default;

namespace {

QString lockPathOf(const QString& folder) { return QFileInfo(folder).absoluteFilePath() + "/.fluocount/lock"; }

// What the user should know about the folder's files: those not read (CZI, ND2, ...), TIFF masks newer than the
// PNG mask in use, slides whose file names are not UTF-8, masks and regions files of no slide, and counts by hand
// not used: one line each, so that several read as a list.
QString folderFilesNoteOf(const SlideFolder& scan) {
  std::vector<std::string> namesNotUtf8;
  for (const SlideFiles& files : scan.slides)
    if (!isUtf8(files.image)) namesNotUtf8.push_back(files.image);
  QStringList notes;
  for (const std::string& note :
       {describeUnreadFiles(scan.unread), describeNamesNotUtf8(namesNotUtf8), describeNewerTiffMasks(scan.slides),
        describeMasksOfNoSlide(scan.masksOfNoSlide), describeRegionsOfNoSlide(scan.regionsOfNoSlide),
        describeHandCountsNotUsed(scan.handCountsNotUsed)})
    if (!note.empty()) notes << QString::fromStdString(note);
  return notes.join('\n');
}

}  // namespace

void Project::refreshFolderFilesNote() {
  if (!isOpen()) return;
  try {
    folderFilesNote_ = folderFilesNoteOf(scanSlideFolder(folder_.toStdString()));
  } catch (const std::exception&) {  // the folder is gone: the watch and the slide list say so
  }
}

QString Project::otherUserOf(const QString& folder) const {
  const QString path = lockPathOf(folder);
  if (lock_ && lock_->fileName() == path) return {};
  if (!QFileInfo::exists(path)) return {};
  QLockFile probe(path);
  probe.setStaleLockTime(0);  // never stale by age: only when the process that wrote it is gone
  if (probe.tryLock(0)) {
    probe.unlock();
    return {};
  }
  if (probe.error() != QLockFile::LockFailedError) return {};
  qint64 pid = 0;
  QString host, application;
  if (!probe.getLockInfo(&pid, &host, &application)) return tr("another program");
  return tr("%1 (process %2 on %3)").arg(application.isEmpty() ? tr("a program") : application).arg(pid).arg(host);
}

QString Project::stateFolder() const { return folder_ + "/.fluocount"; }

QString Project::heatmapFile(const QString& folder, const QString& slideName) {
  return folder + "/.fluocount/heatmaps/" + slideName + ".fchm";
}

QString Project::heatmapPath(int index) const { return heatmapFile(folder_, slides_.at(index).name); }

bool Project::open(const QString& folder, QString* error, QString* warning) {
  const QDir root(folder);
  if (!root.exists()) {
    // Qt reads a file name as UTF-8 and puts U+FFFD where its bytes are not: the folder it names then does not exist.
    const bool nameNotUtf8 = folder.contains(QChar::ReplacementCharacter);
    if (error)
      *error = nameNotUtf8 ? tr("%1 cannot be opened: its name, or the name of a folder above it, is in another "
                                "encoding than UTF-8 (from an older system or share), which FluoCount cannot open "
                                "by name. Rename it (a file manager shows such names with '?'), or count it with "
                                "fluocount-cli.")
                                 .arg(folder)
                           : tr("%1 is not a folder").arg(folder);
    return false;
  }
  const SlideFolder scan = scanSlideFolder(folder.toStdString());
  std::vector<Slide> slides;
  for (const SlideFiles& files : scan.slides) {
    if (!isUtf8(files.image)) continue;  // Qt would open another name: the folder note names it instead
    Slide slide;
    slide.imagePath = QFileInfo(QString::fromStdString(files.image)).absoluteFilePath();
    slide.name = QFileInfo(slide.imagePath).fileName();
    if (!files.mask.empty()) slide.maskPath = QFileInfo(QString::fromStdString(files.mask)).absoluteFilePath();
    slide.nameClash = QString::fromStdString(files.nameClash);
    if (!files.handCount.empty())
      slide.handCountPath = QFileInfo(QString::fromStdString(files.handCount)).absoluteFilePath();
    slides.push_back(slide);
  }
  if (slides.empty()) {
    const QString unreadNote = folderFilesNoteOf(scan);  // unread formats, names not UTF-8
    const QString subfolders =
        QString::fromStdString(describeSubfoldersWithSlides(subfoldersWithSlides(scan.imagesFolder)));
    if (error)
      *error = tr("no slides (PNG, TIFF or JPEG images) in %1").arg(QString::fromStdString(scan.imagesFolder)) +
               (unreadNote.isEmpty() ? QString() : "\n\n" + unreadNote) +
               (subfolders.isEmpty() ? QString() : "\n\n" + subfolders + tr(" Open one of them."));
    return false;
  }
  // Everything is read and checked into these before the project changes: a state that fails leaves nothing
  // half-restored (the folder then opens with fresh state, the damaged file kept aside).
  Restored restored{std::move(slides), {}, {}, nullptr, {}};
  const QString absolute = QFileInfo(folder).absoluteFilePath();
  restoreState(absolute, restored, warning);
  for (Slide& slide : restored.slides) takeOutlineMarkFromMaskFile(slide);
  // Taken over when another window holds it: the user was asked first (otherUserOf); its lock file is replaced.
  auto lock = std::make_unique<QLockFile>(lockPathOf(absolute));
  lock->setStaleLockTime(0);
  lock_.reset();  // the folder open until now, which may be this one
  QDir().mkpath(absolute + "/.fluocount");
  if (!lock->tryLock(0) && lock->error() == QLockFile::LockFailedError) {
    QFile::remove(lock->fileName());
    lock->tryLock(0);
  }
  if (lock->isLocked()) lock_ = std::move(lock);
  folder_ = absolute;
  folderFilesNote_ = folderFilesNoteOf(scan);
  ++generation_;
  slides_ = std::move(restored.slides);
  stateVersion_ = restored.stateVersion;
  otherWindowsResults_.clear();
  settings_ = restored.settings;
  previousModel_ = restored.previousModel;
  counter_ = restored.counter;
  emit slidesReset();
  emit settingsChanged();
  return true;
}

void Project::moveAside(const QString& path, const QString& why, QString* warning) {
  const QString aside = path + ".unreadable-" + QDateTime::currentDateTime().toString("yyyyMMdd-hhmmss");
  QFile::rename(path, aside);
  if (warning) *warning = tr("%1: %2. It was kept as %3 and the folder opens with fresh state.").arg(path, why, aside);
}

// Reads <folder>/.fluocount/project.json and the cached heatmaps it refers to into `restored`. A slide's results
// come back only when its image is unchanged (size and time stamp) and its heatmap loads and has the recorded
// size; otherwise that slide alone is counted again.
void Project::restoreState(const QString& folder, Restored& restored, QString* warning) {
  const QString path = folder + "/.fluocount/project.json";
  if (!QFileInfo::exists(path)) return;
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) {
    if (warning) *warning = tr("cannot read %1; the folder opens with fresh state").arg(path);
    return;
  }
  QString problem;
  const QByteArray bytes = file.read(64 << 20);
  file.close();
  const std::optional<ProjectState> state = parseProjectState(bytes, &problem);
  if (!state) return moveAside(path, problem, warning);
  restored.stateVersion = versionOfBytes(bytes.toStdString());

  restored.settings = state->settings;
  restored.previousModel = state->previousModel;
  // Counted in bfloat16 or int8 on a computer that has it, opened on one that has not: this one counts in float32,
  // so the saved results (made in the other arithmetic) are not taken for its own; the slides are counted again,
  // and the settings say float32 from now on.
  const NetworkPrecision savedPrecision = restored.settings.precision;
  const bool madeInAnotherPrecision = savedPrecision != NetworkPrecision::Float32 && !restored.settings.classical &&
                                      !precisionAvailable(savedPrecision, DevicePreference::Automatic);
  if (madeInAnotherPrecision) {
    restored.settings.precision = NetworkPrecision::Float32;
    if (warning)
      *warning = tr("This folder was counted in %1, which this computer does not run; its slides are counted "
                    "again in float32.")
                     .arg(QString::fromStdString(precisionName(savedPrecision)));
  }
  bool countedByAnotherModel = false, readByAnEarlierFluoCount = false;
  for (Slide& slide : restored.slides) {
    const auto found = state->slides.find(slide.name);
    if (found == state->slides.end()) continue;
    const SavedSlide& saved = found->second;
    slide.reviewed = saved.reviewed;
    slide.edited = saved.edited && slide.hasMask();
    slide.maskOutlinedFromMarks = saved.maskOutlinedFromMarks && slide.hasMask() && !slide.reviewed;
    slide.previousCount = saved.previousCount;
    if (saved.counted && saved.stamp == fileStamp(slide.imagePath)) readByAnEarlierFluoCount = true;
    if (madeInAnotherPrecision || !saved.counted || saved.stamp != imageStamp(slide.imagePath)) continue;
    try {
      if (!restored.counter) restored.counter = makeCounter(restored.settings);
      if (saved.modelSha256.toStdString() != restored.counter->modelSha256()) {
        // FluoCount updated with a new bundled model, or the model file replaced: its results are not this
        // model's. Counted again, with the old count beside the new one, as after a switch of model.
        countedByAnotherModel = true;
        if (saved.count >= 0) slide.previousCount = saved.count;
        continue;
      }
      auto analysis = std::make_shared<SlideAnalysis>();
      analysis->imageStamp = saved.stamp;
      analysis->heatmap = savedHeatmap(heatmapFile(folder, slide.name).toStdString(), saved);
      if (!analysis->heatmap) continue;  // not the heatmap this state was saved with
      analysis->size = analysis->heatmap->size();
      const std::optional<double> diameter = savedDiameter(saved, *restored.counter);
      if (!diameter) continue;
      analysis->cellDiameterPx = *diameter;
      analysis->diameterSource = savedDiameterSource(saved, *restored.counter);
      analysis->postprocess = restored.counter->postprocess(*diameter);
      analysis->defaultThreshold = saved.defaultThreshold;
      analysis->seconds = saved.seconds;
      analysis->sweep = saved.sweep;
      analysis->truthStamp = saved.truthStamp;
      slide.analysis = std::move(analysis);
      slide.count = saved.count;
      slide.status = SlideStatus::Counted;
      slide.heatmapCached = true;
    } catch (const std::exception&) {
      // A missing or damaged cached heatmap, or a model that no longer loads: the slide is simply counted again.
    }
  }
  if (countedByAnotherModel) {
    restored.previousModel = tr("the model it was counted with");
    if (warning)
      *warning += (warning->isEmpty() ? QString() : QStringLiteral(" ")) +
                  tr("This folder was counted with another model file than %1 is now (FluoCount updated, or the file "
                     "replaced), so its saved counts are not used: Count Folder counts the slides again, and the "
                     "earlier counts stay beside the new ones (column Before).")
                      .arg(restored.settings.modelPath.isEmpty() ? tr("the bundled model")
                                                                 : QFileInfo(restored.settings.modelPath).fileName());
  }
  if (readByAnEarlierFluoCount && warning)
    *warning += (warning->isEmpty() ? QString() : QStringLiteral(" ")) +
                tr("This folder was counted by an earlier FluoCount, which read some images otherwise (a z-stack was "
                   "its first z-slice; it is now their maximum projection), so its saved counts are not used: Count "
                   "Folder counts the slides again.");
}

bool Project::save(QString* error, QString* note) {
  if (note) note->clear();
  if (!isOpen()) return true;
  try {
    QDir().mkpath(stateFolder() + "/heatmaps");
    const std::string path = (stateFolder() + "/project.json").toStdString();
    for (int attempt = 1;; ++attempt) {
      const FileVersion onDisk = fileVersionOf(path, 64 << 20);
      if (onDisk.exists && onDisk != stateVersion_) takeInOtherWindowsState(readWholeFile(path, 64 << 20), note);
      try {
        stateVersion_ = replaceFileIfUnchanged(path, serialiseProjectState(stateToSave()).toStdString(), onDisk);
        return true;
      } catch (const FileChangedError&) {
        if (attempt == 3) throw;  // the other window saving again and again: say so rather than write over it
      }
    }
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
    return false;
  }
}

ProjectState Project::stateToSave() {
  ProjectState state{settings_, previousModel_, {}};
  for (int i = 0; i < slideCount(); ++i) {
    Slide& slide = slides_[i];
    SavedSlide& saved = state.slides[slide.name];
    saved.reviewed = slide.reviewed;
    saved.edited = slide.edited;
    saved.maskOutlinedFromMarks = slide.maskOutlinedFromMarks;
    saved.previousCount = slide.previousCount;
    if (slide.status == SlideStatus::Counted && slide.analysis) {
      // The count worker caches each heatmap as it is made; this covers a write that failed there. (A file that
      // exists proves nothing: a cancelled run of older settings may have written it after they changed.)
      if (!slide.heatmapCached) {
        const std::string file = heatmapPath(i).toStdString();
        slide.analysis->heatmap->cachedIn(file, saveHeatmap(file, slide.analysis->heatmap->pixels()));
        slide.heatmapCached = true;
      }
      saved.counted = true;
      // The image's version when it was read: one changed since (Fiji saving over it while it was counted)
      // does not match, so its result is not restored as the new file's.
      saved.stamp = slide.analysis->imageStamp;
      saved.modelSha256 = counter_ ? QString::fromStdString(counter_->modelSha256()) : QString();
      saved.width = slide.analysis->size.width;
      saved.height = slide.analysis->size.height;
      saved.heatmapChecksum = slide.analysis->heatmap->fileChecksum();
      saved.count = slide.count;
      saved.cellDiameterPx = slide.analysis->cellDiameterPx;
      saved.cellDiameterSource = slide.analysis->diameterSource
                                     ? QString::fromStdString(diameterSourceName(*slide.analysis->diameterSource))
                                     : QString();
      saved.defaultThreshold = slide.analysis->defaultThreshold;
      saved.seconds = slide.analysis->seconds;
      saved.sweep = slide.analysis->sweep;
      saved.truthStamp = slide.analysis->truthStamp;
    }
  }
  // Another window's results, for slides this one has not counted, while both count with the same settings.
  if (otherWindowsSettings_ == settings_)
    for (const auto& [name, theirs] : otherWindowsResults_) {
      SavedSlide& saved = state.slides[name];
      if (saved.counted) continue;
      const SavedSlide marks = saved;
      saved = theirs;
      saved.reviewed = marks.reviewed;
      saved.edited = marks.edited;
      saved.maskOutlinedFromMarks = marks.maskOutlinedFromMarks;
      saved.previousCount = marks.previousCount;
    }
  return state;
}

void Project::takeInOtherWindowsState(const std::string& bytes, QString* note) {
  const std::optional<ProjectState> theirs = parseProjectState(QByteArray::fromStdString(bytes), nullptr);
  if (!theirs || theirs->settings != settings_) {
    // Not results of this window's settings, nor marks it can tell apart from them: kept whole, aside.
    const QString kept = setAsideCopy(stateFolder() + "/project.json", bytes, stateFolder() + "/set-aside");
    if (note)
      *note = (theirs ? tr("Another FluoCount window saved this folder's state with other settings")
                      : tr("This folder's state was changed elsewhere into a file FluoCount cannot read")) +
              tr("; that version is kept in %1").arg(QDir::toNativeSeparators(kept));
    return;
  }
  if (otherWindowsSettings_ != settings_) otherWindowsResults_.clear();
  otherWindowsSettings_ = settings_;
  for (const auto& [name, other] : theirs->slides) {
    if (other.counted) otherWindowsResults_[name] = other;
    for (int i = 0; i < slideCount(); ++i) {
      Slide& slide = slides_[i];
      if (slide.name != name) continue;
      const bool reviewed = slide.reviewed || other.reviewed,
                 edited = slide.edited || (other.edited && slide.hasMask()),
                 outlined =
                     (slide.maskOutlinedFromMarks || other.maskOutlinedFromMarks) && slide.hasMask() && !reviewed;
      if (reviewed == slide.reviewed && edited == slide.edited && outlined == slide.maskOutlinedFromMarks) continue;
      slide.reviewed = reviewed;
      slide.edited = edited;
      slide.maskOutlinedFromMarks = outlined;
      emit slideChanged(i);
    }
  }
}

int Project::countedSlides() const {
  int counted = 0;
  for (const Slide& slide : slides_) counted += slide.status == SlideStatus::Counted;
  return counted;
}

void Project::setSettings(const ProjectSettings& settings) {
  if (settings == settings_) return;
  // Neither the threshold, the pixel size nor the positivity rules change a heatmap: the pixel size gives the tables
  // their units, the rules their marker columns. (With the diameter in µm the pixel size sets the diameter in
  // pixels, so there it does.)
  ProjectSettings withoutThreshold = settings, oldWithoutThreshold = settings_;
  withoutThreshold.threshold = oldWithoutThreshold.threshold = std::nullopt;
  if (!settings.cellDiameterUm && !settings_.cellDiameterUm)
    withoutThreshold.pixelSizeUm = oldWithoutThreshold.pixelSizeUm = std::nullopt;
  withoutThreshold.positivity = oldWithoutThreshold.positivity = {};
  const bool heatmapsChange = withoutThreshold != oldWithoutThreshold;
  ProjectSettings unitsAndRules = settings;
  unitsAndRules.pixelSizeUm = settings_.pixelSizeUm;
  unitsAndRules.positivity = settings_.positivity;
  if (!heatmapsChange && unitsAndRules != settings)
    counter_.reset();  // the next counter carries the new units or rules
  settings_ = settings;
  if (heatmapsChange) {
    ++generation_;
    counter_.reset();
    for (int i = 0; i < slideCount(); ++i) {
      slides_[i].analysis.reset();
      slides_[i].heatmapCached = false;
      slides_[i].count = -1;
      slides_[i].status = SlideStatus::NotRun;
      QFile::remove(heatmapPath(i));
    }
    emit slidesReset();
  }
  emit settingsChanged();
  emit thresholdChanged();
}

void Project::switchModel(const QString& modelPath) {
  if (!settings_.classical && modelPath == settings_.modelPath) return;
  bool anyCounted = false;
  for (Slide& slide : slides_) {
    if (slide.count >= 0) slide.previousCount = slide.count;
    anyCounted |= slide.count >= 0;
  }
  if (anyCounted) previousModel_ = QFileInfo(modelDescription()).completeBaseName();
  ProjectSettings settings = settings_;
  settings.modelPath = modelPath;
  settings.classical = false;
  settings.threshold = std::nullopt;
  setSettings(settings);
}

std::shared_ptr<const CellCounter> Project::counter() {
  if (!counter_) counter_ = makeCounter(settings_);
  return counter_;
}

std::shared_ptr<const CellCounter> Project::makeCounter(const ProjectSettings& settings) {
  CountSettings count;
  count.automaticDiameter = settings.automaticDiameter;
  count.cellDiameterPx = settings.cellDiameterPx;
  count.cellDiameterUm = settings.cellDiameterUm;
  count.minObjectAreaPx = settings.minObjectAreaPx;
  count.splitTouchingCells = settings.splitTouchingCells;
  count.pixelSizeUm = settings.pixelSizeUm;
  count.channels = settings.channels;
  count.positivity = settings.positivity;
  if (precisionAvailable(settings.precision, count.inference.device)) count.inference.precision = settings.precision;
  const CounterChoice choice{settings.classical, settings.modelPath.toStdString()};
  return std::make_shared<const CellCounter>(chooseCounter(choice, count, defaultModelPath()));
}

QString Project::modelDescription() const {
  const auto modelFile = modelFileFor({settings_.classical, settings_.modelPath.toStdString()}, defaultModelPath());
  if (modelFile) return QString::fromStdString(*modelFile);
  return settings_.classical ? QString("classical") : tr("classical (no bundled model)");
}

void Project::setThreshold(std::optional<double> threshold) {
  if (threshold == settings_.threshold) return;
  settings_.threshold = threshold;
  emit thresholdChanged();
}

double Project::thresholdFor(int index) const {
  if (settings_.threshold) return *settings_.threshold;
  const auto& analysis = slides_.at(index).analysis;
  if (analysis) return analysis->defaultThreshold;
  return modelThreshold().value_or(0.5);  // not counted yet: what its count will use, where that is known
}

std::optional<double> Project::modelThreshold() const {
  if (counter_) return counter_->defaultThreshold();
  const auto modelFile = modelFileFor({settings_.classical, settings_.modelPath.toStdString()}, defaultModelPath());
  if (!modelFile) return std::nullopt;
  if (modelThresholdRead_.first != *modelFile) {
    std::optional<double> threshold;
    try {
      threshold = readModelInfo(*modelFile).threshold;
    } catch (const std::exception&) {
      // Counting reports an unreadable model; until then the slider starts where it always did.
    }
    modelThresholdRead_ = {*modelFile, threshold};
  }
  return modelThresholdRead_.second;
}

bool Project::acceptCounted(const CountedSlide& counted) {
  if (!isCurrent(counted.generation)) return false;
  Slide& slide = slides_.at(counted.index);
  slide.analysis = counted.analysis;
  slide.count = counted.count;
  slide.status = SlideStatus::Counted;
  slide.heatmapCached = counted.heatmapCached;
  slide.error.clear();
  if (!counted.thumbnail.isNull()) slide.thumbnail = counted.thumbnail;
  emit slideChanged(counted.index);
  return true;
}

bool Project::setThumbnail(int index, const QString& imagePath, const QImage& thumbnail) {
  if (index < 0 || index >= slideCount()) return false;
  Slide& slide = slides_[index];
  if (slide.imagePath != imagePath || !slide.thumbnail.isNull()) return false;
  slide.thumbnail = thumbnail;
  emit slideChanged(index);
  return true;
}

bool Project::setFailed(Generation generation, int index, const QString& error) {
  if (!isCurrent(generation)) return false;
  Slide& slide = slides_.at(index);
  slide.analysis.reset();
  slide.heatmapCached = false;
  slide.count = -1;
  slide.status = SlideStatus::Failed;
  slide.error = error;
  emit slideChanged(index);
  return true;
}

bool Project::dropUnreadableResult(Generation generation, int index,
                                   const std::shared_ptr<const SlideAnalysis>& analysis, const QString& error) {
  if (index < 0 || index >= slideCount() || !analysis || slides_[index].analysis != analysis) return false;
  return setFailed(generation, index,
                   tr("its saved result cannot be read back (%1); Count Folder counts it again").arg(error));
}

bool Project::setCounts(Generation generation, const std::vector<int>& countsBySlide) {
  if (!isCurrent(generation)) return false;
  for (int i = 0; i < slideCount() && i < int(countsBySlide.size()); ++i) {
    if (countsBySlide[i] < 0 || countsBySlide[i] == slides_[i].count) continue;
    slides_[i].count = countsBySlide[i];
    emit slideChanged(i);
  }
  return true;
}

bool Project::imageChangedSinceCounted(int index) const {
  const Slide& slide = slides_.at(index);
  return slide.analysis && slide.analysis->imageStamp != imageStamp(slide.imagePath);
}

QString Project::maskPathFor(int index) const {
  const Slide& slide = slides_.at(index);
  if (!slide.nameClash.isEmpty()) return {};
  return QString::fromStdString(maskFileFor(folder_.toStdString(), slide.name.toStdString()));
}

QString Project::maskFileHolding(int index) const {
  const QString png = maskPathFor(index);
  if (png.isEmpty()) return {};
  const QString file = QString::fromStdString(fluocount::maskFileHolding(png.toStdString()));
  return file.isEmpty() ? QString() : QFileInfo(file).absoluteFilePath();
}

QString Project::handCountFileOf(int index) const {
  if (!slides_.at(index).nameClash.isEmpty()) return {};
  const std::string file = handCountFileFor(folder_.toStdString(), slides_.at(index).imagePath.toStdString());
  return file.empty() ? QString() : QFileInfo(QString::fromStdString(file)).absoluteFilePath();
}

QString Project::regionsPathFor(int index) const {
  if (!slides_.at(index).nameClash.isEmpty()) return {};
  return QDir(folder_).filePath("regions/" + QFileInfo(slides_.at(index).name).completeBaseName() + ".geojson");
}

void Project::maskEdited(int index) {
  Slide& slide = slides_.at(index);
  slide.maskPath = maskPathFor(index);
  slide.edited = true;
  emit slideChanged(index);
}

void Project::setMaskOutlinedFromMarks(int index, bool outlined) {
  Slide& slide = slides_.at(index);
  const bool reviewed = !outlined && slide.reviewed;  // new outlines are not reviewed yet
  if (slide.maskOutlinedFromMarks == outlined && slide.reviewed == reviewed) return;
  slide.maskOutlinedFromMarks = outlined;
  slide.reviewed = reviewed;
  emit slideChanged(index);
}

void Project::maskChangedElsewhere(int index) {
  Slide& slide = slides_.at(index);
  slide.maskPath = maskFileHolding(index);
  slide.edited = slide.edited && slide.hasMask();
  slide.maskOutlinedFromMarks = slide.maskOutlinedFromMarks && slide.hasMask();
  takeOutlineMarkFromMaskFile(slide);
  emit slideChanged(index);
}

std::vector<int> Project::slidesMatchedAgainstOtherAnnotations() {
  std::vector<int> stale;
  for (int i = 0; i < slideCount(); ++i) {
    if (maskFileHolding(i) != slides_[i].maskPath) maskChangedElsewhere(i);
    if (const QString counted = handCountFileOf(i); counted != slides_[i].handCountPath) {
      slides_[i].handCountPath = counted;  // a count by hand saved into hand-counts/, or taken away
      emit slideChanged(i);
    }
    const Slide& slide = slides_[i];
    if (slide.analysis && slide.analysis->truthStamp != truthStamp(slide.maskPath, slide.handCountPath))
      stale.push_back(i);
  }
  return stale;
}

bool Project::setMaskSweep(Generation generation, int index, std::shared_ptr<const SlideAnalysis> analysis) {
  if (!isCurrent(generation)) return false;
  Slide& slide = slides_.at(index);
  // The sweep must be of the heatmap the slide still has (a recount in between replaces it).
  if (!slide.analysis || !analysis || slide.analysis->heatmap != analysis->heatmap) return false;
  slide.analysis = std::move(analysis);
  emit slideChanged(index);
  return true;
}

void Project::setReviewed(int index, bool reviewed) {
  if (slides_.at(index).reviewed == reviewed) return;
  slides_[index].reviewed = reviewed;
  if (reviewed) slides_[index].maskOutlinedFromMarks = false;
  emit slideChanged(index);
}

SweepResult Project::folderSweep() const {
  std::vector<const SweepResult*> parts;
  for (const Slide& slide : slides_)
    if (slide.analysis) parts.push_back(&slide.analysis->sweep);
  return combineSweeps(parts);
}

}  // namespace fluocount::ui
