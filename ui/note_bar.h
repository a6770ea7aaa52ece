#pragma once
// An information bar in the status bar: a note that stays until the user acts on it or dismisses it, unlike a
// status message that fades while they look elsewhere.
#include <QWidget>

class QLabel;
class QPushButton;

namespace fluocount::ui {

class NoteBar : public QWidget {
  Q_OBJECT
public:
  explicit NoteBar(const QString& objectName, QWidget* parent = nullptr);

  // A button before Dismiss; clicking it hides the bar too.
  QPushButton* addButton(const QString& text, const QString& toolTip);
  void showNote(const QString& text);
  QString text() const;

private:
  QLabel* label_;
};

}  // namespace fluocount::ui
