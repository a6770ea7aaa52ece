// fluocount-cli's batch work on a cluster, end to end on real slides: a run split into shards (count --shard I/N),
// each shard's tables (with --csv, or under one shared --out folder) and merge, which joins them into what one
// process writes.
#include "core/run_lock.h"
#include "tests/cli_run.h"
#include "tests/test_support.h"

#include <QDir>
#include <QFileInfo>
#include <QTemporaryDir>

#include <filesystem>

using namespace fluocount;
using namespace fluocount::test;

class CliShardsTest : public QObject {
  Q_OBJECT

  QTemporaryDir temp;

private slots:
  void initTestCase() { FLUOCOUNT_REQUIRE_SHARED_DATA(); }

  // A batch split over a job array: each shard counts its block, merge joins the tables, and the result is the
  // single-process table row for row (the seconds column aside). Real slides from two datasets, bundled model:
  // small ones (four 256x256 DSB2018 fields, a 696x520 BBBC039 field), so that the eight counts stay quick.
  void shardsMergeIntoTheSingleProcessTable() {
    const QString nuclei = writableSlideFolder(temp.path(), "shard-nuclei", kSmallNucleiFields);
    const QString bbbc = writableSlideFolder(temp.path(), "shard-bbbc", {kNucleiSlide});
    const QStringList inputs = {nuclei + "/images", bbbc + "/images", "--diameter", "21"};
    const QString single = temp.filePath("single.csv");
    QCOMPARE(runCli(QStringList{"count"} + inputs + QStringList{"--csv", single}).exitCode, 0);
    const QString shards = temp.filePath("shards");
    QDir().mkpath(shards);
    const int count = 3;
    QStringList tables;
    for (int i = count; i >= 1; --i) {  // any order: the file names say which shard is which
      const QString table =
          shards + QString("/shard-%1-of-%2.csv").arg(i, 4, 10, QChar('0')).arg(count, 4, 10, QChar('0'));
      const Run run = runCli(QStringList{"count"} + inputs +
                             QStringList{"--shard", QString("%1/%2").arg(i).arg(count), "--csv", table});
      QVERIFY2(run.exitCode == 0, qPrintable(run.err));
      tables << table;
    }
    const QString merged = temp.filePath("merged.csv");
    const Run merge = runCli(QStringList{"merge", "--csv", merged} + tables);
    QVERIFY2(merge.exitCode == 0, qPrintable(merge.err));
    const QStringList expected = csvLines(single), actual = csvLines(merged);
    QVERIFY(expected.size() >= 4);
    QCOMPARE(withoutSeconds(actual), withoutSeconds(expected));
    // Every row names the model by its SHA-256 and the run by a fingerprint its shards share with the single
    // process (the same images, model and settings).
    const QStringList header = expected.first().split(',');
    const int shaColumn = header.indexOf("model_sha256"), runColumn = header.indexOf("run");
    QVERIFY(shaColumn >= 0 && runColumn >= 0);
    const QString run = expected[1].split(',')[runColumn];
    QCOMPARE(run.size(), 16);
    for (const QString& line : expected.mid(1) + actual.mid(1)) {
      QCOMPARE(line.split(',')[shaColumn].size(), 64);
      QCOMPARE(line.split(',')[runColumn], run);
    }
    // A shard counted again with other settings is another run: merge refuses it rather than mix its rows in.
    const QString odd = temp.filePath("odd/" + QFileInfo(tables[1]).fileName());
    QDir().mkpath(QFileInfo(odd).path());
    QVERIFY(runCli(QStringList{"count", nuclei + "/images", bbbc + "/images", "--diameter", "25", "--shard",
                               QString("2/%1").arg(count), "--csv", odd})
                .exitCode == 0);
    const Run mixed = runCli({"merge", tables[0], odd, tables[2]});
    QCOMPARE(mixed.exitCode, 2);
    QVERIFY2(mixed.err.contains("was counted in another run"), qPrintable(mixed.err));
    // And no image is counted twice in one table.
    const Run twice = runCli({"merge", single, single});
    QCOMPARE(twice.exitCode, 2);
    QVERIFY2(twice.err.contains("is counted twice"), qPrintable(twice.err));
    // A missing shard is refused by name.
    const Run incomplete = runCli({"merge", tables[0], tables[2]});
    QVERIFY(incomplete.exitCode != 0);
    QVERIFY2(incomplete.err.contains("shard 2 of 3 is missing"), qPrintable(incomplete.err));
    QVERIFY(runCli({"count", inputs[0], "--shard", "4/3"}).exitCode != 0);
    // A shard number too large for an int is a clear error naming the file (std::stoi's exception escaped once).
    const QString huge = temp.filePath("shard-99999999999-of-99999999999.csv");
    QVERIFY(QFile::copy(tables[0], huge));
    const Run outOfRange = runCli({"merge", huge});
    QCOMPARE(outOfRange.exitCode, 2);
    QVERIFY2(outOfRange.err.contains("shard-99999999999-of-99999999999.csv: shard number 99999999999 is out of range"),
             qPrintable(outOfRange.err));
  }

