#include "ui/main_window.h"

#include "ui/model/slide_view.h"

#include "core/heatmap_file.h"
#include "core/image_io.h"
#include "core/locations.h"
#include "ui/layers_panel.h"
#include "ui/note_bar.h"
#include "ui/settings_dialog.h"
#include "ui/model/slide_analysis.h"
#include "ui/model/slide_folder_watch.h"
#include "ui/model/slide_list_model.h"
#include "ui/model/thumbnail_loader.h"
#include "ui/threshold_panel.h"
#include "ui/training_panel.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileDialog>
#include <QHeaderView>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QSettings>
#include <QStatusBar>
#include <QActionGroup>
#include <QTableView>
#include <QToolBar>
#include <QUndoView>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <utility>

namespace fluocount::ui {

namespace {
const QColor kOutlineColour(80, 220, 255);
}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), project_(new Project(this)) {
  setWindowTitle(tr("FluoCount"));
  setAcceptDrops(true);
  canvas_ = new SlideCanvas;
  setCentralWidget(canvas_);
  mask_ = new MaskDocument(new SlideHistory(this), this);
  tools_ = new MaskToolController(mask_, this);
  canvas_->setToolController(tools_);
  slideModel_ = new SlideListModel(project_, this);
  folderWatch_ = new SlideFolderWatch(this);
  thumbnails_ = new ThumbnailLoader(this);
  connect(thumbnails_, &ThumbnailLoader::thumbnailReady, project_, &Project::setThumbnail);
  connect(folderWatch_, &SlideFolderWatch::slidesChanged, this, &MainWindow::onSlideFilesChanged);
  connect(folderWatch_, &SlideFolderWatch::unreadFilesChanged, this, [this] {
    project_->refreshFolderFilesNote();
    showFolderFilesNote(/*reloading=*/true);
  });
  buildDocks();
  buildActions();
  buildEditing();
  buildTraining();
  buildDiameterTools();
  buildRegions();
  folderFilesBar_ = new NoteBar("folder-files-note");
  statusBar()->insertPermanentWidget(0, folderFilesBar_, 3);

  progress_ = new QProgressBar;
  progress_->setMaximumWidth(260);
  progress_->setVisible(false);
  hoverLabel_ = new QLabel;
  modelLabel_ = new QLabel;
  statusBar()->addWidget(hoverLabel_, 1);
  statusBar()->addPermanentWidget(progress_);
  statusBar()->addPermanentWidget(modelLabel_);

  worker_ = new CountWorker;
  worker_->moveToThread(&countThread_);
  connect(&countThread_, &QThread::finished, worker_, &QObject::deleteLater);
  connect(worker_, &CountWorker::slideCounted, this, &MainWindow::onSlideCounted);
  connect(worker_, &CountWorker::slideFailed, this, [this](Generation generation, int index, const QString& error) {
    if (!project_->setFailed(generation, index, error)) return;
    statusBar()->showMessage(tr("%1: %2").arg(project_->slide(index).name, error), 10000);
  });
  connect(worker_, &CountWorker::progress, this, [this](int done, int total, const QString& current) {
    progress_->setRange(0, total);
    progress_->setValue(done);
    progress_->setFormat(current.isEmpty() ? tr("%v/%m") : tr("%v/%m  %1").arg(current));
  });
  connect(worker_, &CountWorker::finished, this, &MainWindow::onCountingFinished);
  countThread_.start();

  connect(project_, &Project::slidesReset, this, [this] {
    refreshCurves();
    if (current_ >= 0) loadCurrentSlide();
  });
  connect(canvas_, &SlideCanvas::hovered, this, &MainWindow::showHover);
  connect(project_, &Project::slideChanged, this, &MainWindow::updateCountLabel);
  connect(slideList_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
          [this](const QModelIndex& index) {
            if (index.isValid() && index.row() != current_) {
              current_ = index.row();
              loadCurrentSlide();
            }
          });
  connect(thresholdPanel_, &ThresholdPanel::thresholdChanging, this, [this](double t) { refreshOverlay(t); });
  connect(thresholdPanel_, &ThresholdPanel::thresholdChosen, this, &MainWindow::chooseThreshold);
  connect(thresholdPanel_, &ThresholdPanel::useModelThreshold, this, [this] {
    project_->setThreshold(std::nullopt);
    const double t = current_ >= 0 ? project_->thresholdFor(current_) : 0.5;
    thresholdPanel_->setThreshold(t);
    refreshOverlay(t);
    recountFolder(-1);
  });
  connect(layersPanel_, &LayersPanel::layersChanged, canvas_, &SlideCanvas::setLayers);
  connect(layersPanel_, &LayersPanel::displayRangeChanged, this, &MainWindow::applyDisplayRange);
  connect(layersPanel_, &LayersPanel::channelsChanged, this, [this](const std::vector<ChannelView>& views) {
    if (!currentChannels_.empty()) canvas_->replaceImage(compositeImage(currentChannels_, views));
  });
  connect(layersPanel_, &LayersPanel::channelAutoContrastRequested, this, [this] {
    if (currentChannels_.empty()) return;
    const std::vector<ChannelView> views = withAutoRanges(layersPanel_->channels(), currentChannels_);
    layersPanel_->setChannels(views);
    canvas_->replaceImage(compositeImage(currentChannels_, views));
  });
  connect(layersPanel_, &LayersPanel::autoContrastRequested, this, [this] {
    if (currentSeen_.empty()) return;
    const auto [low, high] = autoContrastRange(currentSeen_);
    layersPanel_->setDisplayRange(low, high);
    applyDisplayRange(low, high);
  });
  connect(layersPanel_, &LayersPanel::resetDisplayRequested, this, [this] {
    if (currentSeen_.empty()) return;
    layersPanel_->setDisplayRange(currentCountedRange_.first, currentCountedRange_.second);
    applyDisplayRange(currentCountedRange_.first, currentCountedRange_.second);
  });
  restoreWindowState();
  refreshCurves();
}

