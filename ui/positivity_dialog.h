#pragma once
// Positive or negative per channel, set where the biologist can see it: for each rule (up to four), the channel,
// and a histogram of the mean intensity of the cells on screen in that channel with the threshold as a line to
// drag (or type); the number of positive cells follows. The rules go into the folder's settings: the tables then
// count every marker and combination (core/cell_channels.h), as 'fluocount-cli count --positive' does.
#include "core/cell_channels.h"

#include <QDialog>

class QCustomPlot;
class QCPItemStraightLine;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QVBoxLayout;

namespace fluocount::ui {

class PositivityDialog : public QDialog {
  Q_OBJECT
public:
  // cellMeans[cell][channel]: the mean raw value of every cell on screen in every channel; bitDepth bounds the
  // thresholds.
  PositivityDialog(std::vector<std::vector<double>> cellMeans, std::vector<std::string> channelNames, int bitDepth,
                   std::vector<PositivityRule> rules, QWidget* parent = nullptr);
  std::vector<PositivityRule> rules() const;
  int positiveCells(int rule) const;  // on screen, at the rule's current threshold
  void setThreshold(int rule, double threshold);
  void addRule();
  void removeRule(int rule);

private:
  struct RuleRow {
    QWidget* box;
    QComboBox* channel;
    QDoubleSpinBox* threshold;
    QCustomPlot* histogram;
    QCPItemStraightLine* line;
    QLabel* positive;
  };
  void addRow(PositivityRule rule);
  void refresh(RuleRow& row);

  std::vector<std::vector<double>> cellMeans_;
  std::vector<std::string> channelNames_;
  int bitDepth_;
  std::vector<RuleRow> rows_;
  QVBoxLayout* rowsLayout_;
  QWidget* addButton_;
};

}  // namespace fluocount::ui
