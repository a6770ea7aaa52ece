#pragma once
// A slide folder opened in the GUI: its slides, the counting settings, each slide's cached analysis, and the
// state kept in <folder>/.fluocount/ so that reopening the folder restores settings, results and review marks.
// No widgets here: the panels observe this object through its signals.
#include "core/atomic_file.h"
#include "core/counter.h"
#include "core/threshold_sweep.h"
#include "ui/model/project_state.h"
#include "ui/model/slide_heatmap.h"

#include <QImage>
#include <QObject>
#include <QString>

class QLockFile;

#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace fluocount::ui {

enum class SlideStatus { NotRun, Counted, Failed };

// Identifies the version of an image file (its size and time stamp) that a result was computed from.
QString fileStamp(const QString& path);
// Identifies an image as the counter saw it: its fileStamp and the way core reads it (kImageReaderVersion). Results
// saved with another (the file changed, or an earlier FluoCount read it otherwise) are computed again.
QString imageStamp(const QString& path);
// Identifies the annotations a slide is matched against: the fileStamps of its mask and of the instance labels
// beside it (labels/<stem>.png, where they exist); for a slide without a mask, of its count by hand
// (hand-counts/), or "none" where it has neither (empty paths).
QString truthStamp(const QString& maskPath, const QString& handCountPath);

// What counting one slide produced. Immutable once made, shared with the workers.
struct SlideAnalysis {
  QString imageStamp;  // imageStamp of the image, taken before it was read (empty: unknown, so never current)
  cv::Size size;
  // CV_32F in [0,1], at the image's size; shared by the analyses of one count (a re-match copies the analysis).
  std::shared_ptr<SlideHeatmap> heatmap;
  PostprocessSettings postprocess;  // scaled to cellDiameterPx
  double cellDiameterPx = 0;
  // Where cellDiameterPx came from; empty for a result saved before it was recorded (an estimate's, when the
  // counter estimates: whether it found cells is not known).
  std::optional<DiameterSource> diameterSource;
  double defaultThreshold = 0.5;  // the model's (classical: this image's automatic one)
  double seconds = 0;
  SweepResult sweep;  // this slide over defaultSweepThresholds(), with its mask when it has one
  // The annotations the sweep was matched against (truthStamp in slide_analysis.h), taken before they were read.
  // Empty: unknown (a project saved before it was recorded), so matched again.
  QString truthStamp;
  // The sweep's objects at each of those thresholds, so that an edited mask is matched again without detecting
  // again (null for an analysis reloaded from a saved project: the first re-match detects them).
  std::shared_ptr<const ObjectBoxes> sweepObjects;
};

struct Slide {
  QString name;  // file name
  QString imagePath;
  QString maskPath;  // the file holding its mask (masks/<stem>.png, or a TIFF of that stem), else empty
  // Its count by hand (hand-counts/<name or stem>.roi|.zip|.geojson|.xml, or CellCounter_<...>.xml), else empty:
  // the cells a slide without a mask is matched against.
  QString handCountPath;
  QString nameClash;  // another slide shares its stem: it has no mask or regions file, and this says why
  SlideStatus status = SlideStatus::NotRun;
  QString error;
  bool reviewed = false;
  bool edited = false;  // the user changed its mask in FluoCount
  // Its mask was outlined by FluoCount from its count by hand (Outline Every Count by Hand as a Mask) and nobody has
  // marked the slide reviewed since: the outlines are the network's, made for the user to look over before they
  // train on them.
  bool maskOutlinedFromMarks = false;
  int count = -1;          // at the project's threshold; -1 before counting
  int previousCount = -1;  // with the model used before the last switch of model (-1: none)
  std::shared_ptr<const SlideAnalysis> analysis;
  QImage thumbnail;
  bool heatmapCached = false;  // the analysis' heatmap is in the state folder (else the next save writes it)
  bool hasMask() const { return !maskPath.isEmpty(); }
  bool hasAnnotations() const { return hasMask() || !handCountPath.isEmpty(); }  // a mask or a count by hand
  bool outlinesToReview() const { return maskOutlinedFromMarks && hasMask(); }
};

// Which folder and counting settings a result belongs to. Opening a folder and every change of the model, the
// diameter or the post-processing starts a new generation; work started earlier carries the generation it was
// started in, and the project refuses its result once the generation has moved on (it would otherwise land on
// the slide of the same index in another folder, or mix two models' heatmaps in one table).
using Generation = quint64;

