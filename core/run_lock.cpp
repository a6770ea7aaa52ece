#include "core/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

namespace fluocount {
namespace fs = std::filesystem;

namespace {

std::string hostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "an unknown host";
  return name;
}

std::string utcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  ::gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &parts);
  return text;
}

// What the holder wrote into the lock file (one line), or a plain phrase when it wrote nothing readable yet.
std::string holderOf(const fs::path& lockFile) {
  std::ifstream in(lockFile);
  std::string line;
  if (!std::getline(in, line) || line.empty() || line.size() > 1000) return "another run";
  for (char& c : line)  // the file is anyone's to damage: nothing but text reaches the message
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return line;
}

// The file at `path` is still the one open as `fd`: a holder that ended removed its file, and a lock taken on that
// removed file between its removal and this open would guard nothing.
bool stillTheFileAt(int fd, const fs::path& path) {
  struct stat opened {};
  struct stat named {};
  if (::fstat(fd, &opened) != 0 || ::stat(path.c_str(), &named) != 0) return false;
  return opened.st_dev == named.st_dev && opened.st_ino == named.st_ino;
}

}  // namespace

std::optional<std::string> runLockHolder(const fs::path& lockFile) {
  const int fd = ::open(lockFile.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  // A shared lock is refused only while a run holds the exclusive one; taken, it is dropped at once.
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  if (!held) return std::nullopt;
  return holderOf(lockFile);
}

RunLock::RunLock(const fs::path& lockFile, const std::string& what, const std::string& place) : file_(lockFile) {
  for (int attempt = 0; attempt < 10; ++attempt) {
    fd_ = ::open(file_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0 && errno == ENOENT)
      throw RunLockError("cannot write " + place + ": the folder " + file_.parent_path().string() + " does not exist");
    if (fd_ < 0 && (errno == EACCES || errno == EPERM || errno == EROFS))  // nothing could be written there
      throw RunLockError("cannot write " + place + ": " + std::strerror(errno));
    if (fd_ < 0) {
      notLockedBecause_ = "cannot create its lock file " + file_.string() + ": " + std::strerror(errno);
      return;
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int why = errno;
      ::close(fd_);
      fd_ = -1;
      if (why == EWOULDBLOCK)
        throw RunLockError(place + " is in use by " + holderOf(file_) +
                           ": wait for it to end, or stop it, or write elsewhere (its lock: " + file_.string() + ")");
      // ENOSYS, EOPNOTSUPP, ENOLCK, EINVAL: a file system without locks.
      ::unlink(file_.c_str());
      notLockedBecause_ = "its file system does not lock files (" + std::string(std::strerror(why)) + ")";
      return;
    }
    if (stillTheFileAt(fd_, file_)) break;
    ::close(fd_);  // the file was removed under us by a holder that ended: take the new one
    fd_ = -1;
  }
  if (fd_ < 0) {
    notLockedBecause_ = "its lock file " + file_.string() + " keeps being replaced";
    return;
  }
  std::ostringstream holder;
  holder << what << " (process " << ::getpid() << " on " << hostName() << ", since " << utcNow() << ")\n";
  const std::string text = holder.str();
  // Only informative: a lock whose note cannot be written still locks.
  [[maybe_unused]] const bool noted =
      ::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size());
}

RunLock::~RunLock() {
  if (fd_ < 0) return;
  // Removed while still held, so that no other run can lock this file and then lose it to the removal.
  ::unlink(file_.c_str());
  ::close(fd_);
}

}  // namespace fluocount
