// Results and masks are written whole or not at all, and never replace a file unless asked to.
#include "core/atomic_file.h"
#include "core/run_lock.h"
#include "tests/test_support.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

using namespace fluocount;
using namespace fluocount::test;

class AtomicFileTest : public QObject {
  Q_OBJECT

private slots:
  // The CRC-32 that ends model, checkpoint and heatmap files is zlib's (the IEEE 802.3 polynomial): the standard
  // check value, and a file's checksum computed in one piece or over a long run of bytes alike.
  void crc32IsTheStandardOne() {
    QCOMPARE(fluocount::crc32("123456789", 9), 0xCBF43926u);
    QCOMPARE(fluocount::crc32("", 0), 0u);
    const std::string model = fluocount::test::readBytes(FLUOCOUNT_SOURCE_MODELS_DIR "/default.fcmodel");
    QVERIFY(model.size() > 1000000);
    const std::uint32_t stored = std::uint32_t(std::uint8_t(model[model.size() - 4])) |
                                 std::uint32_t(std::uint8_t(model[model.size() - 3])) << 8 |
                                 std::uint32_t(std::uint8_t(model[model.size() - 2])) << 16 |
                                 std::uint32_t(std::uint8_t(model[model.size() - 1])) << 24;
    QCOMPARE(fluocount::crc32(model.data(), model.size() - 4), stored);
  }

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

  // A write over the version last seen goes through; over anything else (other bytes, a file that appeared or
  // vanished) it is refused with FileChangedError, and the file is left exactly as the other writer left it.
  void replacesOnlyTheVersionItLastSaw() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("mask.png").toStdString();
    const FileVersion absent = fileVersionOf(path);
    QVERIFY(!absent.exists);
    FileVersion mine = replaceFileIfUnchanged(path, "first", absent);
    QCOMPARE(mine, fileVersionOf(path));
    QCOMPARE(mine.sha256, std::string("a7937b64b8caa58f03721bb6bacf5c78cb235febe0e70b1b84cd99541461a08e"));
    mine = replaceFileIfUnchanged(path, "second", mine);
    QCOMPARE(readBytes(path), std::string("second"));

    writeBytes(path, "changed by Fiji");
    try {
      replaceFileIfUnchanged(path, "third", mine);
      QFAIL("wrote over another program's version");
    } catch (const FileChangedError& e) {
      QVERIFY(QString(e.what()).contains("was changed by another program"));
    }
    QCOMPARE(readBytes(path), std::string("changed by Fiji"));
    QVERIFY_THROWS_EXCEPTION(FileChangedError, replaceFileIfUnchanged(path, "third", absent));  // it appeared
    QFile::remove(QString::fromStdString(path));
    QVERIFY_THROWS_EXCEPTION(FileChangedError, replaceFileIfUnchanged(path, "third", mine));  // it vanished
    QVERIFY(!QFile::exists(QString::fromStdString(path)));
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), 0);  // no temporary left behind
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

  // One writer at a time in a place (core/run_lock.h): a second lock on it is refused, naming the first holder;
  // released, the lock's file is gone and the place can be locked again. A folder that is not there is said so.
  void aPlaceIsLockedByOneRunAtATime() {
    QTemporaryDir dir;
    const std::filesystem::path file = dir.filePath(".lock").toStdString();
    {
      const RunLock first(file, "fluocount-cli count", "the out folder");
      QCOMPARE(first.file(), file);
      try {
        const RunLock second(file, "fluocount-cli count", "the out folder");
        QFAIL("a second lock on a held place was taken");
      } catch (const RunLockError& e) {
        const QString said = e.what();
        QVERIFY2(said.startsWith("the out folder is in use by fluocount-cli count (process " +
                                 QString::number(QCoreApplication::applicationPid()) + " on "),
                 qPrintable(said));
      }
      QVERIFY(std::filesystem::exists(file));
    }
    QVERIFY(!std::filesystem::exists(file));
    {
      const RunLock again(file, "fluocount-cli train", "the checkpoint");
      QVERIFY(again.held() && again.notLockedBecause().empty());
    }
    // A place that cannot be locked (here its lock file cannot be created; on Lustre without locks, flock fails) is
    // written unguarded, as before locks, and says why, rather than refusing the run.
    const std::filesystem::path blocked = dir.filePath("blocked.lock").toStdString();
    std::filesystem::create_directory(blocked);
    const RunLock unguarded(blocked, "fluocount-cli count", "out");
    QVERIFY(!unguarded.held());
    QVERIFY2(QString::fromStdString(unguarded.notLockedBecause()).contains("cannot create its lock file"),
             unguarded.notLockedBecause().c_str());
    try {
      const RunLock nowhere(dir.filePath("missing/.lock").toStdString(), "fluocount-cli count", "out");
      QFAIL("a lock in a missing folder was taken");
    } catch (const RunLockError& e) {
      QVERIFY2(QString(e.what()).contains("does not exist"), e.what());
    }
  }
};

QTEST_GUILESS_MAIN(AtomicFileTest)
#include "test_atomic_file.moc"
