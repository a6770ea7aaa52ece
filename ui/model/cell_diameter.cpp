#include "ui/model/cell_diameter.h"

#include <QCoreApplication>
#include <QPainter>
#include <QTransform>

#include <algorithm>

namespace fluocount::ui {

void DiameterCalibration::start() {
  active_ = true;
  dragging_ = false;
  lines_.clear();
  emit changed();
}

void DiameterCalibration::stop() {
  active_ = dragging_ = false;
  lines_.clear();
  emit changed();
}

bool DiameterCalibration::press(QPointF point, Qt::MouseButton button) {
  if (!active_) return false;
  if (button == Qt::RightButton) {
    if (!lines_.empty()) lines_.pop_back();
    emit changed();
    return true;
  }
  if (button != Qt::LeftButton) return false;
  dragging_ = true;
  current_ = QLineF(point, point);
  emit changed();
  return true;
}

bool DiameterCalibration::move(QPointF point) {
  if (!active_ || !dragging_) return false;
  current_.setP2(point);
  emit changed();
  return true;
}

bool DiameterCalibration::release(QPointF point) {
  if (!active_ || !dragging_) return false;
  dragging_ = false;
  current_.setP2(point);
  if (current_.length() >= 2) lines_.push_back(current_);  // a click is not a measurement
  emit changed();
  return true;
}

std::optional<double> DiameterCalibration::diameterPx() const {
  if (lines_.empty()) return std::nullopt;
  std::vector<double> lengths;
  for (const QLineF& line : lines_) lengths.push_back(line.length());
  std::sort(lengths.begin(), lengths.end());
  const std::size_t middle = lengths.size() / 2;
  return lengths.size() % 2 ? lengths[middle] : (lengths[middle - 1] + lengths[middle]) / 2;
}

void DiameterCalibration::paint(QPainter& painter, const QTransform& imageToWidget) const {
  if (!active_) return;
  painter.save();
  painter.setRenderHint(QPainter::Antialiasing);
  auto draw = [&](const QLineF& line, QColor colour) {
    const QLineF onScreen = imageToWidget.map(line);
    painter.setPen(QPen(QColor(0, 0, 0, 160), 4));
    painter.drawLine(onScreen);
    painter.setPen(QPen(colour, 2));
    painter.drawLine(onScreen);
    painter.drawText(onScreen.center() + QPointF(6, -6), QString::number(line.length(), 'f', 0) + " px");
  };
  for (const QLineF& line : lines_) draw(line, QColor(90, 200, 255));
  if (dragging_) draw(current_, QColor(255, 230, 90));
  painter.restore();
}

std::vector<QString> slidesToMeasure(const std::vector<QString>& imagePaths, int maxSlides) {
  if (int(imagePaths.size()) <= maxSlides) return imagePaths;
  std::vector<QString> chosen;
  for (int i = 0; i < maxSlides; ++i) chosen.push_back(imagePaths[std::size_t(i) * imagePaths.size() / maxSlides]);
  return chosen;
}

FolderDiameter measureFolderDiameter(const CellCounter& counter, const std::vector<QString>& imagePaths,
                                     const std::atomic<bool>& cancel, const std::function<void(int, int)>& progress) {
  FolderDiameter result;
  for (std::size_t i = 0; i < imagePaths.size(); ++i) {
    if (cancel.load()) {
      result.cancelled = true;
      break;
    }
    try {
      result.estimates.push_back(counter.estimateDiameter(counter.normalisedImage(imagePaths[i].toStdString())));
      result.slides.push_back(imagePaths[i]);
    } catch (const std::exception&) {
      // An unreadable slide says nothing about the cells of the others; counting reports it.
    }
    if (progress) progress(int(i) + 1, int(imagePaths.size()));
  }
  result.diameterPx = folderDiameter(result.estimates);
  return result;
}

std::optional<QString> defaultDiameterNote(bool diameterSetByUser, double defaultDiameterPx,
                                           const std::vector<int>& counts, int slidesNotEstimated) {
  if (counts.empty() || defaultDiameterPx <= 0) return std::nullopt;
  const QString size = QCoreApplication::translate("CellDiameter", "%1 px").arg(defaultDiameterPx);
  if (slidesNotEstimated > 0)
    return QCoreApplication::translate("CellDiameter",
                                       "Too few cells on %1 of %2 slides to measure their cell diameter: counted at "
                                       "the default %3 (\"?\" in the slide list). If they hold cells, measure the "
                                       "diameter on the folder.")
        .arg(slidesNotEstimated)
        .arg(counts.size())
        .arg(size);
  if (diameterSetByUser) return std::nullopt;
  const int empty = int(std::count(counts.begin(), counts.end(), 0));
  if (mostImagesWithoutCells(counts))
    return QCoreApplication::translate("CellDiameter",
                                       "No cells found on %1 of %2 slides at the model's default cell diameter (%3). "
                                       "Cells of another size are missed: measure their diameter.")
        .arg(empty)
        .arg(counts.size())
        .arg(size);
  return QCoreApplication::translate("CellDiameter",
                                     "Counted at the model's default cell diameter (%1). If your cells are of "
                                     "another size, measure it for a count you can trust.")
      .arg(size);
}

}  // namespace fluocount::ui
