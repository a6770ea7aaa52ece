// The main window's folder: opening one (and the warnings that come with it: another window holds it, files it does
// not read), reloading it as its slides change on disk, and the recent folders.
#include "ui/main_window.h"

#include "core/locations.h"
#include "ui/note_bar.h"
#include "ui/threshold_panel.h"
#include "ui/model/slide_folder_watch.h"
#include "ui/model/thumbnail_loader.h"
#include "ui/training_panel.h"

#include <QFileDialog>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>

#include <cstdio>
#include <map>

namespace fluocount::ui {

namespace {
constexpr int kMaxRecentFolders = 8;
}  // namespace

bool MainWindow::openFolder(const QString& folder) { return openFolderKeeping(folder, false); }

bool MainWindow::openFolderKeeping(const QString& folder, bool keepEditHistory) {
  const QString otherUser = project_->otherUserOf(folder);
  const QString otherWindow =
      tr("%1 is open in another FluoCount window: %2.\n\nTwo windows on one folder each save the folder's "
         "counts, thresholds and review marks over the other's. Close it there first, or open it here anyway "
         "(masks and regions stay safe either way: an edit is never written over a change the other window made).")
          .arg(QDir::toNativeSeparators(folder), otherUser);
  if (!otherUser.isEmpty() && unattended_) {
    warn(tr("Folder open in another window"), otherWindow);
    return false;
  }
  if (!otherUser.isEmpty() &&
      QMessageBox::warning(this, tr("Folder open in another window"), otherWindow,
                           QMessageBox::Open | QMessageBox::Cancel, QMessageBox::Cancel) != QMessageBox::Open)
    return false;
  if (counting_) cancelCounting();  // the slide in progress comes back of an older generation and is dropped
  stopTrainingForClose();
  mask_->close();  // saves an edit still pending (an undo saves on the next event loop turn) to this folder
  if (!keepEditHistory) mask_->history()->clearAll();
  saveProjectState();
  // A reload keeps the thumbnails the list has (the slides' files are the same), so that they are not read again.
  std::map<QString, QImage> thumbnails;
  if (keepEditHistory)
    for (int i = 0; i < project_->slideCount(); ++i)
      thumbnails[project_->slide(i).imagePath] = project_->slide(i).thumbnail;
  QString error, warning;
  if (!project_->open(folder, &error, &warning)) {
    warn(tr("Cannot open folder"), error);
    return false;
  }
  if (!warning.isEmpty()) warn(tr("Project state"), warning);
  mask_->setSetAsideFolder(project_->stateFolder() + "/set-aside");
  regions_->setSetAsideFolder(project_->stateFolder() + "/set-aside");
  diameterNoteBar_->hide();
  showFolderFilesNote(keepEditHistory);
  setWindowTitle(tr("FluoCount - %1").arg(QDir::toNativeSeparators(project_->folder())));
  rememberFolder(project_->folder());
  QStringList names;
  for (int i = 0; i < project_->slideCount(); ++i) names << project_->slide(i).name;
  folderWatch_->follow(project_->folder(), names);
  reloadWaiting_ = false;
  current_ = -1;  // before any slide of the new list is announced changed
  for (int i = 0; i < project_->slideCount(); ++i)
    if (const auto kept = thumbnails.find(project_->slide(i).imagePath);
        kept != thumbnails.end() && !kept->second.isNull())
      project_->setThumbnail(i, kept->first, kept->second);
  loadThumbnails();
  restoreTrainingJob();
  selectSlide(0);
  thresholdPanel_->setThreshold(project_->thresholdFor(0));
  modelLabel_->setText(tr("Model: %1").arg(QFileInfo(project_->modelDescription()).fileName()));
  refreshCurves();
  rematchAnnotationsChangedElsewhere();
  statusBar()->showMessage(tr("%1 slides, %2 counted").arg(project_->slideCount()).arg(project_->countedSlides()),
                           5000);
  return true;
}

// Files of the folder that look like slides and are not counted (CZI, ND2, ...), and TIFF masks newer than the PNG
// mask in use: said when the folder opens and again when they change, not on every reload after the user
// dismissed it.
void MainWindow::showFolderFilesNote(bool reloading) {
  const QString& note = project_->folderFilesNote();
  if (note.isEmpty())
    folderFilesBar_->hide();
  else if (!reloading || note != folderFilesBar_->text())
    folderFilesBar_->showNote(note);
}

void MainWindow::loadThumbnails() {
  std::vector<ThumbnailLoader::Request> missing;
  if (!unattended_)  // counting without a display: no one would see them
    for (int i = 0; i < project_->slideCount(); ++i)
      if (project_->slide(i).thumbnail.isNull()) missing.push_back({i, project_->slide(i).imagePath});
  thumbnails_->load(std::move(missing));
}

void MainWindow::reloadFolder() {
  if (!project_->isOpen()) return;
  if (counting_ || training_) {
    reloadWaiting_ = true;
    return;
  }
  const QString onScreen = current_ >= 0 ? project_->slide(current_).name : QString();
  // The folder and its settings stay, so a retrained version's before/after on the slides its run did not use
  // carries over: still waiting for the version's counts (a slide arrived while it counted), or already shown.
  std::optional<PendingHeldOutComparison> heldOut;
  if (pendingHeldOut_ && project_->isCurrent(pendingHeldOut_->generation)) heldOut = pendingHeldOut_;
  const QString heldOutShown = trainingPanel_->heldOutComparison();
  const ProjectSettings settings = project_->settings();
  if (!openFolderKeeping(project_->folder(), true)) return;
  for (int i = 0; i < project_->slideCount(); ++i)
    if (project_->slide(i).name == onScreen) selectSlide(i);
  if (project_->settings() != settings) return;
  if (heldOut) {
    heldOut->generation = project_->generation();
    pendingHeldOut_ = heldOut;
    compareHeldOutSlides();
  } else {
    trainingPanel_->showHeldOutComparison(heldOutShown);
  }
}

void MainWindow::onSlideFilesChanged(const QStringList& added, const QStringList& removed) {
  QStringList what;
  if (!added.isEmpty()) what << tr("%n new slide(s)", nullptr, int(added.size()));
  if (!removed.isEmpty()) what << tr("%n slide(s) gone", nullptr, int(removed.size()));
  reloadFolder();
  statusBar()->showMessage(reloadWaiting_ ? tr("%1 in the folder: the list follows when %2 ends")
                                                .arg(what.join(tr(", ")), counting_ ? tr("counting") : tr("training"))
                                          : tr("%1 in the folder: the slide list follows it").arg(what.join(tr(", "))),
                           15000);
}

void MainWindow::chooseFolder() {
  const QString folder = QFileDialog::getExistingDirectory(this, tr("Open a folder of slides"),
                                                           project_->isOpen() ? project_->folder() : QString());
  if (!folder.isEmpty()) openFolder(folder);
}

void MainWindow::rememberFolder(const QString& folder) {
  QSettings store;
  QStringList recent = store.value("folders/recent").toStringList();
  recent.removeAll(folder);
  recent.prepend(folder);
  while (recent.size() > kMaxRecentFolders) recent.removeLast();
  store.setValue("folders/recent", recent);
  refreshRecentMenu();
}

void MainWindow::refreshRecentMenu() {
  recentMenu_->clear();
  for (const QString& folder : QSettings().value("folders/recent").toStringList())
    recentMenu_->addAction(folder, this, [this, folder] { openFolder(folder); });
  recentMenu_->setEnabled(!recentMenu_->isEmpty());
}

}  // namespace fluocount::ui