MainWindow::~MainWindow() {
  worker_->cancel();
  countThread_.quit();
  countThread_.wait();
  trainer_->cancel();
  trainingThread_.quit();
  trainingThread_.wait();
}

void MainWindow::buildDocks() {
  slideList_ = new QTableView;
  slideList_->setModel(slideModel_);
  slideList_->setSelectionBehavior(QAbstractItemView::SelectRows);
  slideList_->setSelectionMode(QAbstractItemView::SingleSelection);
  slideList_->verticalHeader()->setVisible(false);
  slideList_->verticalHeader()->setDefaultSectionSize(40);
  slideList_->setIconSize(QSize(48, 36));
  // Names too long for the column lose their middle: slides of one study share a prefix and differ at the end
  // ("..._r1.png", "..._r2.png").
  slideList_->setTextElideMode(Qt::ElideMiddle);
  slideList_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  slideList_->horizontalHeader()->setSectionResizeMode(SlideListModel::NameColumn, QHeaderView::Stretch);
  // The status grows with its marks ("counted, mask edited, reviewed"); sized to contents it would squeeze the names
  // out of sight, so it keeps a width the user can drag, and its tooltip says it whole.
  slideList_->horizontalHeader()->setSectionResizeMode(SlideListModel::StatusColumn, QHeaderView::Interactive);
  slideList_->setColumnWidth(SlideListModel::StatusColumn,
                             slideList_->fontMetrics().horizontalAdvance(tr("counted, reviewed")) + 16);
  slideList_->setMinimumWidth(440);
  auto* slidesDock = new QDockWidget(tr("Slides"));
  slidesDock->setObjectName("slides");
  slidesDock->setWidget(slideList_);
  addDockWidget(Qt::LeftDockWidgetArea, slidesDock);

  thresholdPanel_ = new ThresholdPanel;
  auto* thresholdDock = new QDockWidget(tr("Threshold"));
  thresholdDock->setObjectName("threshold");
  thresholdDock->setWidget(thresholdPanel_);
  addDockWidget(Qt::RightDockWidgetArea, thresholdDock);

  layersPanel_ = new LayersPanel;
  auto* layersDock = new QDockWidget(tr("Layers"));
  layersDock->setObjectName("layers");
  layersDock->setWidget(layersPanel_);
  addDockWidget(Qt::RightDockWidgetArea, layersDock);
}

