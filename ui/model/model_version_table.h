#pragma once
// The model versions as a Qt table, side by side: the bundled model first, then the project's trained versions
// with their validation F1, precision, recall and count error, threshold, data and date; the active one is marked.
#include "core/model_versions.h"

#include <QAbstractTableModel>

namespace fluocount::ui {

class ModelVersionTable : public QAbstractTableModel {
  Q_OBJECT
public:
  enum Column {
    NameColumn,
    ActiveColumn,
    DateColumn,
    StartColumn,
    DataColumn,
    EpochsColumn,
    StartF1Column,
    F1Column,
    PrecisionColumn,
    RecallColumn,
    MaeColumn,
    ThresholdColumn,
    Sha256Column,
    ColumnCount
  };
  explicit ModelVersionTable(QObject* parent = nullptr);

  // bundled: the bundled model's path (empty when there is none); active: the model in use (empty: bundled).
  void reload(const QString& bundled, const QString& versionsFolder, const QString& active);
  const std::vector<ModelVersion>& versions() const { return versions_; }  // row order
  int rowOf(const QString& path) const;
  bool isBundled(int row) const { return row == 0 && hasBundled_; }
  // The path to give the project for this row: empty for the bundled model.
  QString settingFor(int row) const;

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
  std::vector<ModelVersion> versions_;
  bool hasBundled_ = false;
  QString active_, bundled_;
};

}  // namespace fluocount::ui