// What the count worker hands back for one slide.
struct CountedSlide {
  Generation generation = 0;
  int index = -1;
  std::shared_ptr<const SlideAnalysis> analysis;
  int count = -1;
  std::optional<double> threshold;  // the user's threshold the count is at (none: the analysis' default)
  QImage thumbnail;
  bool heatmapCached = false;  // the worker wrote the heatmap to the slide's cache file
};

class Project : public QObject {
  Q_OBJECT
public:
  explicit Project(QObject* parent = nullptr);
  ~Project() override;

  // Scans the folder (images in <folder>/images when that exists, else in <folder>; masks in <folder>/masks) and
  // restores the saved state. A damaged or newer state file is moved aside (never lost) and reported in *warning.
  //
  // The folder is taken for this window by a lock, <folder>/.fluocount/lock, held while it stays open: a second
  // window on it would save the folder's state over this one's. A folder whose .fluocount cannot be written (a
  // read-only share) opens without one.
  bool open(const QString& folder, QString* error, QString* warning = nullptr);
  // What the last open found among the folder's files that the user should know: files that look like slides but
  // are not read (Zeiss CZI, Nikon ND2, ...: core describeUnreadFiles), TIFF masks saved after the PNG mask that
  // is used (describeNewerTiffMasks), masks and regions files of no slide; empty when there is nothing to say.
  const QString& folderFilesNote() const { return folderFilesNote_; }
  // Looks at the folder's files again for folderFilesNote (a CZI written into the open folder).
  void refreshFolderFilesNote();
  // Who else holds `folder` open: "fluocount (process 1234 on lab-pc)" when another running FluoCount window holds
  // its lock; empty when no one does, when this project holds it, or when the lock was left by a FluoCount that
  // has since crashed (then it is simply taken over).
  QString otherUserOf(const QString& folder) const;
  bool isOpen() const { return !folder_.isEmpty(); }
  Generation generation() const { return generation_; }
  bool isCurrent(Generation generation) const { return generation == generation_; }
  const QString& folder() const { return folder_; }
  QString stateFolder() const;           // <folder>/.fluocount
  QString heatmapPath(int index) const;  // the slide's cached heatmap in the state folder

  int slideCount() const { return int(slides_.size()); }
  const Slide& slide(int index) const { return slides_.at(index); }
  int countedSlides() const;

  const ProjectSettings& settings() const { return settings_; }
  // Settings that change the heatmaps (model, diameter, post-processing) mark every slide "not run".
  void setSettings(const ProjectSettings& settings);
  // The counter for the current settings, built on first use; throws (e.g. an unreadable model file).
  std::shared_ptr<const CellCounter> counter();
  QString modelDescription() const;  // the model file in use, or "classical"
  // Makes `modelPath` the active model (empty: the bundled one), keeping each counted slide's count as its
  // "before" count and going back to the new model's own threshold. Every slide is then "not run".
  void switchModel(const QString& modelPath);
  // The model the "before" counts came from (empty when there are none).
  const QString& previousModel() const { return previousModel_; }
  // The user's threshold, when they set one; otherwise each slide uses its analysis' default threshold.
  std::optional<double> userThreshold() const { return settings_.threshold; }
  void setThreshold(std::optional<double> threshold);
  // The user's, else the slide's default; before the slide is counted, the model's (0.5 for the classical method,
  // whose default is each image's own).
  double thresholdFor(int index) const;
  // The network model's own threshold, from the counter or the model file's header; none for the classical method.
  std::optional<double> modelThreshold() const;

