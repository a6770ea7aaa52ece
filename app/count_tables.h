#pragma once
// What `fluocount-cli count` gathers image by image for its tables and files: where they go (OutputPlan), each
// image's own files written all or none with its journal entry, and the rows of counts.csv, objects.csv and
// regions.csv in the order of the images (CountTables).
#include "core/atomic_file.h"
#include "core/count_journal.h"
#include "core/count_pipeline.h"
#include "core/export.h"
#include "core/sharding.h"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fluocount::cli {

struct OutputPlan {
  std::filesystem::path folder;
  // Set for one shard of a run (--shard): the run's tables go to <folder>/shards/<table>/shard-IIII-of-NNNN.csv,
  // which `merge` joins, instead of <folder>/<table>.csv, which every shard would write.
  std::optional<Shard> shard;
  bool objects = false, labels = false, overlays = false, geojson = false, imagej = false;
  std::filesystem::path regions;                   // <regions>/<stem>.geojson per image, when given
  std::map<std::string, std::string> nameClashes;  // image -> why <regions>/<stem>.* is not its (sharedStemReasons)
  Overwrite overwrite = Overwrite::Refuse;
};

// Where the run's table `name` ("counts", "objects", "regions") goes.
std::filesystem::path tablePath(const OutputPlan& plan, const std::string& name);
// An image's own files (labels/<stem>.png, ...) under the plan, relative to the out folder.
std::vector<std::string> imageOutputs(const OutputPlan& plan, const std::string& stem);
// What an image's regions come from, as its journal entry records it: the regions folder, the image's regions files
// there and their stamps (a regions file edited since changes it); empty without --regions.
std::string regionsSourceOf(const OutputPlan& plan, const std::string& file);
// The journal this process keeps in the out folder: one per shard, as shards may share the folder.
CountJournal journalOf(const OutputPlan& plan);
// The lock a run holds on its out folder while it runs (core/run_lock.h): one per journal, as shards share the folder.
std::filesystem::path runLockFileOf(const OutputPlan& plan);
// The lock of the run that writes a shard's table <out>/shards/<table>/shard-IIII-of-NNNN.csv; empty for a table
// elsewhere.
std::filesystem::path runLockFileOfShardTable(const std::filesystem::path& table);

// What the count command gathers image by image: the count table's rows, the per-object and per-region tables, and
// each image's own files (written as it arrives), in the order of the images whatever order they are added in (a
// resumed run adds the journaled images first).
class CountTables {
public:
  CountTables(const CellCounter& counter, const OutputPlan& plan, std::vector<std::string> files)
      : counter(counter), plan(plan), files(std::move(files)), images(this->files.size()) {}

  const CellCounter& counter;
  const OutputPlan& plan;
  const std::vector<std::string> files;  // this process's images (its shard's), in order
  // Each image's own output stem (labels/<stem>.png, ...), chosen over the whole run (all shards' images), so that
  // no two shards write one file.
  std::vector<std::string> stems;
  TableLayout layout;
  std::string run;                        // CellCounter::runFingerprint of every image of the run, all shards'
  const CountJournal* journal = nullptr;  // with --out
  // Per image, the files a stopped run of this run wrote for it (relative to the out folder), which counting it
  // again replaces without --overwrite.
  std::map<std::size_t, std::vector<std::string>> ownFiles;
  int failures = 0, regionFailures = 0;

  // Image i's count (or why it failed), its files written as it arrives.
  void add(std::size_t i, CountOutcome&& outcome);
  // An image a stopped run had counted, as its journal holds it.
  void addJournaled(std::size_t i, JournalEntry&& entry);
  // An image the run stopped before: a row that says so, without an error line per image.
  void addNotCounted(std::size_t i);
  // Image i counted again (the second pass, at the median of the others' diameters): its files, this run's, are
  // replaced. Where the new count fails, none of its files stay and its journal entry goes, as for any image that
  // counts.csv calls failed (a resumed run counts it again).
  void replace(std::size_t i, CountOutcome&& outcome);
  // Each image's diameter as counted, by index (nullopt: not counted or failed), for core's secondPassOf.
  std::vector<std::optional<CountedDiameter>> countedDiameters() const;

  std::vector<CountRow> rows() const;
  // objects.csv has a column per channel of the image with the most, so it is written once every image is in.
  std::string objectsCsv() const;
  std::string regionsCsv() const;

private:
  struct ImageTables {
    CountRow row;
    std::vector<DetectedObject> objects;
    int channels = 0;
    std::vector<std::string> objectRegions;  // objects.csv's regions field of each cell
    std::string regionRows;                  // regions.csv's rows
    bool regionsRefused = false;             // counted in regionFailures
  };
  std::vector<std::optional<ImageTables>> images;  // by index in `files`; empty until added

  void record(ImageTables& image, const ImageCount& result, const std::string& stem,
              const std::vector<std::string>& replaceable);
  void fail(CountRow& row, const std::string& message);
};

}  // namespace fluocount::cli