  // The shards of a run may all write into one --out folder: each writes its tables under shards/<table>/ (merge
  // joins them into what one process writes, objects tables whose shards saw different channel counts included) and
  // each image's own files under a stem chosen over the whole run. Until 2026-12-05 every shard wrote
  // <out>/counts.csv: the second refused to start, or with --overwrite replaced the first's tables.
  void shardsShareAnOutFolder() {
    const QString gray = writableSlideFolder(temp.path(), "out-shards-gray", kSmallNucleiFields);
    const QString rgb = writableSlideFolder(temp.path(), "out-shards-rgb", {kYellowSlide});
    const QString regions = temp.filePath("out-shards-regions");
    QDir().mkpath(regions);
    writeBytes((regions + "/" + QFileInfo(kYellowSlide).completeBaseName() + ".geojson").toStdString(),
               R"({"type":"Feature","properties":{"name":"left","classification":{"name":"Cortex"}},)"
               R"("geometry":{"type":"Polygon","coordinates":[[[0,0],[800,0],[800,1200],[0,1200],[0,0]]]}})");
    const QStringList inputs = {gray + "/images", rgb + "/images", "--classical", "--objects",
                                "--labels",       "--regions",     regions};
    const QString single = temp.filePath("out-single"), sharded = temp.filePath("out-sharded");
    QCOMPARE(runCli(QStringList{"count"} + inputs + QStringList{"--out", single}).exitCode, 0);
    const int count = 3;
    for (int i = 1; i <= count; ++i) {
      const Run run = runCli(QStringList{"count"} + inputs +
                             QStringList{"--shard", QString("%1/%2").arg(i).arg(count), "--out", sharded});
      QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    }
    QVERIFY(!QFileInfo::exists(sharded + "/counts.csv"));
    for (const QString& table : {QStringLiteral("counts"), QStringLiteral("objects"), QStringLiteral("regions")}) {
      const QStringList parts = QDir(sharded + "/shards/" + table).entryList({"shard-*.csv"}, QDir::Files);
      QCOMPARE(parts.size(), count);
      QStringList paths;
      for (const QString& part : parts) paths << sharded + "/shards/" + table + "/" + part;
      const Run merge = runCli(QStringList{"merge", "--csv", sharded + "/" + table + ".csv"} + paths);
      QVERIFY2(merge.exitCode == 0, qPrintable(merge.err));
      QStringList expected = csvLines(single + "/" + table + ".csv"), actual = csvLines(sharded + "/" + table + ".csv");
      if (table == QString("counts"))  // the seconds column aside, the tables are the single process's
        for (QStringList* lines : {&expected, &actual}) {
          const int seconds = lines->first().split(',').indexOf("seconds");
          for (QString& line : *lines) {
            QStringList fields = line.split(',');
            fields.removeAt(seconds);
            line = fields.join(',');
          }
        }
      QCOMPARE(actual, expected);
    }
    // A shard still counting (resumed after a time limit) holds its lock: merge waits for it rather than join the
    // table an earlier run of that shard left. A lock file no run holds (left by a killed run) is no obstacle.
    const QString counts = sharded + "/shards/counts/";
    const QStringList shardTables = {counts + "shard-0001-of-0003.csv", counts + "shard-0002-of-0003.csv",
                                     counts + "shard-0003-of-0003.csv"};
    const std::filesystem::path shardLock = (sharded + "/.fluocount-count-shard-0002-of-0003.lock").toStdString();
    {
      const RunLock counting(shardLock, "fluocount-cli count", "the shard");
      const Run early = runCli(QStringList{"merge"} + shardTables);
      QCOMPARE(early.exitCode, 2);
      QVERIFY2(early.err.contains("shard-0002-of-0003.csv is still being written: its shard is being counted by "
                                  "fluocount-cli count (process " +
                                  QString::number(QCoreApplication::applicationPid())),
               qPrintable(early.err));
    }
    writeBytes(shardLock.string(), "fluocount-cli count (process 1 on a node that was killed)\n");
    QCOMPARE(runCli(QStringList{"merge"} + shardTables).exitCode, 0);

    QVERIFY(csvLines(single + "/objects.csv").first().contains("mean_ch3"));  // the slide's channels
    QCOMPARE(QDir(sharded + "/labels").entryList(QDir::Files), QDir(single + "/labels").entryList(QDir::Files));

    // Shard 2 counted again at another diameter: its objects table is another run's, which merge tells by the run
    // column (objects.csv's as counts.csv's) and refuses, rather than joining cells counted two ways.
    const QString redone = temp.filePath("out-redone");
    QCOMPARE(runCli(QStringList{"count"} + inputs + QStringList{"--diameter", "30", "--shard", "2/3", "--out", redone})
                 .exitCode,
             0);
    const QString objects = sharded + "/shards/objects/";
    const Run mixed = runCli({"merge", objects + "shard-0001-of-0003.csv",
                              redone + "/shards/objects/shard-0002-of-0003.csv", objects + "shard-0003-of-0003.csv"});
    QCOMPARE(mixed.exitCode, 2);
    QVERIFY2(mixed.err.contains("was counted in another run"), qPrintable(mixed.err));
  }
};

QTEST_GUILESS_MAIN(CliShardsTest)
#include "test_cli_shards.moc"
