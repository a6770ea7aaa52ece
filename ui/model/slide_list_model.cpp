#include "ui/model/slide_list_model.h"

#include <QBrush>
#include <QColor>
#include <QDir>
#include <QFont>

namespace fluocount::ui {

SlideListModel::SlideListModel(Project* project, QObject* parent) : QAbstractTableModel(parent), project_(project) {
  connect(project, &Project::slidesReset, this, [this] {
    beginResetModel();
    endResetModel();
  });
  connect(project, &Project::slideChanged, this,
          [this](int row) { emit dataChanged(index(row, 0), index(row, ColumnCount - 1)); });
}

int SlideListModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : project_->slideCount(); }
int SlideListModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant SlideListModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= project_->slideCount()) return {};
  const Slide& slide = project_->slide(index.row());
  switch (role) {
    case Qt::DisplayRole:
      switch (index.column()) {
        case NameColumn: return slide.name;
        case CountColumn: return slide.count >= 0 ? QVariant(slide.count) : QVariant();
        case BeforeColumn: return slide.previousCount >= 0 ? QVariant(slide.previousCount) : QVariant();
        case DiameterColumn:
          if (!slide.analysis) return QString();
          // An estimate that found too few cells: the default, which says nothing about this slide's cells.
          return (slide.analysis->diameterSource == DiameterSource::NotEstimated ? tr("%1 px?") : tr("%1 px"))
              .arg(slide.analysis->cellDiameterPx, 0, 'f', 0);
        case MaskColumn:
          if (!slide.nameClash.isEmpty()) return tr("name clash");
          if (!slide.hasMask()) return slide.handCountPath.isEmpty() ? QString() : tr("count by hand");
          return slide.maskPath.endsWith(".png", Qt::CaseInsensitive) ? tr("mask") : tr("mask (TIFF)");
        case StatusColumn: {
          QString text = statusText(slide.status);
          if (slide.outlinesToReview())
            text += tr(", outlines to review");
          else if (slide.edited)
            text += tr(", mask edited");
          if (slide.reviewed) text += tr(", reviewed");
          return text;
        }
      }
      break;
    case Qt::DecorationRole:
      if (index.column() == NameColumn && !slide.thumbnail.isNull())
        return slide.thumbnail.scaled(48, 36, Qt::KeepAspectRatio);
      break;
    case Qt::ToolTipRole:
      if (slide.status == SlideStatus::Failed) return slide.error;
      if (index.column() == StatusColumn && slide.outlinesToReview())
        return tr("%1: FluoCount outlined this mask's cells from the count by hand (the network's outlines, discs "
                  "where it saw nothing): look them over, correct them, and Mark Reviewed (R) before you retrain on it")
            .arg(data(index, Qt::DisplayRole).toString());
      if (index.column() == StatusColumn) return data(index, Qt::DisplayRole);  // the whole of a narrowed column
      if (index.column() == DiameterColumn && slide.analysis &&
          slide.analysis->diameterSource == DiameterSource::MedianOfOthers)
        return tr("Too few cells to measure their size on this slide: counted at the median of the other slides' "
                  "estimates, %1 px. If its cells are of another size, set the diameter (Settings)")
            .arg(slide.analysis->cellDiameterPx, 0, 'f', 0);
      if (index.column() == DiameterColumn && slide.analysis &&
          slide.analysis->diameterSource == DiameterSource::NotEstimated)
        return tr("Too few cells to measure their size on this slide: counted at the default %1 px. If it holds "
                  "cells, set the diameter (Count > Measure Cell Diameter, or Settings)")
            .arg(slide.analysis->cellDiameterPx, 0, 'f', 0);
      if (index.column() == MaskColumn && !slide.nameClash.isEmpty()) return slide.nameClash;
      if (index.column() == MaskColumn && slide.hasMask()) return QDir::toNativeSeparators(slide.maskPath);
      if (index.column() == MaskColumn && !slide.handCountPath.isEmpty())
        return tr("%1: matched against these marks until the slide has a mask")
            .arg(QDir::toNativeSeparators(slide.handCountPath));
      return slide.imagePath;
    case Qt::ForegroundRole:
      if (slide.status == SlideStatus::Failed) return QBrush(QColor(200, 40, 40));
      break;
    case Qt::FontRole:
      // A diameter taken from the other slides, not measured on this one: in italics (its tooltip says why).
      if (index.column() == DiameterColumn && slide.analysis &&
          slide.analysis->diameterSource == DiameterSource::MedianOfOthers) {
        QFont italic;
        italic.setItalic(true);
        return italic;
      }
      break;
    case Qt::TextAlignmentRole:
      if (index.column() == CountColumn || index.column() == BeforeColumn || index.column() == DiameterColumn)
        return int(Qt::AlignRight | Qt::AlignVCenter);
      break;
  }
  return {};
}

QVariant SlideListModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal) return {};
  if (role == Qt::ToolTipRole && section == BeforeColumn)
    return tr("The count with the previous model (%1)").arg(project_->previousModel());
  if (role == Qt::ToolTipRole && section == DiameterColumn)
    return tr(
        "The cell diameter the slide was counted at (measured on each slide, or the one set; in italics: the "
        "median of the other slides', for a slide with too few cells to measure)");
  if (role != Qt::DisplayRole) return {};
  switch (section) {
    case NameColumn: return tr("Slide");
    case CountColumn: return tr("Count");
    case BeforeColumn: return tr("Before");
    case DiameterColumn: return tr("Diameter");
    case MaskColumn: return tr("Mask");
    case StatusColumn: return tr("Status");
  }
  return {};
}

}  // namespace fluocount::ui
