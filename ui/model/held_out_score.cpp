#include "ui/model/held_out_score.h"

#include "ui/model/project.h"

#include <cmath>

namespace fluocount::ui {
namespace {

// The sweep point nearest the model's threshold. A model's threshold is a Kneedle knee of the same grid of
// thresholds (0.500, 0.525, ...), so this is the point at it.
const SweepPoint* pointAt(const SweepResult& sweep, double threshold) {
  const SweepPoint* nearest = nullptr;
  for (const SweepPoint& point : sweep.points)
    if (!nearest || std::abs(point.threshold - threshold) < std::abs(nearest->threshold - threshold)) nearest = &point;
  return nearest;
}

QString slides(qsizetype n) {
  return n == 1 ? QObject::tr("the 1 annotated slide") : QObject::tr("the %1 annotated slides").arg(n);
}

}  // namespace

HeldOutScore scoreHeldOutSlides(const Project& project, const QStringList& usedInRun, const QString& model,
                                const std::optional<QStringList>& onlySlides) {
  HeldOutScore score;
  score.model = model;
  for (int i = 0; i < project.slideCount(); ++i) {
    const Slide& slide = project.slide(i);
    // A slide counted by hand (hand-counts/) is scored against its marks: a run can only learn from masks, so such
    // slides are always unseen, and they are what a biologist who counts by hand today has most of.
    if (!slide.hasAnnotations() || usedInRun.contains(slide.name)) continue;
    if (onlySlides && !onlySlides->contains(slide.name)) continue;
    const SweepPoint* point = nullptr;
    if (slide.analysis && slide.analysis->sweep.hasTruth)
      point = pointAt(slide.analysis->sweep, slide.analysis->defaultThreshold);
    if (!point) {
      score.uncounted.append(slide.name);
      continue;
    }
    score.slides.append(slide.name);
    score.counts += point->counts;
    if (!score.threshold) score.threshold = point->threshold;
  }
  return score;
}

QString describeHeldOutChange(const HeldOutScore& before, const HeldOutScore& after) {
  if (before.slides.isEmpty() && before.uncounted.isEmpty())
    return QObject::tr(
               "Every slide with a mask was used in this run, and no slide is counted by hand, so how %1 counts "
               "slides it has not seen is not measured here. To measure it, give a few annotated slides the role "
               "\"not used\" in Retrain, or put counts by hand in hand-counts/; the Before column of the slide "
               "list compares the counts.")
        .arg(after.model);
  if (before.slides.isEmpty())
    return QObject::tr(
               "%1 not used in this run had no result with %2 before, so there is no before and after to "
               "compare.")
        .arg(slides(before.uncounted.size()), before.model);
  if (after.slides != before.slides)
    return QObject::tr(
               "F1 on %1 not used in this run, with %2 and with %3, appears when %3 has counted them (%4 to "
               "go).")
        .arg(slides(before.slides.size()), before.model, after.model)
        .arg(before.slides.size() - after.slides.size());
  // Matching pairs each annotated cell with a detection or misses it: both models see the same cells, unless a
  // mask was edited in between.
  const auto annotatedCells = [](const MatchCounts& c) { return c.truePositives + c.falseNegatives; };
  if (annotatedCells(before.counts) != annotatedCells(after.counts))
    return QObject::tr(
               "A mask or count by hand of the annotated slides not used in this run changed after %1 scored them, "
               "so F1 with %1 and with %2 would not be measured against the same cells.")
        .arg(before.model, after.model);
  const double change = after.f1() - before.f1();
  QString leftOut;
  if (!before.uncounted.isEmpty())
    leftOut = QObject::tr(" %1 more had no result with %2 before and are left out.")
                  .arg(before.uncounted.size())
                  .arg(before.model);
  if (change < 0)
    leftOut += QObject::tr(" %1 counts these slides worse: Model > Model Versions makes %2 active again.")
                   .arg(after.model, before.model);
  return QObject::tr(
             "On %1 not used in this run: F1 %2 with %3 (threshold %4), %5 with %6 (threshold %7), %8%9. "
             "Precision %10 -> %11, recall %12 -> %13.")
             .arg(slides(before.slides.size()))
             .arg(before.f1(), 0, 'f', 3)
             .arg(before.model)
             .arg(*before.threshold, 0, 'f', 3)
             .arg(after.f1(), 0, 'f', 3)
             .arg(after.model)
             .arg(*after.threshold, 0, 'f', 3)
             .arg(change >= 0 ? QStringLiteral("+") : QString())
             .arg(change, 0, 'f', 3)
             .arg(precisionOf(before.counts), 0, 'f', 3)
             .arg(precisionOf(after.counts), 0, 'f', 3)
             .arg(recallOf(before.counts), 0, 'f', 3)
             .arg(recallOf(after.counts), 0, 'f', 3) +
         leftOut;
}

}  // namespace fluocount::ui
