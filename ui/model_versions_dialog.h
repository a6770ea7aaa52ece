#pragma once
// Model versions: the table of versions side by side, and the actions on them. "Use" makes the selected version
// the active model, "Roll Back" goes to the version before the active one (the bundled model before v1), and
// "Delete" moves a version into the versions folder's deleted/ after asking. The active model cannot be deleted.
#include "ui/model/model_version_table.h"

#include <QDialog>

class QPushButton;
class QTableView;

namespace fluocount::ui {

class ModelVersionsDialog : public QDialog {
  Q_OBJECT
public:
  ModelVersionsDialog(const QString& bundled, const QString& versionsFolder, const QString& active,
                      QWidget* parent = nullptr);
  ModelVersionTable* table() const { return table_; }
  QString active() const { return active_; }  // empty: the bundled model
  void selectRow(int row);
  void useSelected();
  void rollBack();
  // Returns false (and says why) when the selected row cannot be deleted; asks first unless `confirm` is false.
  bool deleteSelected(bool confirm = true);

signals:
  // The user chose another active model (empty: the bundled one).
  void activeModelChosen(QString path);

private:
  int selectedRow() const;
  void makeActive(const QString& setting);
  void refreshButtons();

  QString bundled_, folder_, active_;
  ModelVersionTable* table_;
  QTableView* view_;
  QPushButton *use_, *rollBack_, *delete_;
};

}  // namespace fluocount::ui
