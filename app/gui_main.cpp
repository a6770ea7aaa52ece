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

int main(int argc, char** argv) {
  // --version needs no display: answered before QApplication, which would need one.
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], "--version") || !std::strcmp(argv[i], "-v")) {
      QCoreApplication core(argc, argv);  // for the installed-location lookup
      fluocount::useClassicNumberFormat();
      std::fputs(fluocount::versionReport("fluocount", FLUOCOUNT_VERSION).c_str(), stdout);
      return 0;
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
    window.countAll();
    if (!window.isCounting() && !screenshot.isEmpty()) saveAndQuit();
  } else if (!screenshot.isEmpty()) {
    saveAndQuit();
  }
  return application.exec();
}
