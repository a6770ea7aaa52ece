#include "ui/threshold_panel.h"

#include "ui/plot_style.h"

#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSlider>
#include <QToolTip>
#include <QVBoxLayout>

#include <qcustomplot.h>

namespace fluocount::ui {

namespace {

constexpr int kSliderSteps = 1000;  // threshold resolution 0.001

QCPItemStraightLine* verticalLine(QCustomPlot* plot) {
  auto* line = new QCPItemStraightLine(plot);
  line->setPen(QPen(QColor(90, 90, 90), 1, Qt::DashLine));
  return line;
}

void setLine(QCPGraph* graph, const std::vector<SweepPoint>& points, double (*value)(const SweepPoint&)) {
  QVector<double> x, y;
  for (const SweepPoint& p : points) {
    x.append(p.threshold);
    y.append(value(p));
  }
  graph->setData(x, y, true);
}

}  // namespace

ThresholdPanel::ThresholdPanel(QWidget* parent) : QWidget(parent) {
  slider_ = new QSlider(Qt::Horizontal);
  slider_->setRange(0, kSliderSteps);
  slider_->setToolTip(tr("Probability threshold: pixels above it are cells. Drag to see the count change."));
  spin_ = new QDoubleSpinBox;
  spin_->setRange(0.0, 1.0);
  spin_->setDecimals(3);
  spin_->setSingleStep(0.005);
  spin_->setKeyboardTracking(false);
  countLabel_ = new QLabel;
  auto* modelButton = new QPushButton(tr("Model default"));
  modelButton->setToolTip(tr("Use the threshold stored in the model (chosen by Kneedle on its validation data)"));
  kneeButton_ = new QPushButton(tr("Use knee"));
  kneeButton_->setToolTip(tr("Kneedle threshold of the F1 curve over the slides with masks"));
  bestButton_ = new QPushButton(tr("Use best F1"));
  kneeButton_->setEnabled(false);
  bestButton_->setEnabled(false);

  auto* controls = new QHBoxLayout;
  controls->addWidget(new QLabel(tr("Threshold")));
  controls->addWidget(slider_, 1);
  controls->addWidget(spin_);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(modelButton);
  buttons->addWidget(kneeButton_);
  buttons->addWidget(bestButton_);
  buttons->addStretch();

  countPlot_ = makePlot(tr("threshold"), tr("cells (slide)"));
  countPlot_->xAxis->setRange(0.45, 1.0);
  countPlot_->yAxis2->setVisible(true);
  countPlot_->yAxis2->setLabel(tr("cells (folder)"));
  countPlot_->addGraph(countPlot_->xAxis, countPlot_->yAxis)->setName(tr("this slide"));
  countPlot_->graph(0)->setPen(QPen(QColor(30, 120, 200), 2));
  countPlot_->addGraph(countPlot_->xAxis, countPlot_->yAxis2)->setName(tr("folder"));
  countPlot_->graph(1)->setPen(QPen(QColor(120, 120, 120), 2, Qt::DotLine));
  f1Plot_ = makePlot(tr("threshold"), tr("score"));
  f1Plot_->xAxis->setRange(0.45, 1.0);
  f1Plot_->yAxis->setRange(0, 1.02);
  const std::pair<QString, QColor> curves[] = {
      {tr("F1"), QColor(200, 40, 40)}, {tr("precision"), QColor(40, 160, 80)}, {tr("recall"), QColor(120, 80, 200)}};
  for (const auto& [name, colour] : curves) {
    QCPGraph* graph = f1Plot_->addGraph();
    graph->setName(name);
    graph->setPen(QPen(colour, name == tr("F1") ? 2.5 : 1.5));
  }
  QCPGraph* markers = f1Plot_->addGraph();  // knee and best-F1 points
  markers->setName(tr("knee / best F1"));
  markers->setLineStyle(QCPGraph::lsNone);
  markers->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDiamond, QColor(0, 0, 0), QColor(255, 200, 0), 10));
  countLine_ = verticalLine(countPlot_);
  f1Line_ = verticalLine(f1Plot_);
  // Empty axes alone would not say why there is no F1: it needs the true cells of at least one counted slide.
  noMasksNote_ = new QCPItemText(f1Plot_);
  noMasksNote_->position->setType(QCPItemPosition::ptAxisRectRatio);
  noMasksNote_->position->setCoords(0.5, 0.45);
  noMasksNote_->setText(
      tr("No masks yet. F1 shows once a\n"
         "counted slide has a mask: draw\n"
         "one, or add masks/<slide>.png\n"
         "(or your marks: hand-counts/)"));
  noMasksNote_->setClipToAxisRect(false);
  noMasksNote_->setColor(QColor(90, 90, 90));
  noMasksNote_->setPadding(QMargins(6, 4, 6, 4));
  noMasksNote_->setBrush(QBrush(QColor(255, 255, 255, 220)));

  auto* layout = new QVBoxLayout(this);
  layout->addLayout(controls);
  layout->addWidget(countLabel_);
  layout->addLayout(buttons);
  layout->addWidget(countPlot_, 1);
  layout->addWidget(f1Plot_, 1);

  connect(slider_, &QSlider::valueChanged, this, [this](int v) { fromSlider(v, !slider_->isSliderDown()); });
  connect(slider_, &QSlider::sliderReleased, this, [this] { fromSlider(slider_->value(), true); });
  connect(spin_, qOverload<double>(&QDoubleSpinBox::valueChanged), this, [this](double t) {
    setThreshold(t);
    emit thresholdChosen(t);
  });
  connect(modelButton, &QPushButton::clicked, this, &ThresholdPanel::useModelThreshold);
  connect(kneeButton_, &QPushButton::clicked, this, [this] {
    if (knee_) {
      setThreshold(*knee_);
      emit thresholdChosen(*knee_);
    }
  });
  connect(bestButton_, &QPushButton::clicked, this, [this] {
    if (best_) {
      setThreshold(*best_);
      emit thresholdChosen(*best_);
    }
  });
  for (QCustomPlot* plot : {countPlot_, f1Plot_})
    connect(plot, &QCustomPlot::mouseMove, this, [this, plot](QMouseEvent* e) { showValuesAt(plot, e->pos()); });
  setThreshold(0.5);
}

