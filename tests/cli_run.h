#pragma once
// Running fluocount-cli from a test as a user runs it: its exit status and what it printed.
#include <QFile>
#include <QProcess>
#include <QString>
#include <QStringList>

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

}  // namespace fluocount::test
