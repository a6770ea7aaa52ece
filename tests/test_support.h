#pragma once
// Helpers shared by the test suites: where the real data is, and temporary files.
#include <QString>
#include <QStringList>
#include <QTest>

#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace fluocount::test {

// ../shared/data, or $FLUOCOUNT_SHARED_DATA. Empty when missing.
QString sharedDataDir();
std::string dataFile(const QString& relative);  // sharedDataDir() + "/" + relative
// The real slides the suites name, relative to sharedDataDir(). Suites name the slides they need rather than take
// whatever a shared folder holds, so that a slide added to ../shared/data later changes nothing for them.
inline const QString kYellowSlide = QStringLiteral("fnc-yellow/images/Mar19bS1C4R2_LHr_200x.png");
inline const QString kYellowSlide2 = QStringLiteral("fnc-yellow/images/Mar24bS1C2R3_LHl_200x.png");
inline const QString kRedSlide = QStringLiteral("fnc-red/images/MAR32C2R3_PVHr_200x_r.png");
inline const QString kRedSlide2 = QStringLiteral("fnc-red/images/RT353S2C1R5_r1.png");
inline const QString kNucleiSlide =
    QStringLiteral("bbbc039/images/IXMtest_A02_s1_w1051DAA7C-7042-435F-99F0-1E847D9B42CB.png");
// Four small real fields (256x256 DSB2018 nuclei, annotated, with labels/), for the checks of bookkeeping that would
// otherwise spend their time in the network on large slides: training's stop and resume, shards, locales.
inline const QStringList kSmallNucleiFields = {
    QStringLiteral("dsb2018-fluo/images/00071198d059ba7f5914a526d124d28e6d010c92466da21d4a04cd5413362552.png"),
    QStringLiteral("dsb2018-fluo/images/003cee89357d9fe13516167fd67b609a164651b21934585648c740d2c3d86dc1.png"),
    QStringLiteral("dsb2018-fluo/images/0280fa8f60f6bcae0f97d93c28f60be194f9309ff610dc5845e60455b0f87c21.png"),
    QStringLiteral("dsb2018-fluo/images/0287e7ee5b007c91ae2bd7628d09735e70496bc6127ecb7f3dd043e04ce37426.png")};
// <dataset>/masks/<stem>.png of a slide named as above.
std::string maskFile(const QString& slide);
std::string readBytes(const std::string& path);
void writeBytes(const std::string& path, const std::string& bytes);
// A writable slide folder `scratch`/`name` holding exactly the named real slides ("<dataset>/images/<file>"), each
// with its masks/ and labels/ files where the dataset has them. Tests name the slides they need, so that a slide
// added to ../shared/data later changes nothing for them. Throws when a named slide is missing.
QString writableSlideFolder(const QString& scratch, const QString& name, const QStringList& slides);
// Compiles a comma-decimal locale such as "de_DE" into `folder` with localedef (Debian package 'locales'), so that
// the machine needs none installed: use it with LOCPATH=folder and LC_ALL=<locale>.UTF-8. Empty on success, else
// why it could not.
QString makeLocale(const QString& folder, const QString& locale);

}  // namespace fluocount::test

// Real-data tests never pass silently without the data: they fail and say where it was looked for.
#define FLUOCOUNT_REQUIRE_SHARED_DATA()                                                                        \
  do {                                                                                                         \
    if (fluocount::test::sharedDataDir().isEmpty())                                                            \
      QFAIL(qPrintable("real test data not found at " FLUOCOUNT_SHARED_DIR "/data (set FLUOCOUNT_SHARED_DATA " \
                       "or place the project's shared/ folder beside the checkout)"));                         \
  } while (0)

namespace fluocount::test {

// A TIFF such as microscopes and ImageJ write: one page per Mat (each 8- or 16-bit or 32-bit float, 1 to N channels, stored
// interleaved, or as separate planes with separatePlanes), the description on the first page, and the resolution
// tags when xResolution > 0 (pixels per resolutionUnit: 1 none, 2 inch, 3 cm). tileSize > 0 writes tiles.
struct TiffPageOptions {
  std::string description;
  double xResolution = 0;
  int resolutionUnit = 1;
  bool separatePlanes = false;
  int tileSize = 0;
  double yResolution = 0;    // 0: as xResolution (square pixels)
  bool whiteIsZero = false;  // single-channel pages as PhotometricInterpretation WhiteIsZero (ImageJ's inverting LUT)
};
void writeTiff(const std::string& path, const std::vector<cv::Mat>& pages, const TiffPageOptions& options = {});

}  // namespace fluocount::test