void MainWindow::buildActions() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  QAction* open = file->addAction(tr("&Open Folder..."), this, &MainWindow::chooseFolder);
  open->setShortcut(QKeySequence::Open);
  recentMenu_ = file->addMenu(tr("Open &Recent"));
  QAction* reload = file->addAction(tr("Re&load Folder"), this, &MainWindow::reloadFolder);
  reload->setShortcut(QKeySequence::Refresh);
  reload->setToolTip(tr("Read the folder's slides again (it also follows files added or removed by itself)"));
  file->addAction(tr("Open &Sample Slides"), this, [this] {
    if (const auto samples = bundledSamplesFolder()) openFolder(QString::fromStdString(*samples));
  });
  file->addSeparator();
  exportAction_ = file->addAction(tr("&Export Results..."), this, &MainWindow::openExportDialog);
  exportAction_->setShortcut(QKeySequence(tr("Ctrl+E")));
  file->addSeparator();
  file->addAction(tr("&Quit"), this, &QWidget::close)->setShortcut(QKeySequence::Quit);

  QMenu* count = countMenu_ = menuBar()->addMenu(tr("&Count"));
  countAction_ = count->addAction(tr("Count &Folder"), this, [this] { countAll(false); });
  countAction_->setShortcut(QKeySequence(tr("Ctrl+R")));
  countAction_->setToolTip(tr("Count every slide not counted yet (Ctrl+R)"));
  recountAction_ = count->addAction(tr("Count &All Again"), this, [this] { countAll(true); });
  cancelAction_ = count->addAction(tr("&Cancel Counting"), this, &MainWindow::cancelCounting);
  cancelAction_->setShortcut(QKeySequence(Qt::Key_Escape));
  cancelAction_->setEnabled(false);
  count->addSeparator();
  count->addAction(tr("&Settings..."), this, &MainWindow::openSettings)->setShortcut(QKeySequence(tr("Ctrl+,")));
  count->addAction(tr("&Positive Cells per Channel..."), this, &MainWindow::openPositivity);

  QMenu* view = menuBar()->addMenu(tr("&View"));
  QAction* previous = view->addAction(tr("&Previous Slide"), this, [this] { selectSlide(current_ - 1); });
  previous->setShortcuts({QKeySequence(Qt::Key_PageUp), QKeySequence(Qt::ALT | Qt::Key_Left)});
  QAction* next = view->addAction(tr("&Next Slide"), this, [this] { selectSlide(current_ + 1); });
  next->setShortcuts({QKeySequence(Qt::Key_PageDown), QKeySequence(Qt::ALT | Qt::Key_Right)});
  reviewedAction_ = view->addAction(tr("Mark &Reviewed"), this, [this](bool on) {
    if (current_ < 0) return;
    project_->setReviewed(current_, on);
    writeReviewIntoMaskFile();
    saveProjectState();
  });
  reviewedAction_->setCheckable(true);
  reviewedAction_->setShortcut(QKeySequence(tr("R")));
  view->addSeparator();
  view->addAction(tr("&Fit to Window"), canvas_, &SlideCanvas::fitToWindow)->setShortcut(QKeySequence(tr("Ctrl+0")));
  view->addAction(tr("&Actual Size"), canvas_, &SlideCanvas::showActualSize)->setShortcut(QKeySequence(tr("Ctrl+1")));

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&About FluoCount"), this, &MainWindow::showAbout);

  QToolBar* toolbar = addToolBar(tr("Main"));
  toolbar->setObjectName("main-toolbar");
  toolbar->setToolButtonStyle(Qt::ToolButtonTextOnly);
  toolbar->addAction(open);
  toolbar->addAction(countAction_);
  toolbar->addAction(cancelAction_);
  toolbar->addAction(exportAction_);
  toolbar->addSeparator();
  toolbar->addAction(previous);
  toolbar->addAction(next);
  toolbar->addAction(reviewedAction_);
}