double ThresholdPanel::threshold() const { return spin_->value(); }

void ThresholdPanel::setThreshold(double threshold) {
  const QSignalBlocker blockSlider(slider_), blockSpin(spin_);
  slider_->setValue(int(std::lround(threshold * kSliderSteps)));
  spin_->setValue(threshold);
  moveMarkers();
}

void ThresholdPanel::fromSlider(int position, bool final) {
  const double threshold = double(position) / kSliderSteps;
  {
    const QSignalBlocker block(spin_);
    spin_->setValue(threshold);
  }
  moveMarkers();
  if (final)
    emit thresholdChosen(threshold);
  else
    emit thresholdChanging(threshold);
}

void ThresholdPanel::moveMarkers() {
  const double t = threshold();
  for (QCPItemStraightLine* line : {countLine_, f1Line_}) {
    line->point1->setCoords(t, 0);
    line->point2->setCoords(t, 1);
  }
  countPlot_->replot(QCustomPlot::rpQueuedReplot);
  f1Plot_->replot(QCustomPlot::rpQueuedReplot);
}

void ThresholdPanel::setCounts(int slideCount, int folderCount) {
  QStringList parts;
  if (slideCount >= 0) parts << tr("this slide: <b>%1</b> cells").arg(slideCount);
  if (folderCount >= 0) parts << tr("folder: <b>%1</b> cells").arg(folderCount);
  countLabel_->setText(parts.join(" &nbsp; "));
}

void ThresholdPanel::setCurves(const SweepResult* slide, const SweepResult& folder) {
  hasSlideSweep_ = slide != nullptr;
  slideSweep_ = slide ? *slide : SweepResult{};
  folderSweep_ = folder;
  setLine(countPlot_->graph(0), slideSweep_.points, [](const SweepPoint& p) { return double(p.totalCount); });
  setLine(countPlot_->graph(1), folder.points, [](const SweepPoint& p) { return double(p.totalCount); });
  countPlot_->graph(0)->rescaleValueAxis(false, true);
  countPlot_->graph(1)->rescaleValueAxis(false, true);
  countPlot_->yAxis->setRangeLower(0);
  countPlot_->yAxis2->setRangeLower(0);

  const std::vector<SweepPoint> scored = folder.hasTruth ? folder.points : std::vector<SweepPoint>{};
  setLine(f1Plot_->graph(0), scored, [](const SweepPoint& p) { return p.f1; });
  setLine(f1Plot_->graph(1), scored, [](const SweepPoint& p) { return p.precision; });
  setLine(f1Plot_->graph(2), scored, [](const SweepPoint& p) { return p.recall; });
  knee_ = folder.knee ? std::optional(folder.points[*folder.knee].threshold) : std::nullopt;
  best_ = folder.argmaxF1 ? std::optional(folder.points[*folder.argmaxF1].threshold) : std::nullopt;
  QVector<double> mx, my;
  for (const auto& index : {folder.knee, folder.argmaxF1})
    if (index) {
      mx.append(folder.points[*index].threshold);
      my.append(folder.points[*index].f1);
    }
  f1Plot_->graph(3)->setData(mx, my);
  kneeButton_->setEnabled(knee_.has_value());
  bestButton_->setEnabled(best_.has_value());
  kneeButton_->setText(knee_ ? tr("Use knee (%1)").arg(*knee_, 0, 'f', 3) : tr("Use knee"));
  bestButton_->setText(best_ ? tr("Use best F1 (%1)").arg(*best_, 0, 'f', 3) : tr("Use best F1"));
  f1Plot_->setToolTip(folder.hasTruth ? QString()
                                      : tr("F1 needs slides with masks (masks/<slide>.png) or counts by hand "
                                           "(hand-counts/<slide>.roi, .zip, .geojson or .xml)"));
  noMasksNote_->setVisible(!folder.hasTruth);
  moveMarkers();
}

QString ThresholdPanel::f1PlotNote() const { return noMasksNote_->visible() ? noMasksNote_->text() : QString(); }

void ThresholdPanel::showValuesAt(QCustomPlot* plot, QPoint position) {
  const std::vector<SweepPoint>& points = folderSweep_.points;
  if (points.empty()) return;
  const double t = plot->xAxis->pixelToCoord(position.x());
  std::size_t nearest = 0;
  for (std::size_t i = 1; i < points.size(); ++i)
    if (std::abs(points[i].threshold - t) < std::abs(points[nearest].threshold - t)) nearest = i;
  const SweepPoint& p = points[nearest];
  QString text = tr("threshold %1").arg(p.threshold, 0, 'f', 3);
  if (plot == countPlot_) {
    if (hasSlideSweep_ && nearest < slideSweep_.points.size())
      text += tr("\nthis slide: %1 cells").arg(slideSweep_.points[nearest].totalCount);
    text += tr("\nfolder: %1 cells").arg(p.totalCount);
  } else if (folderSweep_.hasTruth) {
    text += tr("\nF1 %1  precision %2  recall %3")
                .arg(p.f1, 0, 'f', 3)
                .arg(p.precision, 0, 'f', 3)
                .arg(p.recall, 0, 'f', 3);
  }
  QToolTip::showText(plot->mapToGlobal(position), text, plot);
}

}  // namespace fluocount::ui
