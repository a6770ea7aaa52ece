#pragma once
// FluoCount's main window: it assembles the panels (slide list, canvas, threshold panel, layers) around one
// Project and wires them to the workers. The panels know nothing of each other.
#include "core/heatmap_file.h"
#include "ui/model/cell_diameter.h"
#include "ui/model/count_worker.h"
#include "ui/model/exporter.h"
#include "ui/model/latest_only.h"
#include "ui/model/mask_document.h"
#include "ui/model/mask_tool_controller.h"
#include "ui/model/project.h"
#include "ui/model/region_document.h"
#include "ui/model/region_tools.h"
#include "ui/slide_canvas.h"
#include "ui/model/held_out_score.h"
#include "ui/model/training_plan.h"
#include "ui/model/training_worker.h"

#include <QElapsedTimer>
#include <QMainWindow>

#include <functional>
#include <QThread>

class QDockWidget;
class QLabel;
class QMenu;
class QProgressBar;
class QPushButton;
class QTableView;

namespace fluocount::ui {

class LayersPanel;
class NoteBar;
struct OutlinedHandCount;
class RegionsPanel;
class SlideFolderWatch;
class ThumbnailLoader;
class SlideListModel;
class ThresholdPanel;
class TrainingPanel;

class MainWindow : public QMainWindow {
  Q_OBJECT
public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  bool openFolder(const QString& folder);
  // Unattended (the app counting without a display): warnings go to stderr instead of dialogs that no one could
  // answer, and a folder another window holds is not taken over.
  void setUnattended(bool unattended) { unattended_ = unattended; }
  // Reads the open folder's slides again (File > Reload Folder, and by itself when files appear in or vanish from
  // it): each slide keeps its results, marks and edit history; the slide on screen stays on screen. Waits while
  // the folder is being counted or a model trained.
  void reloadFolder();
  void countAll(bool again = false);
  void cancelCounting();
  bool isCounting() const { return counting_; }
  // Exports without asking (the dialog calls this too), on a worker thread behind a progress dialog with Cancel, so
  // that a folder of hundreds of slides does not freeze the window. Returns false and says why on failure (or when
  // cancelled, which sets *cancelled: nothing is half-written, every file is atomic).
  bool exportTo(const ExportPlan& plan, QString* error = nullptr, bool* cancelled = nullptr);
  void selectSlide(int index);
  int currentSlide() const { return current_; }
  void chooseThreshold(double threshold);
  // The counting settings dialog's choice (the tests call it directly): a change of model, diameter, channels or
  // post-processing counts again; a new pixel size changes only units.
  void applySettings(const ProjectSettings& settings);

  // Retraining (main_window_training.cpp). startTraining fills in the plan's output version; it returns false and
  // says why when the run cannot start.
  bool startTraining(TrainingPlan plan);
  bool resumeTraining();
  void cancelTraining();
  bool isTraining() const { return training_; }
  // Makes the model active (empty: the bundled one); with `recount`, counts the folder again with it.
  void useModel(const QString& modelPath, bool recount);
  std::optional<TrainingJob> trainingJob() const { return job_; }

  // The cell-diameter tools (main_window_diameter.cpp): estimate from the slides (asks before applying), the
  // calibration lines on the canvas, and setting the folder's diameter (counts again).
  void measureCellDiameter();
  void applyCellDiameter(double diameterPx);
  DiameterCalibration* diameterCalibration() const { return calibration_; }
  std::optional<FolderDiameter> lastDiameterMeasurement() const { return lastDiameterMeasurement_; }

  // Edit > Propose Cells from the Count by Hand: the slide on screen's marks (hand-counts/) as proposals to review,
  // each outlined where the network's heatmap reaches one half (core/cells_of_marks.h), so that a slide counted by
  // hand becomes a mask to retrain on. Says why not when the slide has no count by hand or is not counted yet.
  void proposeCellsFromHandCount();
  // Edit > Outline Every Count by Hand as a Mask (main_window_hand_counts.cpp): every counted slide with a count by
  // hand and no mask gets one, its marks outlined as proposeCellsFromHandCount outlines them (exactly the cells
  // 'fluocount-cli masks' writes for that heatmap); existing masks are kept. The slide on screen takes its cells as
  // one undo step. askToOutlineCountsByHand says what it will do first; outlineCountsByHand does it, and ends with a
  // summary (countsByHandOutlined).
  void askToOutlineCountsByHand();
  void outlineCountsByHand();