void MainWindow::warn(const QString& title, const QString& text) {
  if (unattended_)
    std::fprintf(stderr, "fluocount: %s: %s\n", qPrintable(title), qPrintable(text));
  else
    QMessageBox::warning(this, title, text);
}

void MainWindow::selectSlide(int index) {
  if (index < 0 || index >= project_->slideCount()) return;
  slideList_->selectRow(index);
  if (current_ != index) {  // selectRow does not report a row that is already current
    current_ = index;
    loadCurrentSlide();
  }
}

std::shared_ptr<const CellCounter> MainWindow::counterOrWarning(const QString& title) {
  try {
    return project_->counter();
  } catch (const std::exception& e) {
    warn(title, QString::fromUtf8(e.what()));
    return nullptr;
  }
}

void MainWindow::countAll(bool again) {
  if (!project_->isOpen() || counting_) return;
  const std::shared_ptr<const CellCounter> counter = counterOrWarning(tr("Cannot count"));
  if (!counter) return;
  std::vector<CountWorker::Job> jobs;
  for (int i = 0; i < project_->slideCount(); ++i)
    if (again || project_->slide(i).status != SlideStatus::Counted || project_->imageChangedSinceCounted(i))
      jobs.push_back({project_->generation(), i, project_->slide(i), project_->heatmapPath(i), {}});
  if (jobs.empty()) {
    if (countAgainAtTheFolderMedian()) return;  // a folder counted before the second pass was
    statusBar()->showMessage(tr("Every slide is counted (Count > Count All Again recounts them)"), 5000);
    return;
  }
  startCounting(std::move(jobs), counter);
}

void MainWindow::startCounting(std::vector<CountWorker::Job> jobs, std::shared_ptr<const CellCounter> counter,
                               std::optional<double> othersMedianPx) {
  counting_ = true;
  countingAtTheMedian_ = othersMedianPx.has_value();
  countSaved_.invalidate();
  thumbnails_->cancel();  // the count makes each slide's thumbnail, and needs the cores (loadThumbnails after it)
  countAction_->setEnabled(false);
  recountAction_->setEnabled(false);
  cancelAction_->setEnabled(true);
  progress_->setVisible(true);
  modelLabel_->setText(tr("%1").arg(QString::fromStdString(counter->methodDescription())));
  worker_->resetCancel();
  const std::optional<double> threshold = project_->userThreshold();
  QMetaObject::invokeMethod(worker_, [worker = worker_, jobs, counter, threshold, othersMedianPx] {
    worker->run(jobs, counter, threshold, othersMedianPx);
  });
}

void MainWindow::cancelCounting() {
  if (counting_) worker_->cancel();
}

void MainWindow::onSlideCounted(const CountedSlide& counted) {
  if (!project_->acceptCounted(counted)) return;
  // A crash or a power cut during a long Count Folder loses at most the last half minute of it: the state is saved
  // with the first slide counted and then every 30 s (each slide's heatmap is already cached by the worker).
  if (!countSaved_.isValid() || countSaved_.elapsed() >= 30000) {
    saveProjectState();
    countSaved_.start();
  }
  // The user moved the threshold while this slide was being counted: its count follows the new one.
  if (counted.threshold != project_->userThreshold()) recountFolder(project_->userThreshold().value_or(-1));
  if (counted.index == current_) loadCurrentSlide();
  refreshCurves();
}

