#pragma once
// Helpers shared by the test suites: where the real data is, and temporary files.
#include <QString>
#include <QTest>

#include <opencv2/core.hpp>

#include <string>

namespace fluocount::test {

// ../shared/data, or $FLUOCOUNT_SHARED_DATA. Empty when missing.
QString sharedDataDir();
std::string dataFile(const QString& relative);  // sharedDataDir() + "/" + relative
// The first file (in name order) of a data folder, e.g. firstFile("fnc-yellow/images").
std::string firstFile(const QString& relativeFolder);
std::string readBytes(const std::string& path);
void writeBytes(const std::string& path, const std::string& bytes);
// A writable copy of a real folder (the desktop app keeps its state inside the slide folder).
void copyFolder(const QString& from, const QString& to);
// A writable copy of ../shared/data/<dataset> inside `scratch`, for the GUI suites (QStandardPaths test mode on,
// so that the app's own settings stay out of the user's).
QString writableDatasetCopy(const QString& scratch, const QString& dataset);
// A writable slide folder `scratch`/`name` holding exactly the named real slides ("<dataset>/images/<file>"), each
// with its masks/ and labels/ files where the dataset has them. Tests name the slides they need, so that a slide
// added to ../shared/data later changes nothing for them. Throws when a named slide is missing.
QString writableSlideFolder(const QString& scratch, const QString& name, const QStringList& slides);

}  // namespace fluocount::test

// Real-data tests never pass silently without the data: they fail and say where it was looked for.
#define FLUOCOUNT_REQUIRE_SHARED_DATA()                                                                         \
  do {                                                                                                         \
    if (fluocount::test::sharedDataDir().isEmpty())                                                            \
      QFAIL(qPrintable("real test data not found at " FLUOCOUNT_SHARED_DIR "/data (set FLUOCOUNT_SHARED_DATA " \
                       "or place the project's shared/ folder beside the checkout)"));                          \
  } while (0)
