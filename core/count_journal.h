#pragma once
// count --out's journal: each image's finished count, written beside its files as soon as they are, so that a run
// stopped by Ctrl-C, a scheduler's time limit, a killed job or a power cut can be continued (count --resume)
// without counting again what it had finished, and without trusting anything that may have changed since.
#include "core/export.h"
#include "core/postprocess.h"

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace fluocount {

class JournalError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// One image's count as the run recorded it: its counts.csv row, its cells as objects.csv lists them, its rows of
// regions.csv, and what it was counted from and written to.
struct JournalEntry {
  std::string run;                      // CellCounter::runFingerprint of the run
  std::string imageStamp;               // imageStamp of the image when it was counted
  CountRow row;                         // status "ok" (a failed image is not journaled: resuming counts it again)
  std::vector<DetectedObject> objects;  // every field objects.csv reports
  int channels = 0;                     // the image's channel count (objects.csv's mean_ch columns)
  // What its regions came from (count --regions' folder, the image's regions file there and that file's stamp);
  // empty when not counted by region.
  std::string regionsSource;
  bool regionsRefused = false;             // its regions file was refused: no regions.csv rows, regions column empty
  std::string regionRows;                  // its regions.csv rows
  std::vector<std::string> objectRegions;  // objects.csv's regions field of each cell, when counted by region
  std::vector<std::string> outputs;        // its own files, relative to the out folder (labels/<stem>.png, ...)
};

// The journal entry as a JSON document (locale-independent; doubles written so that they read back exactly). Throws
// JournalError where a name is not UTF-8 (a file name in another encoding): such an image is not journaled.
std::string journalEntryJson(const JournalEntry& entry);
// The entry back, or JournalError when the text is not a complete entry (a damaged or foreign file): nothing
// half-read is returned.
JournalEntry parseJournalEntry(const std::string& json);

// What identifies the bytes of a file (an image counted, its regions file), cheaply: its size and modification time
// ("" when it cannot be read). A file replaced or edited since it was journaled has another stamp.
std::string fileStamp(const std::string& path);
// What identifies an image as the counter saw it: its fileStamp and the way loadImage reads it (kImageReaderVersion),
// so that a result of an earlier FluoCount that read the file otherwise is computed again ("" when unreadable).
std::string imageStamp(const std::string& path);

// The lock a count run holds on its out folder while it runs (core/run_lock.h), one per journal name (`run`, or a
// shard's "shard-IIII-of-NNNN", as shards share the folder): <out>/.fluocount-count-<name>.lock.
std::filesystem::path countRunLockFile(const std::filesystem::path& outFolder, const std::string& journalName);
// Who is counting into `outFolder` now (any of its runs' locks held), for a writer that would otherwise race it (the
// app's export); nothing when no run is.
std::optional<std::string> countRunWritingTo(const std::filesystem::path& outFolder);

// The journal of one run in an out folder: <out>/.fluocount-journal/<name>/ (one per shard, as shards may share the
// folder) holds `run` (the run's fingerprint) and, per image counted, <stem>.outputs (its files, claimed before they
// are written) and <stem>.json (its entry, written once they are).
class CountJournal {
public:
  CountJournal(const std::filesystem::path& outFolder, const std::string& name);

  const std::filesystem::path& folder() const { return folder_; }
  bool exists() const;
  // The run the journal there is of; empty when there is none or its `run` file cannot be read.
  std::string run() const;
  // An empty journal of `run`, replacing whatever journal of this name was there.
  void begin(const std::string& run);
  std::filesystem::path entryPath(const std::string& stem) const;
  // Before an image's files are written: the files it is about to write (relative to the out folder), which are
  // the run's own from then on, so that a resumed run may replace them even where the run was killed between them
  // and the image's entry. (<stem>.outputs, beside the entry.)
  void claimOutputs(const std::string& stem, const std::vector<std::string>& outputs) const;

  // What the journal holds of one image of the run: its entry when it can stand for counting `file` again in `run`
  // (written by that run for that file, the file unchanged since, counted with the same regions, JournalEntry::
  // regionsSource, "" for none, and not without them, as a refused regions file may have been mended since, and
  // every output file asked for, relative to the out folder, listed and present); otherwise why not. And the files
  // the run claimed for the image, which counting it again may replace as the run's own.
  struct Lookup {
    std::optional<JournalEntry> entry;
    std::string whyNot;                 // empty when there is an entry to keep
    bool counted = false;               // the journal has an entry for the image (kept or not)
    std::vector<std::string> ownFiles;  // relative to the out folder
  };
  Lookup lookUp(const std::string& stem, const std::string& file, const std::string& run,
                const std::string& regionsSource, const std::vector<std::string>& requiredOutputs) const;
  // Removes the journal (the run is complete), and the journals' folder once it holds no other.
  void remove() const;

private:
  std::filesystem::path outFolder_, folder_;
};

}  // namespace fluocount
