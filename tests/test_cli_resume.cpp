// A count that did not finish, continued: stopped by a signal (Ctrl-C, a scheduler's time limit) or killed outright,
// `count --resume` keeps what the run had counted, from its journal, counts the rest, and writes exactly the tables
// of an uninterrupted run; it never takes a result from another run, from an image that changed since, or from a
// damaged journal entry. Real FNC slides and the bundled model, as a user runs them.
#include "core/count_journal.h"
#include "core/counter.h"
#include "core/run_lock.h"
#include "core/utf8.h"
#include "tests/cli_run.h"
#include "tests/test_support.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>

#include <cmath>
#include <filesystem>
#include <iterator>

using namespace fluocount;
using namespace fluocount::test;

class CliResumeTest : public QObject {
  Q_OBJECT

  QTemporaryDir temp;

private slots:
  void initTestCase() { FLUOCOUNT_REQUIRE_SHARED_DATA(); }

  // A journal entry holds what the tables need of an image exactly: a slide's cells read back from it give the same
  // objects.csv rows, down to a channel mean that is NaN; a damaged entry is refused whole.
  void aJournalEntryReadsBackExactly() {
    CountSettings settings;
    settings.cellDiameterPx = 50;
    const CellCounter counter = CellCounter::classical(settings);
    const ImageCount count = counter.count(dataFile(kYellowSlide));
    QVERIFY(count.detection.count() > 5);
    JournalEntry entry;
    entry.run = "0123456789abcdef";
    entry.imageStamp = imageStamp(dataFile(kYellowSlide));
    QVERIFY(!entry.imageStamp.empty());
    entry.row = counter.rowFor(dataFile(kYellowSlide));
    counter.recordResult(entry.row, count.detection, count.size, count.threshold, count.cellDiameterPx, count.seconds,
                         count.facts);
    entry.objects = count.detection.objects;
    entry.objects[1].channelMeans[0] = std::nan("");
    entry.channels = int(count.facts.channels.size());
    entry.outputs = {"labels/a.png"};
    const std::string text = journalEntryJson(entry);
    const JournalEntry back = parseJournalEntry(text);
    TableLayout layout;
    layout.channels = entry.channels;
    QCOMPARE(objectsCsvRows("a.png", back.objects, 0.5, {}, layout, {}),
             objectsCsvRows("a.png", entry.objects, 0.5, {}, layout, {}));
    QCOMPARE(countsCsv({back.row}), countsCsv({entry.row}));
    QCOMPARE(back.outputs, entry.outputs);
    QVERIFY(std::isnan(back.objects[1].channelMeans[0]));
    QVERIFY_THROWS_EXCEPTION(JournalError, parseJournalEntry(text.substr(0, text.size() / 2)));
    QVERIFY_THROWS_EXCEPTION(JournalError, parseJournalEntry("{}"));
    entry.row.count += 1;  // a row that does not add up to its cells
    QVERIFY_THROWS_EXCEPTION(JournalError, parseJournalEntry(journalEntryJson(entry)));
  }

