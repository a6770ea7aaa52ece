#pragma once
// The cell diameter in the app (issue 16): measured from the slides by the counter itself (core's automatic
// estimate over a sample of the folder's slides), or shown by hand with the calibration tool (drag a line across
// a few cells on the canvas). No widgets here: the canvas forwards mouse events and the main window applies the
// result as the project's diameter.
#include "core/counter.h"

#include <QLineF>
#include <QObject>
#include <QString>

#include <atomic>
#include <functional>
#include <optional>
#include <vector>

class QPainter;
class QTransform;

namespace fluocount::ui {

// Lines dragged across cells, in image pixels; the diameter is the median of their lengths.
class DiameterCalibration : public QObject {
  Q_OBJECT
public:
  using QObject::QObject;

  bool isActive() const { return active_; }
  void start();  // clears earlier lines
  void stop();

  // Canvas mouse events in image coordinates; false when not active (the canvas then handles them). A left drag
  // draws a line; a right click removes the last one.
  bool press(QPointF point, Qt::MouseButton button);
  bool move(QPointF point);
  bool release(QPointF point);
  void paint(QPainter& painter, const QTransform& imageToWidget) const;

  const std::vector<QLineF>& lines() const { return lines_; }
  std::optional<double> diameterPx() const;  // empty before the first line

signals:
  void changed();

private:
  bool active_ = false, dragging_ = false;
  QLineF current_;
  std::vector<QLineF> lines_;
};

struct FolderDiameter {
  std::vector<QString> slides;              // the slides measured
  std::vector<DiameterEstimate> estimates;  // one per slide
  double diameterPx = 0;                    // the folder's (core::folderDiameter); 0: no cells found
  bool cancelled = false;
};

// Up to `maxSlides` slides spread evenly over the list (each estimate runs the network several times).
std::vector<QString> slidesToMeasure(const std::vector<QString>& imagePaths, int maxSlides = 8);

// Estimates each slide's diameter with the counter and combines them. progress(done, total) after each slide;
// stops between slides when `cancel` is set. Unreadable slides are skipped. Runs on any thread.
FolderDiameter measureFolderDiameter(const CellCounter& counter, const std::vector<QString>& imagePaths,
                                     const std::atomic<bool>& cancel,
                                     const std::function<void(int, int)>& progress = {});

// After a folder is counted at the model's default cell diameter (the user never set one), the note that says so
// and why it matters: a network counts cells of about the size it assumes, and cells far smaller or larger are
// missed or cut up, often with no other sign than low counts. Empty when the user has set a diameter (pixels or
// µm), the counter estimates one per slide, or nothing was counted. `counts` are the counted slides' counts.
// Where the counter estimates it, `slidesNotEstimated` counted slides had too few cells to measure and were
// counted at the default: the note then says so (their diameter says nothing about their cells).
std::optional<QString> defaultDiameterNote(bool diameterSetByUser, double defaultDiameterPx,
                                           const std::vector<int>& counts, int slidesNotEstimated = 0);

}  // namespace fluocount::ui
