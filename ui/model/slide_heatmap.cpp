#include "ui/model/slide_heatmap.h"

#include "core/heatmap_file.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace fluocount::ui {
namespace {

// Reads `size` bytes at `offset` of an open file; false where it cannot (an I/O error, a file cut short).
bool readAt(int file, std::size_t offset, std::size_t size, char* into) {
  while (size > 0) {
    const ssize_t got = ::pread(file, into, size, off_t(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    into += got;
    offset += std::size_t(got);
    size -= std::size_t(got);
  }
  return true;
}

// Opens the file a heatmap was written to and checks it is that file (its size, and the CRC-32 it ends with); -1
// where it is gone or has been replaced by another heatmap.
int openWrittenFile(const std::string& path, cv::Size size, std::uint32_t checksum) {
  const int file = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (file < 0) return -1;
  struct stat status {};
  char trailer[4] = {};
  const std::size_t bytes = heatmapFileSize(size);
  if (::fstat(file, &status) == 0 && std::size_t(status.st_size) == bytes && readAt(file, bytes - 4, 4, trailer) &&
      heatmapFileChecksum(trailer) == checksum)
    return file;
  ::close(file);
  return -1;
}

}  // namespace

// The heatmaps in memory that may leave it, least recently used first, and what they take.
struct HeatmapMemory {
  std::mutex mutex;
  std::list<const SlideHeatmap*> queue;
  std::size_t bytes = 0;
  std::size_t budget = std::size_t(512) << 20;
  // Open files: the process's limit raised to its maximum (a desktop's default of 1024 would cap a folder at that
  // many slides out of memory), less a margin for everything else the app opens.
  int openFiles = 0, maxOpenFiles = 0;

  HeatmapMemory() {
    // FLUOCOUNT_HEATMAP_MEMORY_MB sets the budget (a machine short of memory; 0 to test reading every heatmap back).
    if (const char* megabytes = std::getenv("FLUOCOUNT_HEATMAP_MEMORY_MB")) {
      char* end = nullptr;
      const unsigned long long value = std::strtoull(megabytes, &end, 10);
      if (end != megabytes && *end == '\0' && value < (1ull << 24)) budget = std::size_t(value) << 20;
    }
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    const rlim_t wanted = std::min<rlim_t>(limit.rlim_max, 1 << 16);
    if (limit.rlim_cur < wanted) {
      limit.rlim_cur = wanted;
      ::setrlimit(RLIMIT_NOFILE, &limit);
      ::getrlimit(RLIMIT_NOFILE, &limit);
    }
    const rlim_t files = std::min<rlim_t>(limit.rlim_cur, 1 << 16);
    maxOpenFiles = int(files - std::min<rlim_t>(files / 2, 512));
  }

  static HeatmapMemory& instance() {
    static auto* memory = new HeatmapMemory;  // never destroyed: heatmaps may outlive static destruction
    return *memory;
  }

  // Under the mutex, as every function below.
  void enqueue(const SlideHeatmap& heatmap) {
    heatmap.queuePosition_ = queue.insert(queue.end(), &heatmap);
    heatmap.queued_ = true;
    bytes += heatmap.bytes();
  }
  void dequeue(const SlideHeatmap& heatmap) {
    if (!heatmap.queued_) return;
    queue.erase(heatmap.queuePosition_);
    heatmap.queued_ = false;
    bytes -= heatmap.bytes();
  }
  void markUsed(const SlideHeatmap& heatmap) {
    if (heatmap.queued_) queue.splice(queue.end(), queue, heatmap.queuePosition_);
  }
  // The oldest leave memory until the rest fit the budget. One that cannot (its file gone or replaced, or no open
  // file left to hold it) stays, out of the queue. A heatmap a caller still holds stays allocated until it lets go.
  void makeRoom() {
    while (bytes > budget && !queue.empty()) {
      const SlideHeatmap& oldest = *queue.front();
      dequeue(oldest);
      if (oldest.openFile_ < 0 && openFiles < maxOpenFiles) {
        oldest.openFile_ = openWrittenFile(oldest.file_, oldest.size_, *oldest.checksum_);
        openFiles += oldest.openFile_ >= 0;
      }
      if (oldest.openFile_ >= 0)
        oldest.pixels_.release();
      else
        oldest.file_.clear();  // never again: it stays in memory
    }
  }
};

SlideHeatmap::SlideHeatmap(cv::Mat pixels) : size_(pixels.size()), pixels_(std::move(pixels)) {
  CV_Assert(pixels_.type() == CV_32F);
}

SlideHeatmap::SlideHeatmap(cv::Size size, std::string file, std::uint32_t checksum, int openFile)
    : size_(size), file_(std::move(file)), checksum_(checksum), openFile_(openFile) {}

std::shared_ptr<SlideHeatmap> SlideHeatmap::openSaved(const std::string& file, cv::Size size, std::uint32_t checksum) {
  HeatmapMemory& memory = HeatmapMemory::instance();
  bool fileLeft = false;
  {
    std::lock_guard<std::mutex> lock(memory.mutex);
    fileLeft = memory.openFiles < memory.maxOpenFiles;
    memory.openFiles += fileLeft;  // taken now, given back below where the file is not the one
  }
  if (fileLeft) {
    const int open = openWrittenFile(file, size, checksum);  // outside the lock: a share may answer slowly
    if (open >= 0) return std::shared_ptr<SlideHeatmap>(new SlideHeatmap(size, file, checksum, open));
    std::lock_guard<std::mutex> lock(memory.mutex);
    --memory.openFiles;
    return nullptr;
  }
  return readSaved(file, size, checksum);  // no open file left to hold it
}

std::shared_ptr<SlideHeatmap> SlideHeatmap::readSaved(const std::string& file, std::optional<cv::Size> size,
                                                      std::optional<std::uint32_t> checksum) {
  std::uint32_t found = 0;
  cv::Mat pixels;
  try {
    pixels = loadHeatmap(file, &found);
  } catch (const HeatmapFileError&) {
    return nullptr;
  }
  if ((checksum && found != *checksum) || (size && pixels.size() != *size)) return nullptr;
  auto heatmap = std::make_shared<SlideHeatmap>(pixels);
  heatmap->cachedIn(file, found);  // read and checked: it may leave memory again
  return heatmap;
}

SlideHeatmap::~SlideHeatmap() {
  HeatmapMemory& memory = HeatmapMemory::instance();
  std::lock_guard<std::mutex> lock(memory.mutex);
  memory.dequeue(*this);
  if (openFile_ >= 0) {
    ::close(openFile_);
    --memory.openFiles;
  }
}

std::optional<std::uint32_t> SlideHeatmap::fileChecksum() const {
  std::lock_guard<std::mutex> lock(HeatmapMemory::instance().mutex);
  return checksum_;
}

void SlideHeatmap::cachedIn(const std::string& file, std::uint32_t checksum) {
  HeatmapMemory& memory = HeatmapMemory::instance();
  std::lock_guard<std::mutex> lock(memory.mutex);
  if (openFile_ >= 0) return;  // already held by the file it was first written to
  file_ = file;
  checksum_ = checksum;
  if (!pixels_.empty() && !queued_) memory.enqueue(*this);
  memory.makeRoom();
}

cv::Mat SlideHeatmap::pixels() const {
  HeatmapMemory& memory = HeatmapMemory::instance();
  int file = -1;
  std::string name;
  std::uint32_t checksum = 0;
  {
    std::lock_guard<std::mutex> lock(memory.mutex);
    if (!pixels_.empty()) {
      memory.markUsed(*this);
      return pixels_;
    }
    file = openFile_;  // open until this heatmap is destroyed, which no caller of this function allows meanwhile
    name = file_;
    checksum = *checksum_;  // set with the file
  }
  // Read outside the lock: the other heatmaps stay usable meanwhile.
  std::string bytes(heatmapFileSize(size_), '\0');
  if (!readAt(file, 0, bytes.size(), bytes.data()))
    throw HeatmapFileError(name + ": cannot read the cached heatmap back: " + std::strerror(errno));
  cv::Mat loaded = parseHeatmap(bytes, name);  // checks its values against the CRC-32 it ends with
  // ... which must be the one it was written with: the file is held open, but could have been written into.
  if (heatmapFileChecksum(bytes.data() + bytes.size() - 4) != checksum || loaded.size() != size_)
    throw HeatmapFileError(name + ": the cached heatmap was changed since FluoCount wrote it");
  std::lock_guard<std::mutex> lock(memory.mutex);
  if (pixels_.empty()) {  // else another thread read it back meanwhile
    pixels_ = loaded;
    memory.enqueue(*this);
  } else {
    memory.markUsed(*this);
  }
  cv::Mat held = pixels_;
  memory.makeRoom();
  return held;
}

bool SlideHeatmap::inMemory() const {
  std::lock_guard<std::mutex> lock(HeatmapMemory::instance().mutex);
  return !pixels_.empty();
}

void SlideHeatmap::setMemoryBudget(std::size_t bytes) {
  HeatmapMemory& memory = HeatmapMemory::instance();
  std::lock_guard<std::mutex> lock(memory.mutex);
  memory.budget = bytes;
  memory.makeRoom();
}

std::size_t SlideHeatmap::memoryBudget() {
  std::lock_guard<std::mutex> lock(HeatmapMemory::instance().mutex);
  return HeatmapMemory::instance().budget;
}

std::size_t SlideHeatmap::cachedBytesInMemory() {
  std::lock_guard<std::mutex> lock(HeatmapMemory::instance().mutex);
  return HeatmapMemory::instance().bytes;
}

}  // namespace fluocount::ui
