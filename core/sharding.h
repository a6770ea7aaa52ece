#pragma once
// Batch counting split over many machines (a Slurm job array): shard I of N takes a contiguous block of the
// sorted input list, so that the shards' count tables, merged in shard order, are exactly the table one process
// would write (apart from the timing column).
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace fluocount {

struct Shard {
  int index = 1;  // 1-based
  int count = 1;
};

// "I/N" with 1 <= I <= N; nothing when malformed.
std::optional<Shard> parseShard(const std::string& text);

// The block of `items` shard I of N takes: [(I-1)n/N, In/N). Blocks are disjoint, cover everything, and differ in
// size by at most one.
std::vector<std::string> shardOf(const std::vector<std::string>& items, Shard shard);

// The conventional name of a shard's table, "shard-0003-of-0010.csv", which merge recognises.
std::string shardTableName(Shard shard);

struct NamedTable {
  std::string name;     // file path, for messages and shard order
  std::string content;  // CSV with a header line
};

class MergeError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// One table from the shards' tables (counts.csv, and objects.csv and regions.csv as count --shard --out writes
// them): the header once, then every table's rows. Tables named by shardTableName are put in shard order and must be
// complete (every shard of the same N once); other tables keep the given order. objects tables that differ only in
// their channel columns (mean_ch<N>: each shard has as many as its images' most) are joined under the widest
// header, the missing channels empty. Throws MergeError naming the file when headers differ otherwise, a shard is
// missing or repeated, a file is empty, rows come from more than one run (the run column: other images, model file
// or settings) or an image (in regions.csv an image's region, in objects.csv its cell) is counted twice.
std::string mergeCountTables(std::vector<NamedTable> tables);

// The run every row of a count table (counts.csv, objects.csv, regions.csv) comes from, its run column; nothing when
// it has no such column or no rows, its rows come from several runs, or it is not a CSV table.
std::optional<std::string> runOfTable(const std::string& table);

// What one process would have done that the shards of a run with --diameter auto could not: count the images without
// an estimate again at the median of the run's estimates (core/counter.h, SecondPass), which no shard sees. Read from
// a merged counts table: that median and the images each shard counted at the default instead. Nothing for a table
// without such images (or not a counts table).
struct ImagesForTheRunMedian {
  double diameterPx = 0;
  std::vector<std::string> files;
};
std::optional<ImagesForTheRunMedian> imagesForTheRunMedian(const std::string& countsTable);

}  // namespace fluocount
