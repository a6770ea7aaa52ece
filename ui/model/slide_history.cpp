#include "ui/model/slide_history.h"

#include <QUndoGroup>
#include <QUndoStack>

#include <algorithm>

namespace fluocount::ui {

void HistoryCommand::redo() {
  if (skipRedo_) {
    skipRedo_ = false;
    return;
  }
  apply();
}

namespace {
std::size_t bytesOf(const QUndoStack& stack) {
  std::size_t bytes = 0;
  for (int i = 0; i < stack.count(); ++i)
    if (const auto* command = dynamic_cast<const HistoryCommand*>(stack.command(i))) bytes += command->memoryBytes();
  return bytes;
}
}  // namespace

SlideHistory::SlideHistory(QObject* parent)
    : QObject(parent), group_(new QUndoGroup(this)), idle_(new QUndoStack(this)) {
  group_->addStack(idle_);
  group_->setActiveStack(idle_);
}

SlideHistory::~SlideHistory() = default;

QUndoStack* SlideHistory::active() const { return group_->activeStack(); }

void SlideHistory::activate(const QString& slideKey) {
  QUndoStack*& stack = stacks_[slideKey];
  if (!stack) {
    stack = new QUndoStack(this);
    group_->addStack(stack);
  }
  activeKey_ = slideKey;
  group_->setActiveStack(stack);
  visits_.erase(std::remove(visits_.begin(), visits_.end(), slideKey), visits_.end());
  visits_.push_back(slideKey);
}

void SlideHistory::clearActive() {
  if (QUndoStack* stack = active()) stack->clear();
}

void SlideHistory::clearAll() {
  group_->setActiveStack(idle_);
  for (auto& [key, stack] : stacks_) delete stack;  // QUndoGroup forgets a deleted stack
  stacks_.clear();
  visits_.clear();
  activeKey_.clear();
}

void SlideHistory::push(HistoryCommand* command) {
  active()->push(command);
  dropOldestOverBudget();
  dropLeastRecentSlidesOverTotal();
}

std::size_t SlideHistory::activeBytes() const { return bytesOf(*active()); }

std::size_t SlideHistory::totalBytes() const {
  std::size_t bytes = 0;
  for (const auto& [key, stack] : stacks_) bytes += bytesOf(*stack);
  return bytes;
}

std::vector<QString> SlideHistory::slidesWithHistory() const {
  std::vector<QString> slides;
  for (const QString& key : visits_)
    if (stacks_.at(key)->count() > 0) slides.push_back(key);
  return slides;
}

// The slide on screen keeps its history; others go whole, least recently visited first.
void SlideHistory::dropLeastRecentSlidesOverTotal() {
  std::size_t bytes = totalBytes();
  for (const QString& key : std::vector<QString>(visits_)) {
    if (bytes <= totalBudgetBytes_) return;
    if (key == activeKey_) continue;
    bytes -= bytesOf(*stacks_.at(key));
    stacks_.at(key)->clear();
  }
}

// QUndoStack can only drop its oldest commands by a step count fixed while it is empty, so the newest edits that fit
// move to a fresh stack. A push has just happened: every command is applied (no redo tail), so they move as applied.
void SlideHistory::dropOldestOverBudget() {
  QUndoStack* old = active();
  std::size_t bytes = bytesOf(*old);
  if (bytes <= budgetBytes_ || old->count() < 2) return;
  int first = 0;
  while (first < old->count() - 1 && bytes > budgetBytes_) {
    if (const auto* command = dynamic_cast<const HistoryCommand*>(old->command(first))) bytes -= command->memoryBytes();
    ++first;
  }
  auto* fresh = new QUndoStack(this);
  group_->addStack(fresh);
  for (int i = first; i < old->count(); ++i)
    if (auto* command = dynamic_cast<HistoryCommand*>(const_cast<QUndoCommand*>(old->command(i))))
      fresh->push(command->takeApplied().release());
  group_->setActiveStack(fresh);
  if (old == idle_)
    idle_ = fresh;
  else
    stacks_[activeKey_] = fresh;
  delete old;
}

}  // namespace fluocount::ui
