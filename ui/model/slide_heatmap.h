#pragma once
// A slide's heatmap in the app: kept in memory while it is among the most recently used ones that fit a memory
// budget, and read back from its cache file (<folder>/.fluocount/heatmaps) when it is needed again. An open folder
// of hundreds of slides then holds about the budget, not 8 MB a slide (15 MB at 2272x1704) for as long as it is
// open. Exact either way: the file holds the same float32 values.
//
// A heatmap leaves memory only while FluoCount holds its cache file open, checked to be the file this heatmap was
// written to: files are replaced by rename (core/atomic_file), never written in place, so the open file keeps this
// heatmap's values even when another window, or a later count with other settings, replaces the file under that name.
// One whose file could not be written (a read-only share, a full disk), or that no longer is the file written, stays
// in memory, as every heatmap did before; so do all beyond the open files the process may hold. Thread-safe: the
// count, threshold and export workers and the GUI thread read heatmaps at the same time.
#include <opencv2/core.hpp>

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>

namespace fluocount::ui {

class SlideHeatmap {
public:
  explicit SlideHeatmap(cv::Mat pixels);  // CV_32F in [0,1]; in memory until cachedIn
  ~SlideHeatmap();
  SlideHeatmap(const SlideHeatmap&) = delete;
  SlideHeatmap& operator=(const SlideHeatmap&) = delete;

  // A heatmap saved earlier (a folder opened again), left in its cache file until it is needed: the file is opened
  // and checked to be the one written with `checksum` (its size for `size` and the CRC-32 it ends with), without
  // reading its values, so that a folder of hundreds of counted slides opens at once. Null where it is not that
  // file (gone, replaced, cut short); where no open file is left for it, it is read whole and checked now.
  static std::shared_ptr<SlideHeatmap> openSaved(const std::string& file, cv::Size size, std::uint32_t checksum);
  // A saved heatmap read whole now, checked against its own CRC-32 and against the size and CRC-32 given. Null where
  // it cannot be read or is not that one.
  static std::shared_ptr<SlideHeatmap> readSaved(const std::string& file, std::optional<cv::Size> size,
                                                 std::optional<std::uint32_t> checksum);

  // The heatmap is in `file`, whose CRC-32 is `checksum` (as saveHeatmap and loadHeatmap give it): from now on it
  // may leave memory once the budget is full of heatmaps used more recently.
  void cachedIn(const std::string& file, std::uint32_t checksum);
  // The CRC-32 of the cache file it was written to or opened from (nothing before cachedIn).
  std::optional<std::uint32_t> fileChecksum() const;
  // Its values, from memory or read back from its open cache file, checked against the file's CRC-32:
  // HeatmapFileError where they cannot be (a disk failing, a file damaged since it was written).
  cv::Mat pixels() const;
  cv::Size size() const { return size_; }
  bool inMemory() const;

  // How many bytes of cached heatmaps stay in memory, beyond those a caller still holds (default 512 MiB, about 65
  // slides of 1600x1200, or FLUOCOUNT_HEATMAP_MEMORY_MB); the least recently used leave first.
  static void setMemoryBudget(std::size_t bytes);
  static std::size_t memoryBudget();
  static std::size_t cachedBytesInMemory();  // of those that may leave memory

private:
  friend struct HeatmapMemory;
  SlideHeatmap(cv::Size size, std::string file, std::uint32_t checksum, int openFile);  // openSaved's
  std::size_t bytes() const { return std::size_t(size_.area()) * sizeof(float); }

  const cv::Size size_;
  // Guarded by HeatmapMemory's mutex (one for all heatmaps, so that making room never waits on a heatmap's lock).
  mutable cv::Mat pixels_;    // empty while out of memory
  mutable std::string file_;  // empty until cachedIn, and where it cannot leave memory
  std::optional<std::uint32_t> checksum_;
  mutable int openFile_ = -1;    // the cache file, held open from the first time it left memory
  mutable bool queued_ = false;  // in the queue of heatmaps in memory that may leave it
  mutable std::list<const SlideHeatmap*>::iterator queuePosition_;
};

}  // namespace fluocount::ui
