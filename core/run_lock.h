#pragma once
// One writer at a time: a run that writes into a place other runs may also be told to write into (count --out's
// folder, train's checkpoint) holds an advisory lock there for as long as it runs, so that a second run started
// into the same place, by hand or by a scheduler that resubmits a job still running, is refused with who holds it
// instead of interleaving its tables, journal or checkpoint with the first one's.
//
// The lock is flock(2) on a small file beside what it guards. The kernel releases it when its process ends in any
// way (Ctrl-C, a time limit, kill -9, a crash), so a stopped run never leaves a lock behind that blocks its
// --resume; the file itself may stay (it is removed when the run ends normally) and means nothing unless locked.
// Over NFS the lock is the server's (Linux maps flock to POSIX byte-range locks there). A file system that has no
// locks (Lustre mounted without -o flock, some FUSE mounts) or a lock file that cannot be created does not stop the
// run: it runs unguarded, as before there were locks, and says so (notLockedBecause).
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

namespace fluocount {

// The place is locked by another run (what() says which, as far as its lock file tells), or cannot be locked.
class RunLockError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// Who holds the lock on lockFile now (what its holder wrote there), or nothing when no run holds it (no file, or a
// file a run left when it ended). Only looks: creates, takes and removes nothing.
std::optional<std::string> runLockHolder(const std::filesystem::path& lockFile);

class RunLock {
public:
  // Takes the lock on lockFile (its folder must exist), writing who holds it (`what`, this process, this host, the
  // time) into the file for the message a second run gets. Throws RunLockError naming the holder when another
  // process has it, or saying that lockFile's folder does not exist or cannot be written. `place` is what the
  // messages call the guarded thing.
  RunLock(const std::filesystem::path& lockFile, const std::string& what, const std::string& place);
  ~RunLock();  // releases the lock and removes its file
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  const std::filesystem::path& file() const { return file_; }
  bool held() const { return fd_ >= 0; }
  // Why the place is not locked (the file system has no locks, ...), for a note; empty when it is.
  const std::string& notLockedBecause() const { return notLockedBecause_; }

private:
  std::filesystem::path file_;
  int fd_ = -1;
  std::string notLockedBecause_;
};

}  // namespace fluocount