void MainWindow::onCountingFinished(bool cancelled) {
  counting_ = false;
  countAction_->setEnabled(true);
  recountAction_->setEnabled(true);
  cancelAction_->setEnabled(false);
  progress_->setVisible(false);
  saveProjectState();
  const bool secondPassEnded = std::exchange(countingAtTheMedian_, false);
  if (!cancelled && !secondPassEnded && !reloadWaiting_ && countAgainAtTheFolderMedian()) return;
  loadThumbnails();  // of the slides the count did not reach (cancelled, failed)
  if (!cancelled) showDefaultDiameterNote();
  if (reloadWaiting_) reloadFolder();
  statusBar()->showMessage(
      cancelled
          ? tr("Counting cancelled; %1 of %2 slides counted").arg(project_->countedSlides()).arg(project_->slideCount())
          : tr("Counted %1 slides").arg(project_->countedSlides()),
      8000);
  emit countingFinished(cancelled);
}

void MainWindow::loadCurrentSlide() {
  if (current_ < 0 || current_ >= project_->slideCount()) return;
  const int index = current_;
  const Generation generation = project_->generation();
  const Slide slide = project_->slide(index);
  reviewedAction_->setChecked(slide.reviewed);
  std::shared_ptr<const CellCounter> counter;
  try {
    counter = project_->counter();
  } catch (const std::exception&) {
    // No usable model: the slide is still shown, with the default normalisation.
  }
  const DisplayRange range = layersPanel_->displayRequest();
  slideLoader_.submit([=]() -> std::function<void()> {
    auto loaded = std::make_shared<SlideView>(loadSlideView(slide, counter.get(), range));
    return [this, index, generation, loaded, analysis = slide.analysis] {
      if (index != current_ || !project_->isCurrent(generation)) return;
      if (!loaded->error.isEmpty()) {
        canvas_->clear();
        statusBar()->showMessage(loaded->error, 10000);
        return;
      }
      currentSeen_ = loaded->seen;
      currentCountedRange_ = loaded->countedRange;
      currentIntensity_ = loaded->intensity;
      currentTruth_ = loaded->truth;
      currentPixelSize_ = loaded->pixelSize;
      currentChannels_ = loaded->channels;
      currentRawChannels_ = loaded->rawChannels;
      currentChannelNames_ = loaded->channelNames;
      currentBitDepth_ = loaded->bitDepth;
      layersPanel_->setDisplayUnits(loaded->bitDepth);
      layersPanel_->setChannels(loaded->views);
      canvas_->setImage(loaded->display);
      canvas_->setHeatmap(loaded->heatmap);
      canvas_->setHandMarks(loaded->handMarks);
      if (!loaded->heatmapError.isEmpty()) dropUnreadableResults(generation, {{index, analysis, loaded->heatmapError}});
      tools_->setProposals(cv::Mat());
      loadMaskDocument(index, loaded->size);
      loadRegionDocument(index, loaded->size);
      layersPanel_->setDisplayRange(loaded->low, loaded->high);
      thresholdPanel_->setThreshold(project_->thresholdFor(index));
      refreshOverlay(project_->thresholdFor(index));
      refreshCurves();
      if (project_->imageChangedSinceCounted(index))
        statusBar()->showMessage(tr("%1 was changed by another program since it was counted: its count and heatmap "
                                    "are the earlier file's until Count Folder counts it again")
                                     .arg(project_->slide(index).name),
                                 30000);
      else if (!loaded->notes.isEmpty())  // e.g. only the first plane of a z-stack is counted, or no pixel size is used
        statusBar()->showMessage(tr("%1: %2").arg(QFileInfo(project_->slide(index).imagePath).fileName(),
                                                  loaded->notes.join(QStringLiteral("; "))),
                                 20000);
      emit slideLoaded(index);
    };
  });
}

