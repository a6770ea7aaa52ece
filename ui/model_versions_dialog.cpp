#include "ui/model_versions_dialog.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace fluocount::ui {

ModelVersionsDialog::ModelVersionsDialog(const QString& bundled, const QString& versionsFolder, const QString& active,
                                         QWidget* parent)
    : QDialog(parent), bundled_(bundled), folder_(versionsFolder), active_(active) {
  setWindowTitle(tr("Model Versions"));
  table_ = new ModelVersionTable(this);
  table_->reload(bundled_, folder_, active_);
  view_ = new QTableView;
  view_->setModel(table_);
  view_->setSelectionBehavior(QAbstractItemView::SelectRows);
  view_->setSelectionMode(QAbstractItemView::SingleSelection);
  view_->verticalHeader()->setVisible(false);
  view_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  view_->horizontalHeader()->setStretchLastSection(true);

  use_ = new QPushButton(tr("Use Selected"));
  use_->setToolTip(tr("Count with the selected version from now on"));
  rollBack_ = new QPushButton(tr("Roll Back"));
  rollBack_->setToolTip(tr("Go back to the version before the active one"));
  delete_ = new QPushButton(tr("Delete..."));
  delete_->setToolTip(tr("Move the selected version to the deleted/ folder beside the versions"));
  auto* close = new QDialogButtonBox(QDialogButtonBox::Close);
  auto* actions = new QHBoxLayout;
  actions->addWidget(use_);
  actions->addWidget(rollBack_);
  actions->addWidget(delete_);
  actions->addStretch();
  actions->addWidget(close);

  auto* note = new QLabel(tr("Each version's F1 and count error are on its own validation slides, at its own "
                             "threshold. Versions are kept in %1.")
                              .arg(QDir::toNativeSeparators(folder_)));
  note->setWordWrap(true);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(view_, 1);
  layout->addWidget(note);
  layout->addLayout(actions);

  connect(use_, &QPushButton::clicked, this, &ModelVersionsDialog::useSelected);
  connect(rollBack_, &QPushButton::clicked, this, &ModelVersionsDialog::rollBack);
  connect(delete_, &QPushButton::clicked, this, [this] { deleteSelected(true); });
  connect(close, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(view_->selectionModel(), &QItemSelectionModel::selectionChanged, this, &ModelVersionsDialog::refreshButtons);
  selectRow(std::max(0, table_->rowOf(active_.isEmpty() ? bundled_ : active_)));
  resize(900, 320);
}

int ModelVersionsDialog::selectedRow() const {
  const QModelIndexList rows = view_->selectionModel()->selectedRows();
  return rows.isEmpty() ? -1 : rows.first().row();
}

void ModelVersionsDialog::selectRow(int row) { view_->selectRow(row); }

void ModelVersionsDialog::makeActive(const QString& setting) {
  active_ = setting;
  table_->reload(bundled_, folder_, active_);
  selectRow(std::max(0, table_->rowOf(active_.isEmpty() ? bundled_ : active_)));
  emit activeModelChosen(active_);
}

void ModelVersionsDialog::useSelected() {
  const int row = selectedRow();
  if (row < 0 || !table_->versions()[row].readable()) return;
  makeActive(table_->settingFor(row));
}

void ModelVersionsDialog::rollBack() {
  const auto previous = previousModelVersion(table_->versions(), active_.toStdString());
  if (!previous && active_.isEmpty()) return;  // already the bundled model
  makeActive(previous ? QString::fromStdString(previous->path) : QString());
}

bool ModelVersionsDialog::deleteSelected(bool confirm) {
  const int row = selectedRow();
  if (row < 0) return false;
  const ModelVersion& version = table_->versions()[row];
  const QString name = QString::fromStdString(version.name);
  QString refusal;
  if (table_->isBundled(row))
    refusal = tr("The bundled model cannot be deleted.");
  else if (table_->settingFor(row) == active_)
    refusal = tr("%1 is the active model: make another version active first.").arg(name);
  if (!refusal.isEmpty()) {
    if (confirm) QMessageBox::information(this, tr("Delete version"), refusal);
    return false;
  }
  if (confirm && QMessageBox::question(this, tr("Delete version"),
                                       tr("Move %1 to the deleted/ folder? It will no longer be listed.").arg(name)) !=
                     QMessageBox::Yes)
    return false;
  try {
    deleteModelVersion(version.path);
  } catch (const std::exception& e) {
    QMessageBox::warning(this, tr("Delete version"), QString::fromUtf8(e.what()));
    return false;
  }
  table_->reload(bundled_, folder_, active_);
  selectRow(std::max(0, table_->rowOf(active_.isEmpty() ? bundled_ : active_)));
  return true;
}

void ModelVersionsDialog::refreshButtons() {
  const int row = selectedRow();
  const bool readable = row >= 0 && table_->versions()[row].readable();
  use_->setEnabled(readable && table_->settingFor(row) != active_);
  delete_->setEnabled(row >= 0 && !table_->isBundled(row) && table_->settingFor(row) != active_);
  rollBack_->setEnabled(!active_.isEmpty());
}

}  // namespace fluocount::ui