  Project* project() const { return project_; }
  SlideCanvas* canvas() const { return canvas_; }
  ThresholdPanel* thresholdPanel() const { return thresholdPanel_; }
  MaskDocument* maskDocument() const { return mask_; }
  MaskToolController* maskTools() const { return tools_; }
  RegionDocument* regionDocument() const { return regions_; }
  RegionToolController* regionTools() const { return regionTools_; }
  RegionsPanel* regionsPanel() const { return regionsPanel_; }
  // The pixel size of the slide on screen (the folder's setting, else what its file declares).
  std::optional<PixelSize> currentPixelSize() const { return currentPixelSize_; }
  QTableView* slideList() const { return slideList_; }
  TrainingPanel* trainingPanel() const { return trainingPanel_; }
  QDockWidget* trainingDock() const { return trainingDock_; }
  TrainingWorker* trainingWorker() const { return trainer_; }

signals:
  void countingFinished(bool cancelled);
  void overlayUpdated();        // the canvas shows detections for the current threshold
  void slideLoaded(int index);  // the current slide, its mask and layers are on screen
  void proposalsReady();
  void countsByHandOutlined(int slides, const QStringList& failed);
  void trainingFinished(fluocount::ui::TrainingResult result);
  void diameterMeasured(double diameterPx);  // 0: no cells found (or cancelled)

protected:
  void closeEvent(QCloseEvent*) override;
  void changeEvent(QEvent*) override;
  void dragEnterEvent(QDragEnterEvent*) override;
  void dropEvent(QDropEvent*) override;

private:
  void buildActions();
  void buildDocks();
  void buildEditing();
  void buildTraining();
  void buildDiameterTools();
  void buildRegions();  // main_window_regions.cpp
  void loadRegionDocument(int index, cv::Size size);
  void refreshRegionCounts();
  void openPositivity();  // the positivity rules, set on the histograms of the cells on screen
  // The project's counter, or null after telling the user why there is none (e.g. an unreadable model file).
  std::shared_ptr<const CellCounter> counterOrWarning(const QString& title);
  void showCalibration();
  void offerMeasuredDiameter(const FolderDiameter& result);
  // After a count: the note in the status bar that the folder was counted at the model's default cell diameter
  // (defaultDiameterNote), with Measure and Calibrate; hidden once the user sets a diameter or opens another folder.
  void showDefaultDiameterNote();
  void showFolderFilesNote(bool reloading);
  void loadThumbnails();  // of the slides that have none yet
  void launchTraining(const TrainingSettings& settings, bool resumed);
  void onTrainingProgress(const TrainingProgress& progress);
  void onTrainingFinished(const TrainingResult& result);
  void countWithNewVersion();
  void compareHeldOutSlides();
  void openRetrainDialog();
  void openModelVersions();
  void restoreTrainingJob();
  void stopTrainingForClose();
  void saveJob();
  void loadMaskDocument(int index, cv::Size size);
  void onMaskSaved(const QString& maskPath);
  // The slide on screen's mask file says what its status says: "outlined from a count by hand" while its outlines
  // wait for review, nothing once they are reviewed (core/mask_origin.h), so that `train` and `evaluate` see it too.
  void writeReviewIntoMaskFile();
  void onMaskReloaded(const QString& maskPath);
  int slideOfMaskFile(const QString& maskPath) const;
  void rematchSlide(int index, const std::optional<Detection>& truth);
  void rematchAnnotationsChangedElsewhere();
  // A conflict between an edit and a file another program changed, and how to settle it.
  struct FileConflict {
    std::function<bool()> pending;
    std::function<QString()> keepMine, keepTheirs;  // each returns where the other version was set aside
  };
  void askAboutConflict(const QString& path, const FileConflict& conflict);
  void reportSetAsideOnClose(const QString& path, const QString& keptAt);
  void proposeCells();
  void showProposals();
  void takeOutlinedCountsByHand(std::vector<OutlinedHandCount>& outlined, const QStringList& notCounted);
  void chooseFolder();
  bool openFolderKeeping(const QString& folder, bool keepEditHistory);
  void onSlideFilesChanged(const QStringList& added, const QStringList& removed);
  void openSettings();
  void openExportDialog();
  void showAbout();
  void rememberFolder(const QString& folder);
  void refreshRecentMenu();
  void saveProjectState();  // the folder's project.json (QMainWindow::saveState is the dock layout)
  void restoreWindowState();

  void loadCurrentSlide();
  void refreshOverlay(double threshold);
  void refreshCurves();
  void recountFolder(double threshold);
  // Slides whose saved heatmaps a background job could not read back: each is marked failed, to be counted again.
  struct UnreadableResult {
    int index;
    std::shared_ptr<const SlideAnalysis> analysis;
    QString error;
  };
  void dropUnreadableResults(Generation generation, const std::vector<UnreadableResult>& unreadable);
  // What a background job hands back for a slide whose heatmap it could not read: that drop, on the GUI thread.
  std::function<void()> dropUnreadableResultLater(Generation generation, int index,
                                                  std::shared_ptr<const SlideAnalysis> analysis,
                                                  const HeatmapFileError& error);
  void onSlideCounted(const CountedSlide& counted);
  void onCountingFinished(bool cancelled);
  // Counts `jobs` on the worker thread; `othersMedianPx` as CountWorker::run's.
  void startCounting(std::vector<CountWorker::Job> jobs, std::shared_ptr<const CellCounter> counter,
                     std::optional<double> othersMedianPx = std::nullopt);
  // The folder's second pass, as the CLI's (core/counter.h, SecondPass): the slides in which too few cells were
  // found to estimate their diameter are counted again at the median of the other slides' estimates. Returns
  // whether it started.
  bool countAgainAtTheFolderMedian();
  void showHover(QPoint pixel);
  void updateCountLabel();
  void applyDisplayRange(double low, double high);