void MainWindow::applyDisplayRange(double low, double high) {
  if (!currentChannels_.empty()) return;  // a composite: each channel has its own range
  if (!currentSeen_.empty()) canvas_->replaceImage(displayImage(currentSeen_, low, high));
}

void MainWindow::refreshOverlay(double threshold) {
  if (current_ < 0) return;
  const int index = current_;
  const auto analysis = project_->slide(index).analysis;
  if (!analysis || currentIntensity_.size() != analysis->size) {
    canvas_->setOverlay({});
    tools_->setDetections(cv::Mat());
    currentCentres_.clear();
    currentLabels_.release();
    refreshRegionCounts();
    thresholdPanel_->setCounts(-1, -1);
    return;
  }
  const cv::Mat intensity = currentIntensity_;
  const std::optional<Detection> truth = currentTruth_;
  const Generation generation = project_->generation();
  detector_.submit([=]() -> std::function<void()> {
    std::shared_ptr<DetectionOverlay> overlay;
    try {
      overlay = std::make_shared<DetectionOverlay>(
          detectionOverlay(index, *analysis, threshold, intensity, truth, kOutlineColour));
    } catch (const HeatmapFileError& e) {
      return dropUnreadableResultLater(generation, index, analysis, e);
    }
    return [this, overlay, generation] {
      if (overlay->slide != current_ || !project_->isCurrent(generation)) return;
      canvas_->setOverlay(*overlay);
      tools_->setDetections(overlay->labels);
      currentCentres_ = overlay->centres;
      currentLabels_ = overlay->labels;
      refreshRegionCounts();
      updateCountLabel();
      if (overlay->hasTruth)
        statusBar()->showMessage((project_->slide(current_).hasMask()
                                      ? tr("%1 cells; against the mask: TP %2, FP %3, FN %4")
                                      : tr("%1 cells; against the count by hand: TP %2, FP %3, FN %4"))
                                     .arg(overlay->count)
                                     .arg(overlay->matchCounts.truePositives)
                                     .arg(overlay->matchCounts.falsePositives)
                                     .arg(overlay->matchCounts.falseNegatives));
      emit overlayUpdated();
    };
  });
}

// The current slide's count as shown (it may run ahead of the folder recount while the slider moves), and the
// folder's total with that slide's share taken from the overlay.
void MainWindow::updateCountLabel() {
  int folder = 0, counted = 0;
  for (int i = 0; i < project_->slideCount(); ++i)
    if (project_->slide(i).count >= 0) {
      folder += project_->slide(i).count;
      ++counted;
    }
  const DetectionOverlay& overlay = canvas_->overlay();
  const bool overlayCurrent = overlay.slide == current_ && current_ >= 0;
  if (overlayCurrent) folder += overlay.count - std::max(0, project_->slide(current_).count);
  thresholdPanel_->setCounts(overlayCurrent ? overlay.count : -1, counted ? folder : -1);
}

void MainWindow::chooseThreshold(double threshold) {
  project_->setThreshold(threshold);
  thresholdPanel_->setThreshold(threshold);
  refreshOverlay(threshold);
  recountFolder(threshold);
}