  // Stopped by SIGTERM (a cluster job at its time limit) or Ctrl-C, a count writes what it counted: every image in
  // counts.csv, those counted with their cells and files, the others as not counted, and says so in its exit
  // status. The same command with --resume then counts only the others, and its tables are those of a run that was
  // never stopped.
  void aStoppedCountIsResumedToTheTablesOfOneRun() {
    const QString folder = writableSlideFolder(
        temp.path(), "stopped",
        {kYellowSlide, kYellowSlide2, kRedSlide, kRedSlide2, "fnc-red-extra/images/MAR31S1C1R2_DMHr_200x_r.png",
         "fnc-yellow-extra/images/Mar23bS1C2R3_VLPAGr_200x.png"});
    const QString out = temp.filePath("stopped-out");
    const QString table = temp.filePath("stopped.csv");  // a --csv table beside the out folder's
    const QStringList count = {"count",    folder + "/images", "--diameter", "50",  "--out", out,
                               "--labels", "--objects",        "--pipeline", "off", "--csv", table};
    QProcess process;
    // Once the first image is journaled, five images of about a second each remain.
    QVERIFY(startAndWaitForJournal(process, count, out, 1));
    process.terminate();
    QVERIFY(process.waitForFinished(120000));
    const QString said = QString::fromLocal8Bit(process.readAllStandardOutput() + process.readAllStandardError());
    QVERIFY2(process.exitStatus() == QProcess::NormalExit && process.exitCode() == 130, qPrintable(said));
    const QStringList counts = csvLines(out + "/counts.csv");
    QCOMPARE(counts.size(), 1 + 6);
    const int counted = int(counts.filter(",ok,").size()), notCounted = int(counts.filter("not counted").size());
    QVERIFY2(counted >= 1 && notCounted >= 1 && counted + notCounted == 6, qPrintable(counts.join('\n')));
    QVERIFY2(said.contains(QString("stopped after %1 of 6 image(s)").arg(counted)) && said.contains("--resume"),
             qPrintable(said));
    QCOMPARE(int(QDir(out + "/labels").entryList(QDir::Files).size()), counted);
    QCOMPARE(int(journalEntries(out).size()), counted);

    // The same command again, unasked to resume, neither starts over nor mixes two runs.
    const Run again = runCli(count);
    QCOMPARE(again.exitCode, 2);
    QVERIFY2(again.err.contains("holds the journal of a run that was stopped"), qPrintable(again.err));
    const Run resumed = runCli(count + QStringList{"--resume"});
    QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
    QVERIFY2(resumed.err.contains(
                 QString("%1 of 6 image(s) kept from its journal, %2 to count").arg(counted).arg(notCounted)),
             qPrintable(resumed.err));
    QVERIFY2(!QFileInfo::exists(out + "/.fluocount-journal"), "a run that counted every image keeps no journal");
    QCOMPARE(csvLines(table), csvLines(out + "/counts.csv"));

    const QString whole = temp.filePath("whole-out");
    QCOMPARE(
        runCli({"count", folder + "/images", "--diameter", "50", "--out", whole, "--labels", "--objects"}).exitCode, 0);
    QCOMPARE(withoutSeconds(csvLines(out + "/counts.csv")), withoutSeconds(csvLines(whole + "/counts.csv")));
    QCOMPARE(csvLines(out + "/objects.csv"), csvLines(whole + "/objects.csv"));
    for (const QString& labels : QDir(whole + "/labels").entryList(QDir::Files))
      QCOMPARE(readBytes((out + "/labels/" + labels).toStdString()),
               readBytes((whole + "/labels/" + labels).toStdString()));
    // Nothing is left to resume.
    const Run nothing = runCli(count + QStringList{"--resume"});
    QCOMPARE(nothing.exitCode, 2);
    QVERIFY2(nothing.err.contains("nothing to resume"), qPrintable(nothing.err));
  }

  // Killed outright (SIGKILL: no tables written), the run is resumed from its journal alone; what may have changed
  // is not taken from it: a journal of other settings is refused, an image written again since and an image whose
  // entry is damaged are counted again, and the run's own files of them are replaced without --overwrite.
  void aKilledCountIsResumedWithoutTrustingWhatChanged() {
    const QString folder =
        writableSlideFolder(temp.path(), "killed", {kYellowSlide, kYellowSlide2, kRedSlide, kRedSlide2});
    const QString out = temp.filePath("killed-out");
    const QStringList count = {"count", folder + "/images", "--diameter", "50", "--out",
                               out,     "--geojson",        "--pipeline", "off"};
    QProcess process;
    QVERIFY(startAndWaitForJournal(process, count, out, 2));
    process.kill();
    QVERIFY(process.waitForFinished(60000));
    QVERIFY(!QFileInfo::exists(out + "/counts.csv"));
    const QStringList journaled = journalEntries(out);
    QVERIFY(journaled.size() >= 2);

    const Run otherSettings =
        runCli({"count", folder + "/images", "--diameter", "40", "--out", out, "--geojson", "--resume"});
    QCOMPARE(otherSettings.exitCode, 2);
    QVERIFY2(otherSettings.err.contains("journal of a run of other images, model or settings"),
             qPrintable(otherSettings.err));

    // The first journaled slide is saved again (as an editor would), the second one's entry is damaged.
    const QString changed = folder + "/images/" + QFileInfo(journaled[0]).completeBaseName() + ".png";
    const std::string bytes = readBytes(changed.toStdString());
    QTest::qWait(1100);  // a modification time the stamp can tell apart on any file system
    writeBytes(changed.toStdString(), bytes);
    const QString damaged = out + "/.fluocount-journal/run/" + journaled[1];
    writeBytes(damaged.toStdString(), readBytes(damaged.toStdString()).substr(0, 100));

    // A --csv table that is not the run's own is not replaced by resuming it.
    const QString foreign = temp.filePath("foreign.csv");
    const std::string foreignRows = "file,status,count,run\nslide.png,ok,3,0123456789abcdef\n";
    writeBytes(foreign.toStdString(), foreignRows);
    const Run refused = runCli(count + QStringList{"--resume", "--csv", foreign});
    QCOMPARE(refused.exitCode, 2);
    QVERIFY2(refused.err.contains("is not this run's table"), qPrintable(refused.err));
    QCOMPARE(readBytes(foreign.toStdString()), foreignRows);
    const Run resumed = runCli(count + QStringList{"--resume"});
    QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
    QVERIFY2(resumed.err.contains(QString("%1 of 4 image(s) kept from its journal").arg(journaled.size() - 2)),
             qPrintable(resumed.err));
    QVERIFY2(resumed.err.contains("2 image(s) the stopped run had counted are counted again") &&
                 resumed.err.contains("the image changed after it was counted"),
             qPrintable(resumed.err));
    const QStringList counts = csvLines(out + "/counts.csv");
    QCOMPARE(counts.size(), 1 + 4);
    QCOMPARE(int(counts.filter(",ok,").size()), 4);
    QCOMPARE(int(QDir(out + "/geojson").entryList(QDir::Files).size()), 4);
    const QString whole = temp.filePath("killed-whole");
    QCOMPARE(runCli({"count", folder + "/images", "--diameter", "50", "--out", whole, "--geojson"}).exitCode, 0);
    QCOMPARE(withoutSeconds(counts), withoutSeconds(csvLines(whole + "/counts.csv")));
  }