  Project* project_;
  SlideListModel* slideModel_;
  SlideFolderWatch* folderWatch_;
  ThumbnailLoader* thumbnails_;  // the slide list's thumbnails before counting
  bool reloadWaiting_ = false;
  QElapsedTimer countSaved_;  // since the state was last saved during Count Folder
  bool unattended_ = false;
  void warn(const QString& title, const QString& text);  // the folder's files changed while counting or training
  QTableView* slideList_;
  SlideCanvas* canvas_;
  ThresholdPanel* thresholdPanel_;
  LayersPanel* layersPanel_;
  QProgressBar* progress_;
  QLabel* hoverLabel_;
  // The heatmap under the cursor, held while the cursor stays on its slide: read once, not at every mouse move,
  // whether it is in memory or must be read back (ui/model/slide_heatmap.h).
  std::shared_ptr<const SlideAnalysis> hoverAnalysis_;
  cv::Mat hoverHeatmap_;
  QLabel* modelLabel_;
  QMenu* recentMenu_;
  QAction *countAction_, *recountAction_, *cancelAction_, *exportAction_, *reviewedAction_;
  QMenu* countMenu_ = nullptr;

  DiameterCalibration* calibration_ = nullptr;
  QAction *measureDiameterAction_ = nullptr, *calibrateAction_ = nullptr;
  QWidget* calibrationBar_ = nullptr;
  QLabel* calibrationLabel_ = nullptr;
  QPushButton* useCalibrationButton_ = nullptr;
  NoteBar* diameterNoteBar_ = nullptr;
  NoteBar* folderFilesBar_ = nullptr;  // files FluoCount does not read (CZI, ND2, ...), newer TIFF masks
  bool measuringDiameter_ = false;
  std::optional<FolderDiameter> lastDiameterMeasurement_;

  QThread countThread_;
  CountWorker* worker_;
  bool counting_ = false;
  bool countingAtTheMedian_ = false;  // the count running is the second pass, which is not followed by another
  LatestOnly slideLoader_, detector_, recounter_, resweeper_, proposer_;
  LatestOnly handCountOutliner_;
  LatestOnly annotationRematcher_;  // apart from resweeper_, whose newer requests would drop a waiting batch
  MaskDocument* mask_;
  MaskToolController* tools_;
  QActionGroup* toolActions_ = nullptr;
  RegionDocument* regions_ = nullptr;
  RegionToolController* regionTools_ = nullptr;
  RegionsPanel* regionsPanel_ = nullptr;

  TrainingPanel* trainingPanel_ = nullptr;
  QDockWidget* trainingDock_ = nullptr;
  QThread trainingThread_;
  TrainingWorker* trainer_ = nullptr;
  bool training_ = false;
  std::optional<TrainingJob> job_;
  ComputeDevice device_;
  QAction *retrainAction_ = nullptr, *cancelTrainingAction_ = nullptr, *resumeTrainingAction_ = nullptr;
  // A finished run's version counting the folder: the held-out slides as the starting model scored them, waiting
  // for the version's results of this generation (a later change of folder or settings drops it).
  struct PendingHeldOutComparison {
    HeldOutScore before;
    QStringList usedInRun;
    Generation generation = 0;
  };
  std::optional<PendingHeldOutComparison> pendingHeldOut_;

  // The current slide as loaded for display.
  int current_ = -1;
  cv::Mat currentSeen_, currentIntensity_;                 // the slide's raw values as the counter's channels show them
  std::pair<double, double> currentCountedRange_{0, 255};  // the raw values the counter sees as 0 and 1
  std::optional<Detection> currentTruth_;
  std::optional<PixelSize> currentPixelSize_;
  QVector<QPointF> currentCentres_;          // the detections on screen, for the regions' counts
  std::vector<cv::Mat> currentChannels_;     // a multi-channel slide's raw channels, shown as a composite
  std::vector<cv::Mat> currentRawChannels_;  // every slide's raw channels (cells' means for positivity)
  std::vector<std::string> currentChannelNames_;
  int currentBitDepth_ = 8;
  cv::Mat currentLabels_;  // the detections on screen
};

}  // namespace fluocount::ui
