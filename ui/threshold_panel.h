#pragma once
// The threshold panel: a slider and spin box, and QCustomPlot plots against the threshold of the current slide's
// and the folder's counts and of F1, precision and recall over the slides that have masks, with the Kneedle and
// best-F1 thresholds marked and one click to apply either. Hovering a plot shows the values.
#include "core/threshold_sweep.h"

#include <QWidget>

#include <optional>

class QCustomPlot;
class QCPItemStraightLine;
class QCPItemText;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSlider;

namespace fluocount::ui {

class ThresholdPanel : public QWidget {
  Q_OBJECT
public:
  explicit ThresholdPanel(QWidget* parent = nullptr);

  double threshold() const;
  void setThreshold(double threshold);  // does not emit
  // slide: the current slide's sweep (may be null); folder: the combined sweep of the counted slides.
  void setCurves(const SweepResult* slide, const SweepResult& folder);
  void setCounts(int slideCount, int folderCount);  // at the current threshold (-1: unknown)

  QCustomPlot* countPlot() const { return countPlot_; }
  QCustomPlot* f1Plot() const { return f1Plot_; }
  std::optional<double> kneeThreshold() const { return knee_; }
  std::optional<double> bestF1Threshold() const { return best_; }
  // What the F1 plot says in place of curves while no counted slide has a mask; empty when it shows curves.
  QString f1PlotNote() const;

signals:
  void thresholdChanging(double threshold);  // while the slider moves
  void thresholdChosen(double threshold);    // slider released, spin box edited, or a marker applied
  void useModelThreshold();

private:
  void fromSlider(int position, bool final);
  void moveMarkers();
  void showValuesAt(QCustomPlot* plot, QPoint position);

  QSlider* slider_;
  QDoubleSpinBox* spin_;
  QLabel* countLabel_;
  QPushButton* kneeButton_;
  QPushButton* bestButton_;
  QCustomPlot* countPlot_;
  QCustomPlot* f1Plot_;
  QCPItemStraightLine* countLine_;
  QCPItemStraightLine* f1Line_;
  QCPItemText* noMasksNote_;  // in the F1 plot while it has nothing to show
  SweepResult slideSweep_, folderSweep_;
  bool hasSlideSweep_ = false;
  std::optional<double> knee_, best_;
};

}  // namespace fluocount::ui
