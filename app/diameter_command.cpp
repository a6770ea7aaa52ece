// fluocount-cli diameter: a dataset's typical cell diameter, measured on its annotations, for --diameter and for
// the folder:diameter arguments of train; with --estimate, also what --diameter auto estimates for each image,
// against the annotation where there is one, and one diameter for a folder of slides.
#include "app/cli_common.h"
#include "core/cell_size.h"
#include "core/numeric_locale.h"
#include "core/true_cells.h"

#include <QDir>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace fluocount::cli {

namespace {

// "+7.5%", "-12.0%": a relative error as the table shows it.
std::string signedPercent(double fraction) {
  return (fraction >= 0 ? "+" : "") + fixedDecimal(100 * fraction, 1) + "%";
}

// The annotated cells, as evaluate takes them (core/true_cells.h).
cv::Mat objectLabels(const AnnotatedImage& item) {
  const TrueCells truth = trueCells(item.mask, item.labels);
  if (!truth.note.empty()) std::fprintf(stderr, "note: %s\n", truth.note.c_str());
  return truth.labels;
}

void printMeasuredOnly(const QStringList& folders, int& failures) {
  std::printf("%-40s %7s %8s %12s %12s\n", "dataset", "images", "objects", "diameter px", "quartiles px");
  for (const QString& folder : folders) {
    std::vector<std::string> unannotated;
    const std::vector<AnnotatedImage> items = collectAnnotated({folder}, unannotated);
    std::vector<double> diameters;
    for (const auto& item : items) {
      try {
        const std::vector<double> own = objectDiameters(objectLabels(item));
        diameters.insert(diameters.end(), own.begin(), own.end());
      } catch (const std::exception& e) {
        ++failures;
        std::fprintf(stderr, "error: %s\n", e.what());
      }
    }
    const CellSizeEstimate estimate = summariseDiameters(diameters);
    std::printf("%-40.40s %7zu %8d %12.1f %5.1f..%-6.1f\n", qPrintable(folder), items.size(), estimate.objects,
                estimate.medianDiameterPx, estimate.lowerQuartilePx, estimate.upperQuartilePx);
  }
}

// A folder's slides for --estimate: an annotated dataset's images, those without a mask included, or every image of
// a folder of slides (a mask-less AnnotatedImage: nothing to compare the estimate with).
std::vector<AnnotatedImage> slidesToEstimate(const QString& folder, const QCommandLineParser& parser) {
  std::vector<AnnotatedImage> slides;
  if (QDir(folder).exists("masks")) {
    std::vector<std::string> unannotated;
    slides = collectAnnotated({folder}, unannotated);
    for (const std::string& image : unannotated) slides.push_back({image, {}, {}});
    std::sort(slides.begin(), slides.end(), [](auto& a, auto& b) { return a.image < b.image; });
  } else {
    for (const std::string& image : collectImages({folder})) slides.push_back({image, {}, {}});
  }
  return selectedByOptions(std::move(slides), parser);
}

std::string probesText(const DiameterEstimate& estimate) {
  std::string probes;  // "assumed->measured" for each pass in the order run; "q": on a quarter
  for (const DiameterProbe& p : estimate.probes) {
    char text[48];
    std::snprintf(text, sizeof text, " %.0f->%.0f(%d%s)", p.diameterPx, p.estimatePx, p.objects,
                  p.window.empty() ? "" : "q");
    probes += text;
  }
  return probes;
}

// Per image: the annotation's median diameter next to the estimate (where it has a mask); per folder: the folder
// estimate (what the app's Measure Cell Diameter gives), next to the measured diameter and the median of the images'
// relative errors where there are annotations, and the count command that uses it.
void printEstimates(const QCommandLineParser& parser, int& failures) {
  const CellCounter counter = makeCounter(parser);
  std::fprintf(stderr, "Estimating with %s\n", counter.methodDescription().c_str());
  std::printf("%-48s %8s %9s %9s %8s  %s\n", "image", "objects", "measured", "estimate", "error",
              "probes: assumed->measured px (objects; q: on a quarter)");
  for (const QString& folder : parser.positionalArguments()) {
    const std::vector<AnnotatedImage> items = slidesToEstimate(folder, parser);
    std::vector<double> allMeasured, relativeErrors;
    std::vector<DiameterEstimate> estimates;
    for (const auto& item : items) {
      try {
        std::vector<double> own;
        if (!item.mask.empty()) own = objectDiameters(objectLabels(item));
        allMeasured.insert(allMeasured.end(), own.begin(), own.end());
        const double measured = summariseDiameters(own).medianDiameterPx;
        const DiameterEstimate estimate = counter.estimateDiameter(counter.normalisedImage(item.image));
        estimates.push_back(estimate);
        const double error = measured > 0 && estimate.found() ? estimate.diameterPx / measured - 1 : NAN;
        if (std::isfinite(error)) relativeErrors.push_back(std::abs(error));
        const std::string name = fileName(item.image);
        // "-" where there is nothing to show: no mask, or no estimate (too few objects at every probe).
        const std::string estimateText = estimate.found() ? fixedDecimal(estimate.diameterPx, 1) : "-";
        const std::string errorText = std::isfinite(error) ? signedPercent(error) : "-";
        if (item.mask.empty())
          std::printf("%-48.48s %8s %9s %9s %8s %s\n", name.c_str(), "-", "-", estimateText.c_str(), "-",
                      probesText(estimate).c_str());
        else
          std::printf("%-48.48s %8zu %9.1f %9s %8s %s\n", name.c_str(), own.size(), measured, estimateText.c_str(),
                      errorText.c_str(), probesText(estimate).c_str());
      } catch (const std::exception& e) {
        ++failures;
        std::fprintf(stderr, "error: %s\n", e.what());
      }
    }
    const double estimated = folderDiameter(estimates);
    if (!allMeasured.empty()) {
      const double measured = summariseDiameters(allMeasured).medianDiameterPx;
      const double medianError = summariseDiameters(relativeErrors).medianDiameterPx;
      std::printf(
          "dataset %s: measured %.1f px, folder estimate %.1f px (%+.1f %%); median image error %.1f %% over "
          "%zu image(s)\n",
          qPrintable(folder), measured, estimated, measured > 0 ? 100 * (estimated / measured - 1) : 0.0,
          100 * medianError, relativeErrors.size());
    }
    if (estimated > 0)
      std::printf(
          "folder %s: estimate %.0f px from %zu image(s); to count every slide at it: fluocount-cli count %s "
          "--diameter %.0f\n",
          qPrintable(folder), estimated, estimates.size(), qPrintable(folder), estimated);
    else if (!estimates.empty())  // (none: every slide failed to load, and each error was said)
      std::printf("folder %s: no cells found at any probe diameter in %zu image(s); give --diameter\n",
                  qPrintable(folder), estimates.size());
  }
}

}  // namespace

