// fluocount-cli merge: the count tables of a sharded batch (count --shard I/N) joined into one table, in shard
// order, after checking that every shard is there once and that the columns agree.
#include "app/cli_common.h"
#include "app/count_tables.h"
#include "core/atomic_file.h"
#include "core/numeric_locale.h"
#include "core/run_lock.h"
#include "core/sharding.h"

#include <cstdio>

namespace fluocount::cli {

namespace {

// Where one process would have counted some images at the median of the run's estimates, which no shard saw: which,
// and how to count them so.
void noteImagesOneProcessCountsAtTheMedian(const std::string& merged) {
  const std::optional<ImagesForTheRunMedian> images = imagesForTheRunMedian(merged);
  if (!images) return;
  const std::string median = fixedDecimal(images->diameterPx, 0);
  std::fprintf(stderr,
               "note: %zu image(s) had too few cells to estimate their cell diameter, and their shards counted them at "
               "the default (cell_diameter_source \"not estimated\"); one process counts them at the median of the "
               "run's estimates, %s px: count them with --diameter %s (%s%s)\n",
               images->files.size(), median.c_str(), median.c_str(), images->files.front().c_str(),
               images->files.size() > 1 ? " and the others" : "");
}

}  // namespace

int runMergeCommand(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(
      "Merge count tables into one. Tables named shard-IIII-of-NNNN.csv (as packaging/slurm/count-array.sh writes "
      "them) are put in shard order and must be complete; other tables are joined in the order given.");
  parser.addPositionalArgument("tables", "Count tables (CSV) to merge.", "tables...");
  parser.addOptions({
      {"csv", "Write the merged table here (default: print it).", "file"},
      {"overwrite", "Replace an existing --csv file (by default that is an error)."},
  });
  parseOrExit(parser, arguments);
  if (parser.positionalArguments().isEmpty()) throw CliError("merge: name the tables to merge");
  std::vector<NamedTable> tables;
  for (const QString& path : parser.positionalArguments()) {
    // A shard still counting (resumed after a time limit, say) has not written its table yet: the file there is
    // an earlier run's, or a stopped run's with images "not counted".
    const std::filesystem::path lock = runLockFileOfShardTable(path.toStdString());
    if (const auto holder = lock.empty() ? std::nullopt : runLockHolder(lock))
      throw CliError(path.toStdString() + " is still being written: its shard is being counted by " + *holder +
                     "; merge once it has ended");
    try {
      tables.push_back({path.toStdString(), readWholeFile(path.toStdString(), std::size_t(4) << 30)});
    } catch (const std::exception& e) {
      throw CliError(e.what());
    }
  }
  std::string merged;
  try {
    merged = mergeCountTables(tables);
  } catch (const MergeError& e) {
    throw CliError(e.what());
  }
  if (!parser.isSet("csv")) {
    std::fwrite(merged.data(), 1, merged.size(), stdout);
  } else {
    writeFileAtomically(parser.value("csv").toStdString(), merged,
                        parser.isSet("overwrite") ? Overwrite::Allow : Overwrite::Refuse);
    std::fprintf(stderr, "merged %zu table(s) into %s\n", tables.size(), qPrintable(parser.value("csv")));
  }
  noteImagesOneProcessCountsAtTheMedian(merged);
  return 0;
}

}  // namespace fluocount::cli
