#pragma once
// Mouse input for the GUI suites, sent straight to a widget as a user's would arrive (offscreen, no window system).
#include "ui/slide_canvas.h"

#include <QApplication>
#include <QMouseEvent>

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

// A left click at an image point of the canvas.
inline void clickAt(ui::SlideCanvas* canvas, QPointF imagePoint) {
  sendMouse(canvas, QEvent::MouseButtonPress, canvas->toWidget(imagePoint), Qt::LeftButton, Qt::LeftButton);
  sendMouse(canvas, QEvent::MouseButtonRelease, canvas->toWidget(imagePoint), Qt::LeftButton, Qt::NoButton);
}

}  // namespace fluocount::test
