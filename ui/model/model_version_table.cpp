#include "ui/model/model_version_table.h"

#include <QBrush>
#include <QColor>
#include <QDir>
#include <QFileInfo>
#include <QFont>

namespace fluocount::ui {

namespace {

QVariant number(const std::optional<double>& value, int decimals) {
  return value ? QVariant(QString::number(*value, 'f', decimals)) : QVariant();
}

bool samePath(const QString& a, const QString& b) {
  return !a.isEmpty() && !b.isEmpty() && QFileInfo(a).absoluteFilePath() == QFileInfo(b).absoluteFilePath();
}

}  // namespace

ModelVersionTable::ModelVersionTable(QObject* parent) : QAbstractTableModel(parent) {}

void ModelVersionTable::reload(const QString& bundled, const QString& versionsFolder, const QString& active) {
  beginResetModel();
  versions_.clear();
  hasBundled_ = !bundled.isEmpty();
  if (hasBundled_) {
    versions_.push_back(describeModel(bundled.toStdString()));
    versions_.back().name = "bundled";
  }
  for (ModelVersion& v : listModelVersions(versionsFolder.toStdString())) versions_.push_back(std::move(v));
  active_ = active.isEmpty() ? bundled : active;
  bundled_ = bundled;
  endResetModel();
}

int ModelVersionTable::rowOf(const QString& path) const {
  for (std::size_t row = 0; row < versions_.size(); ++row)
    if (samePath(QString::fromStdString(versions_[row].path), path)) return int(row);
  return -1;
}

QString ModelVersionTable::settingFor(int row) const {
  return isBundled(row) ? QString() : QString::fromStdString(versions_.at(row).path);
}

int ModelVersionTable::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : int(versions_.size());
}
int ModelVersionTable::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant ModelVersionTable::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= int(versions_.size())) return {};
  const ModelVersion& v = versions_[index.row()];
  const bool active = samePath(QString::fromStdString(v.path), active_);
  if (role == Qt::FontRole && active) {
    QFont bold;
    bold.setBold(true);
    return bold;
  }
  if (role == Qt::ForegroundRole && !v.readable()) return QBrush(QColor(200, 40, 40));
  if (role == Qt::ToolTipRole && index.column() == Sha256Column && v.readable())
    return tr("SHA-256 %1: the model_sha256 of the count tables this version writes")
        .arg(QString::fromStdString(v.sha256));
  if (role == Qt::ToolTipRole) return v.readable() ? QString::fromStdString(v.path) : QString::fromStdString(v.error);
  if (role == Qt::TextAlignmentRole && index.column() >= EpochsColumn && index.column() != Sha256Column)
    return int(Qt::AlignRight | Qt::AlignVCenter);
  if (role != Qt::DisplayRole) return {};
  switch (index.column()) {
    case NameColumn: return QString::fromStdString(v.name);
    case ActiveColumn: return active ? tr("active") : QString();
    case DateColumn: return QString::fromStdString(v.date).left(16).replace('T', ' ');
    case StartColumn: {
      if (!v.readable()) return tr("unreadable");
      const QString start = QString::fromStdString(v.startedFrom);
      if (samePath(start, bundled_)) return tr("bundled");
      return start.isEmpty() || start == "scratch" ? start : QFileInfo(start).completeBaseName();
    }
    case DataColumn:
      return v.trainingImages ? tr("%1 train / %2 val").arg(v.trainingImages).arg(v.validationImages) : QVariant();
    case EpochsColumn: return v.epochs ? QVariant(v.epochs) : QVariant();
    case StartF1Column: return number(v.startingF1, 3);
    case F1Column: return number(v.validationF1, 3);
    case PrecisionColumn: return number(v.validationPrecision, 3);
    case RecallColumn: return number(v.validationRecall, 3);
    case MaeColumn: return number(v.validationMae, 1);
    case ThresholdColumn: return v.readable() ? QVariant(QString::number(v.info.threshold, 'f', 3)) : QVariant();
    case Sha256Column: return QString::fromStdString(v.sha256.substr(0, 12));
  }
  return {};
}

QVariant ModelVersionTable::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal) return {};
  static const char* const names[] = {"Version", "",          "Trained", "From",      "Data",      "Epochs", "Start F1",
                                      "Val. F1", "Precision", "Recall",  "Count MAE", "Threshold", "SHA-256"};
  if (role == Qt::DisplayRole && section < ColumnCount) return tr(names[section]);
  if (role == Qt::ToolTipRole && section == MaeColumn) return tr("Mean absolute count error per validation slide");
  if (role == Qt::ToolTipRole && section == StartF1Column)
    return tr(
        "F1 of the model this version was fine-tuned from, on the same validation slides at that model's "
        "threshold: compare it with Val. F1 to see what training gained");
  if (role == Qt::ToolTipRole && section == F1Column)
    return tr(
        "Detection F1 on the version's own validation slides at its threshold. Versions validated on "
        "different slides are not directly comparable.");
  return {};
}

}  // namespace fluocount::ui
