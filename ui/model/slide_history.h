#pragma once
// The edit history of each slide for the session. Mask and region edits of the slide on screen go on that slide's
// undo stack; moving to another slide and back keeps them. Each stack is bounded by the bytes its edits hold (not by
// a number of steps, so a thousand brush dabs fit where a few whole-slide fills would not): when a push takes it
// over the budget, the oldest edits are dropped until it fits, the newest always kept. All slides together are
// bounded too: past that, the histories of the slides visited longest ago are dropped whole.
#include <QObject>
#include <QUndoCommand>

#include <cstddef>
#include <map>
#include <memory>
#include <vector>

class QUndoGroup;
class QUndoStack;

namespace fluocount::ui {

// An edit the history can weigh and move. redo() applies it, except the first time when it was applied before it
// was pushed (a brush dab is painted as the mouse moves, then recorded).
class HistoryCommand : public QUndoCommand {
public:
  HistoryCommand(const QString& text, bool alreadyApplied) : QUndoCommand(text), skipRedo_(alreadyApplied) {}
  void redo() final;
  void undo() final { revert(); }
  // The memory this edit holds (its changed pixels, its polygons).
  virtual std::size_t memoryBytes() const = 0;
  // A command holding this one's edit, as applied: how the history carries its newest edits to a fresh stack when
  // it drops the oldest. This command is left empty.
  virtual std::unique_ptr<HistoryCommand> takeApplied() = 0;

protected:
  virtual void apply() = 0;
  virtual void revert() = 0;

private:
  bool skipRedo_;
};

class SlideHistory : public QObject {
  Q_OBJECT
public:
  static constexpr std::size_t kDefaultBudgetBytes = std::size_t(64) << 20;        // per slide
  static constexpr std::size_t kDefaultTotalBudgetBytes = std::size_t(512) << 20;  // all slides

  explicit SlideHistory(QObject* parent = nullptr);
  ~SlideHistory() override;

  // The Edit menu's undo and redo actions and the History view follow the group's active stack.
  QUndoGroup* group() const { return group_; }
  // The stack of the slide on screen (an empty one that takes no edits before any slide is activated).
  QUndoStack* active() const;
  // The slide on screen, by a key that names it (its mask file); its stack is made on first use.
  void activate(const QString& slideKey);
  // The active slide's edits can no longer be undone (its files changed outside the app).
  void clearActive();
  // Every slide's history (another folder was opened).
  void clearAll();

  void push(HistoryCommand* command);
  std::size_t activeBytes() const;
  std::size_t totalBytes() const;
  std::size_t budgetBytes() const { return budgetBytes_; }
  void setBudgetBytes(std::size_t bytes) { budgetBytes_ = bytes; }
  void setTotalBudgetBytes(std::size_t bytes) { totalBudgetBytes_ = bytes; }
  // The slides that still have a history, the one on screen last.
  std::vector<QString> slidesWithHistory() const;

private:
  void dropOldestOverBudget();
  void dropLeastRecentSlidesOverTotal();

  QUndoGroup* group_;
  QUndoStack* idle_;  // active before any slide
  std::map<QString, QUndoStack*> stacks_;
  std::vector<QString> visits_;  // the slides with a stack, least recently on screen first
  QString activeKey_;
  std::size_t budgetBytes_ = kDefaultBudgetBytes, totalBudgetBytes_ = kDefaultTotalBudgetBytes;
};

}  // namespace fluocount::ui