int runDiameterCommand(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(
      "Measure the typical cell diameter of annotated datasets (FNC layout: images/, masks/, optional labels/): "
      "the median equivalent-circle diameter of the annotated objects, with quartiles. Instance labels are used "
      "where present; in binary masks touching cells form one object, which the median mostly ignores. With "
      "--estimate, run what '--diameter auto' runs on each image and print its estimate, against the annotation "
      "where there is one, and one diameter for each folder (as the app's Measure Cell Diameter): --estimate also "
      "takes folders of slides without masks.");
  parser.addPositionalArgument("folders", "Dataset folders (with --estimate, also folders of slides).", "folders...");
  addCounterOptions(parser);
  parser.addOptions({
      {"estimate",
       "Also estimate each image's diameter from the counter's detections (as --diameter auto does) "
       "and print it against the annotation's where there is one, and one diameter for each folder."},
      {"only", "With --estimate: only the images whose file names are listed (one per line) in this file.", "file"},
      {"limit", "With --estimate: only the first N images of each folder.", "n"},
  });
  parseOrExit(parser, arguments);
  if (parser.positionalArguments().isEmpty()) throw CliError("name at least one dataset folder");
  int failures = 0;
  if (parser.isSet("estimate"))
    printEstimates(parser, failures);
  else
    printMeasuredOnly(parser.positionalArguments(), failures);
  return failures ? 1 : 0;
}

}  // namespace fluocount::cli