  // Results of background work. Each returns false, and changes nothing, for a result of an older generation.
  bool acceptCounted(const CountedSlide& counted);
  bool setFailed(Generation generation, int index, const QString& error);
  bool setCounts(Generation generation, const std::vector<int>& countsBySlide);  // -1 leaves a slide as it is
  // The slide's heatmap could not be read back from its cache file (damaged since it was written, a disk failing):
  // its result is dropped and the slide marked failed with why, so that Count Folder counts it again. Only while
  // `analysis` is still the slide's (a newer count's result stands).
  bool dropUnreadableResult(Generation generation, int index, const std::shared_ptr<const SlideAnalysis>& analysis,
                            const QString& error);
  // A thumbnail read before the slide was counted (ThumbnailLoader): taken where the slide at `index` is still that
  // image and has none yet (a count's own thumbnail wins).
  bool setThumbnail(int index, const QString& imagePath, const QImage& thumbnail);
  // Marking a slide reviewed also says its mask outlined from marks has been looked over.
  void setReviewed(int index, bool reviewed);
  // Where the slide's mask is or will be saved: <folder>/masks/<stem>.png; empty for a slide whose stem another
  // slide shares (Slide::nameClash), whose mask would be the other's too.
  QString maskPathFor(int index) const;
  // The file that holds the slide's mask now: that PNG, or a TIFF of its stem beside it (core/slide_folder.h's
  // maskFileHolding); empty when there is none (or for a slide whose stem another slide shares).
  QString maskFileHolding(int index) const;
  // The slide's count by hand in hand-counts/ now (core/slide_folder.h's handCountFileFor); empty when there is none.
  QString handCountFileOf(int index) const;
  // The slide is counted, but its image file is no longer the version that was read (saved over by another
  // program since): its results are not the file's, and Count Folder counts it again.
  bool imageChangedSinceCounted(int index) const;
  // <folder>/regions/<stem>.geojson: the slide's regions, where 'fluocount-cli count --regions <folder>/regions'
  // finds them too; empty for a slide whose stem another slide shares.
  QString regionsPathFor(int index) const;
  // The slide's mask was saved by the editor: it now has one and is marked edited.
  void maskEdited(int index);
  // The slide's mask holds cells FluoCount outlined from its count by hand (true: also no longer reviewed), or no
  // longer does (false: the mask was emptied, or its outlines looked over): Slide::maskOutlinedFromMarks.
  void setMaskOutlinedFromMarks(int index, bool outlined);
  // Another program wrote or removed the slide's mask file: the slide has a mask as long as the file exists.
  void maskChangedElsewhere(int index);
  // The counted slides whose sweep was matched against other annotations than their files hold now (masks drawn,
  // changed or deleted by another program while the folder was closed, or while another slide was on screen).
  // Every slide's mask first follows its file, as maskChangedElsewhere.
  std::vector<int> slidesMatchedAgainstOtherAnnotations();
  // Its sweep against the edited mask, recomputed in the background from the slide's analysis of `generation`.
  bool setMaskSweep(Generation generation, int index, std::shared_ptr<const SlideAnalysis> analysis);

  // The folder's count and F1 against threshold: the counted slides' sweeps combined.
  SweepResult folderSweep() const;

  // Writes project.json and the heatmaps not yet cached, atomically. Returns false and says why in *error. Where
  // another window on the folder saved it meanwhile, its results for slides this one has not counted and its review
  // marks are merged in; a version that cannot be (other settings, unreadable) is set aside first, and *note says
  // where.
  bool save(QString* error, QString* note = nullptr);

signals:
  void slidesReset();
  void slideChanged(int index);
  void settingsChanged();
  void thresholdChanged();

private:
  std::unique_ptr<QLockFile> lock_;  // this window's hold on the folder (none on a read-only share)
  struct Restored {
    std::vector<Slide> slides;
    ProjectSettings settings;
    QString previousModel;
    std::shared_ptr<const CellCounter> counter;
    FileVersion stateVersion;  // of project.json as read (none: absent, or moved aside as damaged)
  };
  static void restoreState(const QString& folder, Restored& restored, QString* warning);
  ProjectState stateToSave();  // writes the heatmaps not cached yet
  // project.json as another window on the folder saved it: its results (for slides this one has not counted) are
  // kept for every later save and its review and edit marks joined to these, where it counts with these settings;
  // otherwise it is set aside, and *note says where.
  void takeInOtherWindowsState(const std::string& bytes, QString* note);
  static void moveAside(const QString& path, const QString& why, QString* warning);
  static std::shared_ptr<const CellCounter> makeCounter(const ProjectSettings& settings);
  static QString heatmapFile(const QString& folder, const QString& slideName);

  QString folder_;
  QString folderFilesNote_;
  // project.json as this project last read or wrote it: anything else found there at a save was written by another
  // window on the folder (opened anyway), whose results save() merges rather than drops.
  FileVersion stateVersion_;
  // Results another window saved for slides this one has not counted, with the settings they were counted under.
  std::map<QString, SavedSlide> otherWindowsResults_;
  ProjectSettings otherWindowsSettings_;
  std::vector<Slide> slides_;
  ProjectSettings settings_;
  std::shared_ptr<const CellCounter> counter_;
  mutable std::pair<std::string, std::optional<double>> modelThresholdRead_;  // model file -> its threshold
  QString previousModel_;
  Generation generation_ = 0;
};

QString statusText(SlideStatus status);

}  // namespace fluocount::ui
