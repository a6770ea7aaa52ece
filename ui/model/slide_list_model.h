#pragma once
// The slide list as a Qt table model over the Project: thumbnail and name, count, the count
// before the last change of model, mask, status.
#include "ui/model/project.h"

#include <QAbstractTableModel>

namespace fluocount::ui {

class SlideListModel : public QAbstractTableModel {
  Q_OBJECT
public:
  enum Column { NameColumn, CountColumn, BeforeColumn, DiameterColumn, MaskColumn, StatusColumn, ColumnCount };
  explicit SlideListModel(Project* project, QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
  Project* project_;
};

}  // namespace fluocount::ui
