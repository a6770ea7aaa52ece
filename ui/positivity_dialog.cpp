#include "ui/positivity_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace fluocount::ui {

PositivityDialog::PositivityDialog(std::vector<std::vector<double>> cellMeans, std::vector<std::string> channelNames,
                                   int bitDepth, std::vector<PositivityRule> rules, QWidget* parent)
    : QDialog(parent), cellMeans_(std::move(cellMeans)), channelNames_(std::move(channelNames)), bitDepth_(bitDepth) {
  setWindowTitle(tr("Positive cells per channel"));
  auto* layout = new QVBoxLayout(this);
  auto* intro =
      new QLabel(tr("A cell is positive in a channel when its mean intensity there is at least the "
                    "threshold. The histograms show the %n cell(s) on screen; drag in a histogram or type "
                    "the threshold.",
                    nullptr, int(cellMeans_.size())));
  intro->setWordWrap(true);
  layout->addWidget(intro);
  rowsLayout_ = new QVBoxLayout;
  layout->addLayout(rowsLayout_);
  auto* add = new QPushButton(tr("Add a channel"));
  addButton_ = add;
  connect(add, &QPushButton::clicked, this, &PositivityDialog::addRule);
  layout->addWidget(add);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  layout->addWidget(buttons);
  for (const PositivityRule& rule : rules)
    if (rule.channel <= int(channelNames_.size())) addRow(rule);
  addButton_->setEnabled(rows_.size() < kMaxPositivityRules);
  resize(620, 220 + 200 * int(rows_.size()));
}

void PositivityDialog::addRule() {
  if (rows_.size() >= kMaxPositivityRules || channelNames_.empty()) return;
  // The first channel without a rule, at the median of its cells (a starting point to move).
  int channel = 1;
  for (int c = 1; c <= int(channelNames_.size()); ++c)
    if (std::none_of(rows_.begin(), rows_.end(),
                     [&](const RuleRow& r) { return r.channel->currentIndex() + 1 == c; })) {
      channel = c;
      break;
    }
  std::vector<double> values;
  for (const auto& cell : cellMeans_)
    if (channel - 1 < int(cell.size()) && std::isfinite(cell[channel - 1])) values.push_back(cell[channel - 1]);
  std::sort(values.begin(), values.end());
  const double median = values.empty() ? 0.0 : std::max(0.0, values[values.size() / 2]);
  addRow({channel, bitDepth_ == 32 ? median : std::round(median)});  // a float image's values may all be below 1
  addButton_->setEnabled(rows_.size() < kMaxPositivityRules);
}

void PositivityDialog::removeRule(int rule) {
  if (rule < 0 || rule >= int(rows_.size())) return;
  delete rows_[rule].box;
  rows_.erase(rows_.begin() + rule);
  addButton_->setEnabled(true);
}

