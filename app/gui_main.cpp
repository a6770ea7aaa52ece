// fluocount: the desktop application. Optional arguments open a folder, count it, and (for headless checks and
// documentation) save a screenshot of the window once counting has finished.
#include "core/locations.h"
#include "core/numeric_locale.h"
#include "core/slide_folder.h"
#include "ui/main_window.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QTimer>

#include <cstdio>
#include <cstring>

namespace {

// No display to open a window on (a server, a container, an SSH session without X forwarding), and no Qt platform
// chosen: QApplication would abort with Qt's own message.
bool noDisplay() {
#if defined(Q_OS_LINUX)
  return qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") &&
         qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM");
#else
  return false;
#endif
}

bool hasArgument(int argc, char** argv, const char* argument) {
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], argument)) return true;
  return false;
}

// What a count without a window leaves: each slide's count, as the slide list would show it.
void printCounts(const fluocount::ui::Project& project) {
  int cells = 0;
  for (int i = 0; i < project.slideCount(); ++i) {
    const fluocount::ui::Slide& slide = project.slide(i);
    if (slide.count >= 0) {
      std::printf("%-40s %6d\n", qPrintable(slide.name), slide.count);
      cells += slide.count;
    } else {
      std::printf("%-40s %6s  %s\n", qPrintable(slide.name), "-", qPrintable(slide.error));
    }
  }
  std::printf("total: %d cells in %d slide(s); saved in %s/.fluocount, shown when fluocount opens the folder\n", cells,
              project.countedSlides(), qPrintable(project.folder()));
  // What the window's note says of files it did not count (formats it cannot read, names not in UTF-8, ...): without
  // it a total printed here would look complete with slides missing.
  for (const QString& note : project.folderFilesNote().split('\n', Qt::SkipEmptyParts))
    std::printf("note: %s\n", qPrintable(note));
}

}  // namespace

int main(int argc, char** argv) {
  // --version needs no display: answered before QApplication, which would need one.
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], "--version") || !std::strcmp(argv[i], "-v")) {
      QCoreApplication core(argc, argv);  // for the installed-location lookup
      fluocount::useClassicNumberFormat();
      std::fputs(fluocount::versionReport("fluocount", FLUOCOUNT_VERSION).c_str(), stdout);
      return 0;
    }
  // Without a display the window cannot open. Asked to count, the app still counts the folder (offscreen, as it
  // would on screen) and saves the results for the next time it opens with one; otherwise it says what to run.
  const bool headless = noDisplay();
  if (headless) {
    if (!hasArgument(argc, argv, "--count") || hasArgument(argc, argv, "--help") || hasArgument(argc, argv, "-h")) {
      std::fputs(
          "fluocount: no display (DISPLAY and WAYLAND_DISPLAY are unset), so the window cannot open. Run it "
          "where there is one, add --count to count a folder without a window, or use fluocount-cli (the "
          "same counts) for headless work.\n",
          stderr);
      return 2;
    }
    qputenv("QT_QPA_PLATFORM", "offscreen");
    std::fputs("fluocount: no display: counting without a window\n", stderr);
  }
  QApplication application(argc, argv);
  fluocount::useClassicNumberFormat();  // files never depend on the locale; the GUI shows numbers through QLocale
  QApplication::setOrganizationName("FluoCount");
  QApplication::setApplicationName("FluoCount");
  QApplication::setApplicationVersion(FLUOCOUNT_VERSION);

  QCommandLineParser parser;
  parser.setApplicationDescription("FluoCount: counts stained cells in fluorescence micrographs.");
  parser.addHelpOption();
  parser.addPositionalArgument("folder",
                               "Folder of slides to open (images/ and masks/ inside, or images directly), "
                               "or one slide image: its folder opens with it selected.");
  parser.addOptions({
      {"count", "Count the folder's slides right after opening it."},
      {"screenshot", "After counting (with --count) or opening, save the window as this PNG and quit.", "png"},
  });
  parser.process(application);

  fluocount::ui::MainWindow window;
  window.setUnattended(headless);
  window.resize(1500, 900);
  window.show();
  // A folder opens as it is; an image (the desktop's "Open with FluoCount" on a TIFF or PNG) opens its slide
  // folder (the parent of images/ in the FNC layout) with that slide selected.
  QStringList folders = parser.positionalArguments();
  QString slideName;
  if (!folders.isEmpty() && QFileInfo(folders.first()).isFile()) {
    slideName = QFileInfo(folders.first()).fileName();
    folders.first() = QString::fromStdString(fluocount::slideFolderOfImage(folders.first().toStdString()));
  }
  if (!folders.isEmpty() && !window.openFolder(folders.first())) return 1;
  for (int i = 0; !slideName.isEmpty() && i < window.project()->slideCount(); ++i)
    if (window.project()->slide(i).name == slideName) window.selectSlide(i);

  const QString screenshot = parser.value("screenshot");
  auto saveAndQuit = [&window, screenshot] {
    // Let queued overlay and plot updates land before grabbing.
    QTimer::singleShot(1500, &window, [&window, screenshot] {
      const bool saved = window.grab().save(screenshot);
      if (!saved) std::fprintf(stderr, "fluocount: cannot write %s\n", qPrintable(screenshot));
      QApplication::exit(saved ? 0 : 1);
    });
  };
  if (parser.isSet("count") && !folders.isEmpty()) {
    if (!screenshot.isEmpty())
      QObject::connect(&window, &fluocount::ui::MainWindow::countingFinished, &window, saveAndQuit);
    else if (headless)
      QObject::connect(&window, &fluocount::ui::MainWindow::countingFinished, &window, [&window](bool cancelled) {
        printCounts(*window.project());
        QApplication::exit(cancelled ? 1 : 0);
      });
    window.countAll();
    if (!window.isCounting() && !screenshot.isEmpty()) saveAndQuit();
    if (!window.isCounting() && screenshot.isEmpty() && headless) {  // nothing left to count
      // Saved all the same: a state from an older FluoCount gains what this one records (the heatmaps' CRC-32s).
      QString error;
      if (!window.project()->save(&error))
        std::fprintf(stderr, "fluocount: cannot save the folder's state: %s\n", qPrintable(error));
      printCounts(*window.project());
      return 0;
    }
  } else if (headless && screenshot.isEmpty()) {
    std::fputs("fluocount: no display, and no folder to count\n", stderr);
    return 2;
  } else if (!screenshot.isEmpty()) {
    saveAndQuit();
  }
  return application.exec();
}
