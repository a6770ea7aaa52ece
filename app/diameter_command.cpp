// fluocount-cli diameter: a dataset's typical cell diameter, measured on its annotations, for --diameter and for
// the folder:diameter arguments of train.
#include "app/cli_common.h"
#include "core/cell_size.h"

#include <cstdio>

namespace fluocount::cli {

namespace {

// Instance labels when the dataset has them, else the connected components of the binary mask.
cv::Mat objectLabels(const AnnotatedImage& item) {
  if (!item.labels.empty()) return loadLabels(item.labels);
  cv::Mat labels;
  labelComponents(loadMask(item.mask), labels);
  return labels;
}

}  // namespace

int runDiameterCommand(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(
      "Measure the typical cell diameter of annotated datasets (FNC layout: images/, masks/, optional labels/): "
      "the median equivalent-circle diameter of the annotated objects, with quartiles. Instance labels are used "
      "where present; in binary masks touching cells form one object, which the median mostly ignores.");
  parser.addPositionalArgument("folders", "Annotated dataset folders.", "folders...");
  parseOrExit(parser, arguments);
  if (parser.positionalArguments().isEmpty()) throw CliError("name at least one dataset folder");

  std::printf("%-40s %7s %8s %12s %12s\n", "dataset", "images", "objects", "diameter px", "quartiles px");
  int failures = 0;
  for (const QString& folder : parser.positionalArguments()) {
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
  return failures ? 1 : 0;
}

}  // namespace fluocount::cli
