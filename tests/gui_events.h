#pragma once
// Input for the GUI suites, sent straight to the widgets as a user's would arrive (offscreen, no window system).
#include "ui/main_window.h"
#include "ui/slide_canvas.h"

#include <QApplication>
#include <QMouseEvent>
#include <QSignalSpy>

#include <vector>

namespace fluocount::test {

inline void sendMouse(QWidget* widget, QEvent::Type type, QPointF at, Qt::MouseButton button, Qt::MouseButtons held) {
  QMouseEvent event(type, at, widget->mapToGlobal(at), button, held, Qt::NoModifier);
  QApplication::sendEvent(widget, &event);
}

// A drag with the left button through image points of the canvas.
inline void dragThrough(ui::SlideCanvas* canvas, const std::vector<QPointF>& imagePoints) {
  sendMouse(canvas, QEvent::MouseButtonPress, canvas->toWidget(imagePoints.front()), Qt::LeftButton, Qt::LeftButton);
  for (std::size_t i = 1; i < imagePoints.size(); ++i)
    sendMouse(canvas, QEvent::MouseMove, canvas->toWidget(imagePoints[i]), Qt::NoButton, Qt::LeftButton);
  sendMouse(canvas, QEvent::MouseButtonRelease, canvas->toWidget(imagePoints.back()), Qt::LeftButton, Qt::NoButton);
}

// The widget's button (push button, check box or radio button) whose text contains `text`; nullptr if none.
template <typename Button>
Button* buttonLabelled(const QWidget& parent, const QString& text) {
  for (Button* button : parent.findChildren<Button*>())
    if (button->text().contains(text)) return button;
  return nullptr;
}

// A left click at an image point of the canvas.
inline void clickAt(ui::SlideCanvas* canvas, QPointF imagePoint) {
  sendMouse(canvas, QEvent::MouseButtonPress, canvas->toWidget(imagePoint), Qt::LeftButton, Qt::LeftButton);
  sendMouse(canvas, QEvent::MouseButtonRelease, canvas->toWidget(imagePoint), Qt::LeftButton, Qt::NoButton);
}

// Shows the window (at `size` when given), opens the folder and waits for its first slide on screen.
inline bool showAndOpen(ui::MainWindow& window, const QString& folder, QSize size = {}) {
  if (size.isValid()) window.resize(size);
  window.show();
  QSignalSpy loaded(&window, &ui::MainWindow::slideLoaded);
  return window.openFolder(folder) && loaded.wait(30000);
}

}  // namespace fluocount::test
