// fluocount-cli evaluate: annotated datasets -> detection and counting metrics, overall and per image.
#include "app/cli_common.h"
#include "app/progress_bar.h"
#include "core/atomic_file.h"
#include "core/export.h"
#include "core/metrics.h"
#include "core/numeric_locale.h"
#include "core/predictions.h"

#include <QFileInfo>

#include <cstdio>
#include <optional>

namespace fluocount::cli {

namespace {

void printSummary(const EvaluationSummary& s) {
  std::printf("images %d  TP %d  FP %d  FN %d\n", s.images, s.counts.truePositives, s.counts.falsePositives,
              s.counts.falseNegatives);
  std::printf("F1 %.4f  precision %.4f  recall %.4f  accuracy %.4f\n", s.f1, s.precision, s.recall, s.accuracy);
  std::printf("MAE %.4f  MedAE %.4f  MPE %.2f %%", s.meanAbsoluteError, s.medianAbsoluteError,
              100.0 * s.meanPercentageError);
  if (s.imagesWithoutTrueCells)
    std::printf("  (MPE leaves out %d image(s) without true cells, where it is undefined)", s.imagesWithoutTrueCells);
  std::printf("\n");
}

// One image's line of the per-image table: its evaluation, or why it has none.
struct PerImageRow {
  std::string name;
  std::optional<ImageEvaluation> evaluation;
  std::string error;
};

// Failed images keep their line (status "error", the reason, empty figures), so that the table says which images
// its figures leave out rather than looking like the whole dataset.
std::string perImageCsv(const std::vector<PerImageRow>& rows) {
  std::string csv = "file,true_count,predicted_count,tp,fp,fn,precision,recall,f1,status,error\n";
  for (const PerImageRow& row : rows) {
    csv += csvField(row.name);
    if (!row.evaluation) {
      csv += ",,,,,,,,,error," + csvField(row.error) + "\n";
      continue;
    }
    const ImageEvaluation& e = *row.evaluation;
    for (int n :
         {e.trueCount, e.predictedCount, e.counts.truePositives, e.counts.falsePositives, e.counts.falseNegatives})
      csv += "," + std::to_string(n);
    for (double ratio : {precisionOf(e.counts), recallOf(e.counts), f1Of(e.counts)})
      csv += "," + fixedDecimal(ratio, 4);
    csv += ",ok,\n";
  }
  return csv;
}

// One image's detections and the cell diameter they are matched at: FluoCount's count or, with --predictions,
// another tool's saved detections (core/predictions.h).
struct Predicted {
  Detection detection;
  cv::Size size;
  double cellDiameterPx = 0;
  std::optional<DiameterSource> diameterSource;  // none for another tool's detections
};

// One image's line of the table: its scores and the diameter it was counted and matched at, or why it failed.
struct ScoredImage {
  std::optional<ImageEvaluation> evaluation;
  std::optional<CountedDiameter> diameter;
  std::string error;
};

// The cell diameter to match another tool's detections at: there is no counter to estimate it.
double diameterForPredictions(const QCommandLineParser& parser) {
  if (parser.isSet("match-distance")) return numberOption(parser, "match-distance", 0.1, 1e5);
  const CliError needsPixels(
      "with --predictions, give the cell diameter in px, 2 to 2000 (--diameter 40), or --match-distance: there is "
      "no counter to estimate it");
  if (!parser.isSet("diameter")) throw needsPixels;
  try {
    return numberOption(parser, "diameter", 2, 2000);  // 'auto' and '12um' are refused here too
  } catch (const CliError&) {
    throw needsPixels;
  }
}

Predicted predictionsOf(const AnnotatedImage& item, const QString& folder, double cellDiameterPx) {
  const std::vector<std::string> files = predictionFilesFor(folder.toStdString(), item.image);
  if (files.empty())
    throw CliError(fileName(item.image) + ": no predictions for it in " + folder.toStdString() +
                   " (<name or stem>.png or .tif: labels or a mask; .roi, .zip, .geojson, .xml: points)");
  if (files.size() > 1) {
    std::string names;
    for (const std::string& file : files) names += (names.empty() ? "" : ", ") + fileName(file);
    throw CliError(fileName(item.image) + ": " + std::to_string(files.size()) + " prediction files (" + names +
                   "): keep one");
  }
  const cv::Size size = loadImage(item.image).pixels.size();
  return {predictedCells(files.front(), size, item.image), size, cellDiameterPx, std::nullopt};
}

}  // namespace

int runEvaluateCommand(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(
      "Count every annotated image of the given datasets and compare with the annotation (docs/method.md section 7): "
      "pooled F1, precision, recall, accuracy; MAE, MedAE and MPE of the counts; and one line per image.");
  addEvaluationOptions(parser);
  addCounterOptions(parser);
  parser.addOption({"per-image", "Write the per-image table to this CSV file.", "file"});
  parser.addOption({"predictions",
                    "Score another tool's detections instead of counting: for each image, a file in this folder named "
                    "after it (<name or stem>.png or .tif: a label image, each value one object, or a binary mask; "
                    ".roi, .zip, .geojson, .xml: cells marked as points). Give --diameter PX or --match-distance.",
                    "dir"});
  parser.addOption({"overwrite", "Replace an existing --per-image file (by default that is an error)."});
  parseOrExit(parser, arguments);
  const Overwrite overwrite = parser.isSet("overwrite") ? Overwrite::Allow : Overwrite::Refuse;
  // Fail before the counting rather than after it.
  if (parser.isSet("per-image") && overwrite == Overwrite::Refuse && QFileInfo::exists(parser.value("per-image")))
    throw CliError(parser.value("per-image").toStdString() + " already exists; use --overwrite to replace it");

  const std::vector<AnnotatedImage> items = annotatedImagesFromOptions(parser);
  const QString predictions = parser.value("predictions");
  std::optional<CellCounter> counter;
  double predictionsDiameter = 0;
  if (!predictions.isEmpty()) {
    predictionsDiameter = diameterForPredictions(parser);
    std::fprintf(stderr, "Evaluating %zu image(s) against the predictions in %s; match distance %.1f px\n",
                 items.size(), qPrintable(predictions),
                 matchingFromOptions(parser, predictionsDiameter).maxCentreDistancePx);
  } else {
    counter.emplace(makeCounter(parser));
    if (counter->estimatesDiameter() && !parser.isSet("match-distance"))
      std::fprintf(stderr,
                   "Evaluating %zu image(s) with %s; cell diameter estimated per image, match distance = "
                   "that diameter\n",
                   items.size(), counter->methodDescription().c_str());
    else
      std::fprintf(stderr, "Evaluating %zu image(s) with %s; match distance %.1f px\n", items.size(),
                   counter->methodDescription().c_str(),
                   matchingFromOptions(parser, counter->cellDiameterPx()).maxCentreDistancePx);
  }
  const auto predict = [&](const AnnotatedImage& item, std::optional<double> othersMedianPx) -> Predicted {
    if (!counter) return predictionsOf(item, predictions, predictionsDiameter);
    ImageCount result = counter->count(item.image, othersMedianPx);
    return {std::move(result.detection), result.size, result.cellDiameterPx, result.diameterSource};
  };
  const auto score = [&](const AnnotatedImage& item, std::optional<double> othersMedianPx) {
    ScoredImage scored;
    try {
      const Predicted result = predict(item, othersMedianPx);
      const Detection truth = truthFor(item, result.size, parser, result.cellDiameterPx);
      scored.evaluation = evaluateImage(fileName(item.image), result.detection, truth,
                                        matchingFromOptions(parser, result.cellDiameterPx));
      scored.diameter = CountedDiameter{result.diameterSource.value_or(DiameterSource::Given), result.cellDiameterPx,
                                        result.detection.count()};
    } catch (const std::exception& e) {
      scored.error = e.what();
      std::fprintf(stderr, "error: %s\n", e.what());
    }
    return scored;
  };

  std::vector<ScoredImage> scored;
  ProgressBar progress("evaluate", static_cast<int>(items.size()));
  for (const auto& item : items) {
    scored.push_back(score(item, std::nullopt));
    progress.advance(fileName(item.image));
  }
  progress.finish();
  if (counter && counter->estimatesDiameter()) {  // the second pass, as count's
    std::vector<std::optional<CountedDiameter>> diameters;
    for (const ScoredImage& image : scored) diameters.push_back(image.diameter);
    countAgainAtTheMedian(diameters, [&](std::size_t i, double medianPx) { scored[i] = score(items[i], medianPx); });
  }

  std::vector<ImageEvaluation> evaluations;
  std::vector<PerImageRow> perImage;
  int failures = 0;
  std::ptrdiff_t notEstimated = 0;  // images counted at the default diameter: --diameter auto found too few cells
  std::printf("%-48s %6s %6s %5s %5s %5s %7s %9s\n", "file", "true", "pred", "TP", "FP", "FN", "F1", "diameter");
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!scored[i].evaluation) {
      ++failures;
      perImage.push_back({fileName(items[i].image), std::nullopt, scored[i].error});
      continue;
    }
    const ImageEvaluation& e = *scored[i].evaluation;
    evaluations.push_back(e);
    perImage.push_back({e.name, e, {}});
    const bool withoutAnEstimate = scored[i].diameter->source == DiameterSource::NotEstimated;
    if (withoutAnEstimate) ++notEstimated;
    std::printf("%-48.48s %6d %6d %5d %5d %5d %7.4f %9s\n", e.name.c_str(), e.trueCount, e.predictedCount,
                e.counts.truePositives, e.counts.falsePositives, e.counts.falseNegatives, f1Of(e.counts),
                (fixedDecimal(scored[i].diameter->diameterPx, 1) + (withoutAnEstimate ? "?" : "")).c_str());
  }
  if (counter)
    noteImagesWithoutAnEstimate(notEstimated, items.size(), counter->cellDiameterPx(), "marked '?' above",
                                kGiveTheDiameter);
  if (evaluations.empty())  // pooled figures of no image would read as a perfect score (F1 1 of nothing)
    std::printf("no image could be evaluated: no figures\n");
  else
    printSummary(summarise(evaluations));
  if (parser.isSet("per-image"))
    writeFileAtomically(parser.value("per-image").toStdString(), perImageCsv(perImage), overwrite);
  if (failures) std::printf("%d image(s) failed and are not in the figures\n", failures);
  return failures ? 1 : 0;
}

}  // namespace fluocount::cli