  // A second run into the folder of a run still going (started twice by hand, or resubmitted by a scheduler while
  // the first job runs) is refused with who holds the folder, even with --overwrite, and the first run's tables are
  // whole; once it has ended, the folder is free. A training run holds its checkpoint the same way.
  void aSecondRunIntoTheFolderOfARunningOneIsRefused() {
    const QString folder =
        writableSlideFolder(temp.path(), "busy", {kYellowSlide, kYellowSlide2, kRedSlide, kRedSlide2});
    const QString out = temp.filePath("busy-out");
    const QStringList count = {"count", folder + "/images", "--diameter", "50", "--out", out, "--pipeline", "off"};
    QProcess first;
    QVERIFY(startAndWaitForJournal(first, count, out, 1));
    const Run second = runCli({"count", folder + "/images", "--diameter", "40", "--out", out, "--overwrite"});
    QCOMPARE(second.exitCode, 2);
    QVERIFY2(second.err.contains(QString("is in use by fluocount-cli count (process %1 on ").arg(first.processId())),
             qPrintable(second.err));
    QVERIFY(first.waitForFinished(300000));
    QCOMPARE(first.exitCode(), 0);
    const QStringList counts = csvLines(out + "/counts.csv");
    QCOMPARE(int(counts.filter(",ok,").size()), 4);
    QCOMPARE(int(counts.filter(",50.00,").size()), 4);  // the first run's diameter in every row
    QVERIFY(!QFileInfo::exists(out + "/.fluocount-count-run.lock"));
    QCOMPARE(runCli(count + QStringList{"--overwrite"}).exitCode, 0);

    const std::string model = temp.filePath("busy.fcmodel").toStdString();
    const RunLock training(model + ".checkpoint.lock", "fluocount-cli train", "the checkpoint");
    const Run train = runCli({"train", folder, "--out", QString::fromStdString(model), "--epochs", "1"});
    QCOMPARE(train.exitCode, 2);
    QVERIFY2(train.err.contains("the checkpoint " + QString::fromStdString(model) +
                                ".checkpoint is in use by "
                                "fluocount-cli train (process"),
             qPrintable(train.err));
  }

  // A slide whose file name is not UTF-8 (Latin-1 from an old share: "Schnitt_\xe4.png") cannot be written into the
  // JSON journal; it is counted and its files written as any other (it failed while the journal was new), and a
  // resumed run counts it again. The tables stay UTF-8, as CSV readers expect (one such byte made Python's csv
  // module refuse the whole table): the name's stray byte is written as the text \xe4.
  void aSlideNamedInAnotherEncodingIsCounted() {
    const QString folder = temp.filePath("latin1");
    QVERIFY(QDir().mkpath(folder));
    writeBytes(folder.toStdString() + "/Schnitt_\xe4.png", readBytes(dataFile(kYellowSlide)));
    const QString out = temp.filePath("latin1-out");
    const Run run = runCli({"count", folder, "--diameter", "50", "--out", out, "--labels", "--objects"});
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    QVERIFY2(csvLines(out + "/counts.csv").filter(",ok,").size() == 1,
             qPrintable(csvLines(out + "/counts.csv").join("\n") + run.err));
    for (const char* table : {"/counts.csv", "/objects.csv"}) {
      const std::string bytes = readBytes(out.toStdString() + table);
      QVERIFY2(isUtf8(bytes), table);
      QVERIFY2(bytes.find("/Schnitt_\\xe4.png,") != std::string::npos, table);
    }
    // (Qt lists no file whose name it cannot decode, nor removes it: std::filesystem does both.)
    const auto labels = std::filesystem::directory_iterator(out.toStdString() + "/labels");
    QCOMPARE(std::distance(begin(labels), end(labels)), std::ptrdiff_t(1));
    std::filesystem::remove_all(folder.toStdString());
    std::filesystem::remove_all(out.toStdString());
  }
};

QTEST_GUILESS_MAIN(CliResumeTest)
#include "test_cli_resume.moc"
