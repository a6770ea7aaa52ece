#pragma once
// The look every FluoCount plot shares: axis labels, and a small legend in a row under the axes where it never
// hides a curve.
#include <QString>

class QCustomPlot;

namespace fluocount::ui {

QCustomPlot* makePlot(const QString& xLabel, const QString& yLabel);

}  // namespace fluocount::ui
