// fluocount-cli sweep: count and F1 for each threshold, with the Kneedle knee and the argmax of F1.
#include "app/cli_common.h"
#include "app/progress_bar.h"
#include "core/threshold_sweep.h"

#include <cstdio>

namespace fluocount::cli {

int runSweepCommand(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(
      "Compute each image's heatmap once, then count and score it at thresholds 0.500, 0.525, ..., 0.975 "
      "(docs/method.md section 8). Prints count, precision, recall and F1 per threshold, the Kneedle knee of the F1 "
      "curve (concave, decreasing, S = 1) and the threshold of highest F1.");
  addEvaluationOptions(parser);
  addCounterOptions(parser);
  parseOrExit(parser, arguments);

  const std::vector<AnnotatedImage> items = annotatedImagesFromOptions(parser);
  const CellCounter counter = makeCounter(parser);
  if (!counter.usesNetwork())
    std::fprintf(stderr, "note: the classical method's score is a blurred intensity, not a probability\n");
  std::fprintf(stderr, "Sweeping %zu image(s) with %s\n", items.size(), counter.methodDescription().c_str());

  // Each image is swept with its own match distance (its cell diameter, which --diameter auto estimates per
  // image), and the sweeps are pooled.
  const auto sweepImage = [&](const AnnotatedImage& item, std::optional<double> othersMedianPx,
                              std::optional<CountedDiameter>& diameter) -> std::optional<SweepResult> {
    try {
      const ImageCount result = counter.count(item.image, othersMedianPx);
      diameter = CountedDiameter{result.diameterSource, result.cellDiameterPx, result.detection.count()};
      const SweepImage image{fileName(item.image), result.heatmap, result.postprocess,
                             truthFor(item, result.size, parser, result.cellDiameterPx)};
      return sweepThresholds({image}, defaultSweepThresholds(), matchingFromOptions(parser, result.cellDiameterPx));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "error: %s\n", e.what());
      return std::nullopt;
    }
  };
  std::vector<std::optional<SweepResult>> swept;
  std::vector<std::optional<CountedDiameter>> diameters(items.size());
  ProgressBar progress("heatmaps", static_cast<int>(items.size()));
  for (std::size_t i = 0; i < items.size(); ++i) {
    swept.push_back(sweepImage(items[i], std::nullopt, diameters[i]));
    progress.advance(fileName(items[i].image));
  }
  progress.finish();
  if (counter.estimatesDiameter())  // the second pass, as count's
    countAgainAtTheMedian(
        diameters, [&](std::size_t i, double medianPx) { swept[i] = sweepImage(items[i], medianPx, diameters[i]); });
  std::vector<SweepResult> perImage;
  int failures = 0;
  std::ptrdiff_t notEstimated = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!swept[i]) {
      ++failures;
      continue;
    }
    perImage.push_back(std::move(*swept[i]));
    if (diameters[i]->source == DiameterSource::NotEstimated) ++notEstimated;
  }
  noteImagesWithoutAnEstimate(notEstimated, items.size(), counter.cellDiameterPx(), "", kGiveTheDiameter);

  if (perImage.empty()) {  // an empty table and "no knee" would read as a result
    std::printf("no image could be swept: no curve\n");
    return 1;
  }
  std::vector<const SweepResult*> parts;
  for (const SweepResult& part : perImage) parts.push_back(&part);
  const SweepResult sweep = combineSweeps(parts);
  std::printf("%9s %8s %9s %9s %7s\n", "threshold", "count", "precision", "recall", "F1");
  for (std::size_t i = 0; i < sweep.points.size(); ++i) {
    const SweepPoint& p = sweep.points[i];
    const char* mark = sweep.knee == i ? "  <- knee" : (sweep.argmaxF1 == i ? "  <- best F1" : "");
    std::printf("%9.3f %8d %9.4f %9.4f %7.4f%s\n", p.threshold, p.totalCount, p.precision, p.recall, p.f1, mark);
  }
  if (sweep.knee)
    std::printf("knee: %.3f (F1 %.4f)\n", sweep.points[*sweep.knee].threshold, sweep.points[*sweep.knee].f1);
  else
    std::printf("knee: none (the F1 curve has no knee)\n");
  if (sweep.argmaxF1)
    std::printf("best F1: %.3f (F1 %.4f)\n", sweep.points[*sweep.argmaxF1].threshold, sweep.points[*sweep.argmaxF1].f1);
  if (failures) std::printf("%d image(s) failed and are not in the curve\n", failures);
  return failures ? 1 : 0;
}

}  // namespace fluocount::cli
