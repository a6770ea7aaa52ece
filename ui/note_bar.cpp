#include "ui/note_bar.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPalette>
#include <QPushButton>

namespace fluocount::ui {

NoteBar::NoteBar(const QString& objectName, QWidget* parent) : QWidget(parent), label_(new QLabel) {
  setObjectName(objectName);
  // A pale amber, as an information bar.
  setAutoFillBackground(true);
  QPalette notePalette = palette();
  notePalette.setColor(QPalette::Window, QColor(255, 241, 196));
  notePalette.setColor(QPalette::WindowText, QColor(60, 45, 0));
  setPalette(notePalette);
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(6, 2, 2, 2);
  label_->setWordWrap(true);
  // A wrapped label asks for the height its text takes at a narrow width, which would make the bar a band across
  // the window; at this width a note takes two or three lines.
  label_->setMinimumWidth(420);
  label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(label_, 1);
  auto* dismiss = new QPushButton(tr("Dismiss"));
  dismiss->setSizePolicy(QSizePolicy::Minimum, QSizePolicy::Fixed);
  layout->addWidget(dismiss);
  connect(dismiss, &QPushButton::clicked, this, &QWidget::hide);
  hide();
}

QPushButton* NoteBar::addButton(const QString& text, const QString& toolTip) {
  auto* button = new QPushButton(text);
  button->setToolTip(toolTip);
  button->setSizePolicy(QSizePolicy::Minimum, QSizePolicy::Fixed);
  auto* row = static_cast<QHBoxLayout*>(layout());
  row->insertWidget(row->count() - 1, button);  // before Dismiss
  connect(button, &QPushButton::clicked, this, &QWidget::hide);
  return button;
}

void NoteBar::showNote(const QString& text) {
  label_->setText(text);
  show();
}

QString NoteBar::text() const { return label_->text(); }

}  // namespace fluocount::ui
