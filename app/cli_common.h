#pragma once
// What the fluocount-cli commands share: the counting options, building a counter from them, finding images and
// their masks, and turning option text into checked numbers.
#include "core/locations.h"
#include "core/counter.h"
#include "core/run_lock.h"

#include <QCommandLineParser>
#include <QStringList>

#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace fluocount::cli {

// A usage or input problem the user must fix; main() prints it and exits with status 2.
class CliError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

int runCountCommand(const QStringList& arguments);
int runEvaluateCommand(const QStringList& arguments);
int runSweepCommand(const QStringList& arguments);
int runBenchCommand(const QStringList& arguments);
int runTrainCommand(const QStringList& arguments);
int runDiameterCommand(const QStringList& arguments);
int runMergeCommand(const QStringList& arguments);
int runMasksCommand(const QStringList& arguments);

// --model, --classical, --diameter, --threshold, --threads, --device, --max-pixels
void addCounterOptions(QCommandLineParser& parser);
CellCounter makeCounter(const QCommandLineParser& parser);
// Whether the counter estimates each image's cell diameter: '--diameter auto', or no --diameter with a network (the
// default since the estimate proved at least as good as the model's fixed 50 px on every test dataset: models/README.md).
// The classical method keeps its fixed 50 px unless asked: its estimates were not validated.
bool diameterIsAutomatic(const QCommandLineParser& parser);
// The note after a run in which `without` of `total` images had too few cells for the estimate to measure, and were
// counted at `defaultDiameterPx` (DiameterSource::NotEstimated): where the output marks them (`whereMarked`, may be
// empty), then `advice`, e.g. kGiveTheDiameter. Nothing when there are none.
inline const char* const kGiveTheDiameter =
    "If they hold cells, give --diameter (your cells' diameter in pixels, or in \xC2\xB5m: 12um).";
// evaluate's and sweep's second pass, as count's (core/counter.h, SecondPass): where `counted` (each image's
// diameter as counted, by index; nullopt: failed) leaves images without an estimate and others with one, says so and
// calls countAgain(i, median) for each of them.
void countAgainAtTheMedian(const std::vector<std::optional<CountedDiameter>>& counted,
                           const std::function<void(std::size_t, double)>& countAgain);
void noteImagesWithoutAnEstimate(std::ptrdiff_t without, std::size_t total, double defaultDiameterPx,
                                 const std::string& whereMarked, const std::string& advice);
// --threads and --device as inference (and training) settings.
InferenceSettings inferenceFromOptions(const QCommandLineParser& parser);
// --precision float32|bfloat16 (commands that count: addCounterOptions; and bench).
NetworkPrecision precisionFromOptions(const QCommandLineParser& parser);

// Parses and checks the arguments; prints help and exits on --help. Throws CliError on bad usage.
void parseOrExit(QCommandLineParser& parser, const QStringList& arguments);

// Holds `lock` on lockFile for as long as it lives (core/run_lock.h), for the command `what` writing `place`: a
// second run there is a CliError naming the first; a place that cannot be locked gets a note and runs unguarded.
void holdRunLock(std::optional<RunLock>& lock, const std::filesystem::path& lockFile, const std::string& what,
                 const std::string& place);

double numberOption(const QCommandLineParser& parser, const QString& name, double min, double max);

// Image files named directly or found (not recursively) in the given folders, in name order.
std::vector<std::string> collectImages(const QStringList& paths);

struct AnnotatedImage {
  std::string image;
  std::string mask;            // binary mask (FNC layout: <dir>/masks/<stem>.png)
  std::string labels;          // instance labels when the dataset has them (<dir>/labels/<stem>.png), else empty
  std::string handCount = {};  // with --hand-counts: the file of cells marked by hand, which is then the truth
};

// Datasets in the FNC layout (<dir>/images, <dir>/masks, optional <dir>/labels). Images without a mask are
// listed in `unannotated`.
std::vector<AnnotatedImage> collectAnnotated(const QStringList& datasetDirs, std::vector<std::string>& unannotated);

// The images named or found in `paths` that have a count by hand in `handCountsFolder` (handCountFilesFor). Images
// without one are listed in `uncounted`; an image that two files could belong to, or whose stem another image shares
// while its file is named by the stem, is left out with the reason in `refused`.
std::vector<AnnotatedImage> collectHandCounted(const QStringList& paths, const std::string& handCountsFolder,
                                               std::vector<std::string>& uncounted, std::vector<std::string>& refused);

std::string fileName(const std::string& path);

}  // namespace fluocount::cli

namespace fluocount::cli {

// --mask-components, --match-distance, --limit, --only: how annotated datasets are read and matched.
void addEvaluationOptions(QCommandLineParser& parser);
std::vector<AnnotatedImage> annotatedImagesFromOptions(const QCommandLineParser& parser);
// The images that --only and --limit keep (each only when the parser has that option set).
std::vector<AnnotatedImage> selectedByOptions(std::vector<AnnotatedImage> items, const QCommandLineParser& parser);
MatchingSettings matchingFromOptions(const QCommandLineParser& parser, double cellDiameterPx);
// The annotated cells: with --hand-counts the marks of the image's file (one-pixel cells: marksAsCells), else
// instance labels when the dataset has them (unless --mask-components), else the connected components of the
// binary mask; with --min-true-area, those below that area (given for 50 px cells, scaled to
// cellDiameterPx) left out. A mask whose size differs from the image is an error naming both files.
Detection truthFor(const AnnotatedImage& item, cv::Size imageSize, const QCommandLineParser& parser,
                   double cellDiameterPx);

}  // namespace fluocount::cli
