#pragma once
// What a retrained version does to the slides it did not learn from: F1 over the annotated slides (a mask, or a
// count by hand in hand-counts/) that the run neither trained nor validated on, with the model it started from and
// with the new version, each model at its own threshold. It is the "rest of your slides" that
// models/few-shot-benchmark.sh measures, shown in the Training panel once the new version has counted the folder.
#include "core/metrics.h"

#include <QString>
#include <QStringList>

#include <optional>

namespace fluocount::ui {

class Project;

struct HeldOutScore {
  QString model;          // the model that counted the slides, as the user knows it ("bundled", "v2")
  QStringList slides;     // the annotated slides scored, in folder order
  QStringList uncounted;  // annotated, not used in the run, but without a result to score (not counted, failed)
  MatchCounts counts;     // pooled over `slides`
  std::optional<double> threshold;  // the model's threshold they were scored at (none: no slide scored)
  double f1() const { return f1Of(counts); }
};

// Scores the annotated slides not in `usedInRun` from their sweeps, each at its analysis' default threshold (the
// model's own). Where `onlySlides` is given, only those of them: the after of a before/after scores the same slides.
HeldOutScore scoreHeldOutSlides(const Project& project, const QStringList& usedInRun, const QString& model,
                                const std::optional<QStringList>& onlySlides = std::nullopt);

// What the Training panel says of a version against the model it started from, on the same held-out slides.
QString describeHeldOutChange(const HeldOutScore& before, const HeldOutScore& after);

}  // namespace fluocount::ui
