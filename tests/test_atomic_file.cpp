// Results and masks are written whole or not at all, and never replace a file unless asked to.
#include "core/atomic_file.h"
#include "tests/test_support.h"

#include <QDir>
#include <QTemporaryDir>

using namespace fluocount;
using namespace fluocount::test;

class AtomicFileTest : public QObject {
  Q_OBJECT

private slots:
  void writesAndReplaces() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("counts.csv").toStdString();
    writeFileAtomically(path, "first\n");
    QCOMPARE(readBytes(path), std::string("first\n"));
    writeFileAtomically(path, "second\n", Overwrite::Allow);
    QCOMPARE(readBytes(path), std::string("second\n"));
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), 1);  // no temporary left behind
  }

  void refusesToOverwriteAndKeepsTheOriginal() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("mask.png").toStdString();
    writeFileAtomically(path, "user mask", Overwrite::Refuse);
    QVERIFY_THROWS_EXCEPTION(FileWriteError, writeFileAtomically(path, "other", Overwrite::Refuse));
    QCOMPARE(readBytes(path), std::string("user mask"));
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), 1);
  }

  void unwritableFolderIsAClearError() {
    try {
      writeFileAtomically("/nonexistent-folder/counts.csv", "x");
      QFAIL("no error");
    } catch (const FileWriteError& e) {
      QVERIFY(QString(e.what()).contains("/nonexistent-folder/counts.csv"));
    }
  }

  void failedWriteLeavesTheExistingFileUntouched() {
    // A write that fails part-way (here: the target's folder is a file) must not disturb what is already there.
    QTemporaryDir dir;
    const std::string path = dir.filePath("results.csv").toStdString();
    writeFileAtomically(path, "kept");
    QVERIFY_THROWS_EXCEPTION(FileWriteError, writeFileAtomically(path + "/child", "x"));
    QCOMPARE(readBytes(path), std::string("kept"));
  }
};

QTEST_GUILESS_MAIN(AtomicFileTest)
#include "test_atomic_file.moc"