void MainWindow::recountFolder(double threshold) {
  std::vector<std::pair<int, std::shared_ptr<const SlideAnalysis>>> analysed;
  for (int i = 0; i < project_->slideCount(); ++i)
    if (project_->slide(i).analysis) analysed.emplace_back(i, project_->slide(i).analysis);
  const int slides = project_->slideCount();
  const Generation generation = project_->generation();
  recounter_.submit([=]() -> std::function<void()> {
    auto counts = std::make_shared<std::vector<int>>(slides, -1);
    std::vector<UnreadableResult> unreadable;
    std::mutex unreadableMutex;
    std::atomic<bool> stopped{false};
    // Slides on all cores; a newer threshold waiting (the slider dragged on) stops this one between slides.
    cv::parallel_for_(cv::Range(0, int(analysed.size())), [&](const cv::Range& range) {
      for (int k = range.start; k < range.end; ++k) {
        if (stopped || recounter_.superseded()) {
          stopped = true;
          return;
        }
        const auto& [index, analysis] = analysed[k];
        try {
          (*counts)[index] = countAt(*analysis, threshold >= 0 ? threshold : analysis->defaultThreshold);
        } catch (const HeatmapFileError& e) {
          const std::lock_guard<std::mutex> lock(unreadableMutex);
          unreadable.push_back({index, analysis, QString::fromUtf8(e.what())});
        }
      }
    });
    if (stopped) return nullptr;  // its counts would be of a threshold no longer asked for
    return [this, counts, generation, unreadable] {
      if (project_->setCounts(generation, *counts)) saveProjectState();
      dropUnreadableResults(generation, unreadable);
    };
  });
}

void MainWindow::dropUnreadableResults(Generation generation, const std::vector<UnreadableResult>& unreadable) {
  QStringList names;
  QString why;  // the first one's
  bool onScreen = false;
  for (const UnreadableResult& result : unreadable)
    if (project_->dropUnreadableResult(generation, result.index, result.analysis, result.error)) {
      names << project_->slide(result.index).name;
      if (why.isEmpty()) why = result.error;
      onScreen |= result.index == current_;
    }
  if (names.isEmpty()) return;
  if (onScreen) refreshOverlay(thresholdPanel_->threshold());  // clears the detections of the result dropped
  refreshCurves();
  saveProjectState();
  statusBar()->showMessage(tr("The saved result of %1 cannot be read back (%2): Count Folder counts it again")
                               .arg(names.join(tr(", ")), why),
                           30000);
}

std::function<void()> MainWindow::dropUnreadableResultLater(Generation generation, int index,
                                                            std::shared_ptr<const SlideAnalysis> analysis,
                                                            const HeatmapFileError& error) {
  return
      [this, generation, unreadable = UnreadableResult{index, std::move(analysis), QString::fromUtf8(error.what())}] {
        dropUnreadableResults(generation, {unreadable});
      };
}

void MainWindow::refreshCurves() {
  const SweepResult folder = project_->folderSweep();
  const SweepResult* slide = nullptr;
  if (current_ >= 0 && current_ < project_->slideCount() && project_->slide(current_).analysis)
    slide = &project_->slide(current_).analysis->sweep;
  thresholdPanel_->setCurves(slide, folder);
}

void MainWindow::showHover(QPoint pixel) {
  if (pixel.x() < 0 || current_ < 0) {
    hoverLabel_->clear();
    hoverAnalysis_.reset();
    hoverHeatmap_.release();
    return;
  }
  QString text = tr("x %1  y %2").arg(pixel.x()).arg(pixel.y());
  const auto& analysis = project_->slide(current_).analysis;
  if (analysis != hoverAnalysis_) {
    hoverAnalysis_ = analysis;
    try {
      hoverHeatmap_ = analysis ? analysis->heatmap->pixels() : cv::Mat();
    } catch (const std::exception&) {  // a disk failing: no probability shown
      hoverHeatmap_.release();
    }
  }
  if (pixel.y() < hoverHeatmap_.rows && pixel.x() < hoverHeatmap_.cols)
    text += tr("  probability %1").arg(hoverHeatmap_.at<float>(pixel.y(), pixel.x()), 0, 'f', 3);
  hoverLabel_->setText(text);
}

void MainWindow::openSettings() {
  QSettings store;
  SettingsDialog dialog(project_->settings(), store.value("models/user").toStringList(), this);
  if (dialog.exec() != QDialog::Accepted) return;
  store.setValue("models/user", dialog.userModels());
  applySettings(dialog.settings());
}

