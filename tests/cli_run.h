#pragma once
// Running fluocount-cli from a test as a user runs it: its exit status and what it printed.
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTest>

namespace fluocount::test {

struct Run {
  int exitCode;
  QString out, err;
};

inline Run runCli(const QStringList& arguments) {
  QProcess process;
  process.start(FLUOCOUNT_CLI, arguments);
  if (!process.waitForFinished(10 * 60 * 1000)) return {-1, {}, "timed out"};
  return {process.exitCode(), QString::fromLocal8Bit(process.readAllStandardOutput()),
          QString::fromLocal8Bit(process.readAllStandardError())};
}

// The non-empty lines of a table the CLI wrote (none when it wrote no file).
inline QStringList csvLines(const QString& path) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) return {};
  return QString::fromUtf8(file.readAll()).split('\n', Qt::SkipEmptyParts);
}

// A count table's lines without its seconds column, which differs from run to run (the rows' fields have no commas).
inline QStringList withoutSeconds(const QStringList& lines) {
  if (lines.isEmpty()) return {};
  const int column = int(lines.first().split(',').indexOf("seconds"));
  QStringList out;
  for (const QString& line : lines) {
    QStringList fields = line.split(',');
    fields.removeAt(column);
    out << fields.join(',');
  }
  return out;
}

// The images a `count --out out` run has journaled so far (its journal's entries).
inline QStringList journalEntries(const QString& out) {
  return QDir(out + "/.fluocount-journal/run").entryList({"*.json"}, QDir::Files, QDir::Name);
}

// Starts `count` and waits until it has journaled at least `images` images.
inline bool startAndWaitForJournal(QProcess& process, const QStringList& arguments, const QString& out, int images) {
  process.start(FLUOCOUNT_CLI, arguments);
  if (!process.waitForStarted()) return false;
  for (int waited = 0; waited < 600000; waited += 20) {
    if (journalEntries(out).size() >= images) return true;
    if (process.state() == QProcess::NotRunning) return false;
    QTest::qWait(20);
  }
  return false;
}

}  // namespace fluocount::test