void PositivityDialog::addRow(PositivityRule rule) {
  RuleRow row;
  row.box = new QWidget;
  auto* layout = new QVBoxLayout(row.box);
  auto* controls = new QHBoxLayout;
  row.channel = new QComboBox;
  for (std::size_t c = 0; c < channelNames_.size(); ++c)
    row.channel->addItem(tr("Channel %1 (%2)").arg(c + 1).arg(QString::fromStdString(channelNames_[c])));
  row.channel->setCurrentIndex(rule.channel - 1);
  row.threshold = new QDoubleSpinBox;
  // Raw values: 0-255, 0-65535, or a float image's own (no maximum; often fractions of 1).
  row.threshold->setRange(0, bitDepth_ == 32 ? 1e9 : bitDepth_ == 16 ? 65535 : 255);
  row.threshold->setDecimals(bitDepth_ == 32 ? 4 : 1);
  row.threshold->setValue(rule.threshold);
  row.positive = new QLabel;
  auto* remove = new QPushButton(tr("Remove"));
  controls->addWidget(row.channel);
  controls->addWidget(new QLabel(tr("positive from")));
  controls->addWidget(row.threshold);
  controls->addWidget(row.positive, 1);
  controls->addWidget(remove);
  layout->addLayout(controls);
  row.histogram = new QCustomPlot;
  row.histogram->setMinimumHeight(150);
  row.histogram->addGraph();
  row.histogram->graph(0)->setLineStyle(QCPGraph::lsStepCenter);
  row.histogram->graph(0)->setBrush(QColor(80, 140, 220, 90));
  row.histogram->xAxis->setLabel(tr("cell mean intensity"));
  row.histogram->yAxis->setLabel(tr("cells"));
  row.line = new QCPItemStraightLine(row.histogram);
  row.line->setPen(QPen(QColor(220, 60, 60), 2));
  layout->addWidget(row.histogram);
  rowsLayout_->addWidget(row.box);
  rows_.push_back(row);
  QWidget* box = row.box;
  auto indexOf = [this, box] {
    for (std::size_t i = 0; i < rows_.size(); ++i)
      if (rows_[i].box == box) return int(i);
    return -1;
  };
  connect(row.channel, qOverload<int>(&QComboBox::currentIndexChanged), this,
          [this, indexOf] { refresh(rows_[indexOf()]); });
  connect(row.threshold, qOverload<double>(&QDoubleSpinBox::valueChanged), this,
          [this, indexOf] { refresh(rows_[indexOf()]); });
  connect(remove, &QPushButton::clicked, this, [this, indexOf] { removeRule(indexOf()); });
  auto dragTo = [this, indexOf](QMouseEvent* event) {
    if (!(event->buttons() & Qt::LeftButton)) return;
    RuleRow& r = rows_[indexOf()];
    r.threshold->setValue(std::max(0.0, r.histogram->xAxis->pixelToCoord(event->position().x())));
  };
  connect(row.histogram, &QCustomPlot::mousePress, this, dragTo);
  connect(row.histogram, &QCustomPlot::mouseMove, this, dragTo);
  refresh(rows_.back());
}

void PositivityDialog::refresh(RuleRow& row) {
  const int channel = row.channel->currentIndex();
  std::vector<double> values;
  for (const auto& cell : cellMeans_)
    if (channel < int(cell.size()) && std::isfinite(cell[channel])) values.push_back(cell[channel]);
  const double highest = values.empty() ? 0 : *std::max_element(values.begin(), values.end());
  const double top = highest > 0 ? (bitDepth_ == 32 ? highest : std::max(1.0, highest)) : 1;
  const int bins = 40;
  QVector<double> x(bins), y(bins, 0);
  for (int b = 0; b < bins; ++b) x[b] = (b + 0.5) * top / bins;
  for (const double v : values) y[std::clamp(int(v / top * bins), 0, bins - 1)] += 1;
  row.histogram->graph(0)->setData(x, y);
  row.histogram->xAxis->setRange(0, top * 1.02);
  row.histogram->yAxis->setRange(0, std::max(1.0, *std::max_element(y.begin(), y.end())) * 1.1);
  row.line->point1->setCoords(row.threshold->value(), 0);
  row.line->point2->setCoords(row.threshold->value(), 1);
  const int rule = int(&row - rows_.data());
  row.positive->setText(tr("%1 of %2 cells positive").arg(positiveCells(rule)).arg(values.size()));
  row.histogram->replot(QCustomPlot::rpQueuedReplot);
}

std::vector<PositivityRule> PositivityDialog::rules() const {
  std::vector<PositivityRule> rules;
  for (const RuleRow& row : rows_) rules.push_back({row.channel->currentIndex() + 1, row.threshold->value()});
  return rules;
}

int PositivityDialog::positiveCells(int rule) const {
  if (rule < 0 || rule >= int(rows_.size())) return 0;
  const int channel = rows_[rule].channel->currentIndex();
  const double threshold = rows_[rule].threshold->value();
  return int(std::count_if(cellMeans_.begin(), cellMeans_.end(), [&](const std::vector<double>& cell) {
    return channel < int(cell.size()) && cell[channel] >= threshold;
  }));
}

void PositivityDialog::setThreshold(int rule, double threshold) {
  if (rule >= 0 && rule < int(rows_.size())) rows_[rule].threshold->setValue(threshold);
}

}  // namespace fluocount::ui