void MainWindow::applySettings(const ProjectSettings& settings) {
  if (counting_) cancelCounting();
  const bool newPixelSize = settings.pixelSizeUm != project_->settings().pixelSizeUm;
  project_->setSettings(settings);
  if (newPixelSize && current_ >= 0) {  // only units change: the slide, its edits and their history stay
    try {
      currentPixelSize_ =
          project_->counter()->pixelSizeOf(loadImage(project_->slide(current_).imagePath.toStdString()));
    } catch (const std::exception&) {
      currentPixelSize_.reset();
    }
    refreshRegionCounts();
  }
  try {
    modelLabel_->setText(QString::fromStdString(project_->counter()->methodDescription()));
  } catch (const std::exception& e) {
    QMessageBox::warning(this, tr("Cannot use this model"), QString::fromUtf8(e.what()));
  }
  saveProjectState();
}

void MainWindow::showAbout() {
  QMessageBox::about(this, tr("About FluoCount"),
                     tr("<b>FluoCount %1</b><p>Counts stained cells in fluorescence micrographs with a c-ResUnet "
                        "(Morelli et al., Sci Rep 2021).</p><p>Device: %2</p>")
                         .arg(QApplication::applicationVersion(), QString::fromStdString(computeDeviceStatus())));
}

void MainWindow::saveProjectState() {
  QString error, note;
  if (!project_->save(&error, &note))
    statusBar()->showMessage(tr("Could not save the project state: %1").arg(error), 10000);
  else if (!note.isEmpty())
    statusBar()->showMessage(note, 15000);
}

void MainWindow::restoreWindowState() {
  QSettings store;
  restoreGeometry(store.value("window/geometry").toByteArray());
  CanvasLayers layers = layersPanel_->layers();
  layers.heatmap = store.value("layers/heatmap", layers.heatmap).toBool();
  layers.ids = store.value("layers/ids", layers.ids).toBool();
  layers.matches = store.value("layers/matches", layers.matches).toBool();
  layers.heatmapOpacity = store.value("layers/heatmap-opacity", layers.heatmapOpacity).toDouble();
  layers.maskOpacity = store.value("layers/mask-opacity", layers.maskOpacity).toDouble();
  layersPanel_->setLayers(layers);
  canvas_->setLayers(layers);
  restoreState(store.value("window/state").toByteArray());
  refreshRecentMenu();
}

void MainWindow::closeEvent(QCloseEvent* event) {
  cancelCounting();
  stopTrainingForClose();
  saveProjectState();
  QSettings store;
  store.setValue("window/geometry", saveGeometry());
  store.setValue("window/state", QMainWindow::saveState());
  const CanvasLayers layers = layersPanel_->layers();
  store.setValue("layers/heatmap", layers.heatmap);
  store.setValue("layers/ids", layers.ids);
  store.setValue("layers/matches", layers.matches);
  store.setValue("layers/heatmap-opacity", layers.heatmapOpacity);
  store.setValue("layers/mask-opacity", layers.maskOpacity);
  event->accept();
}

// Back from Fiji or a file manager: masks drawn or changed there for any slide are matched again, and the folder's
// note looks at its files again (a TIFF mask Fiji saved over in place, which no folder event announces).
void MainWindow::changeEvent(QEvent* event) {
  QMainWindow::changeEvent(event);
  if (event->type() == QEvent::ActivationChange && isActiveWindow() && project_->isOpen()) {
    rematchAnnotationsChangedElsewhere();
    project_->refreshFolderFilesNote();
    showFolderFilesNote(/*reloading=*/true);
  }
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
  const QList<QUrl> urls = event->mimeData()->urls();
  if (urls.isEmpty()) return;
  const QFileInfo dropped(urls.first().toLocalFile());
  openFolder(dropped.isDir() ? dropped.filePath() : dropped.path());
}

}  // namespace fluocount::ui
