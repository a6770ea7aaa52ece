#include "core/atomic_file.h"

#include "core/sha256.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

namespace fluocount {
namespace fs = std::filesystem;

namespace {

std::string errnoText() { return std::strerror(errno); }

// ".<name>.tmp-<pid>-<random>": hidden, and naming the process that writes it, so that a temporary left behind by a
// killed process can be told from one being written right now.
std::string temporaryPrefix(const fs::path& target) { return "." + target.filename().string() + ".tmp-"; }

std::string temporarySibling(const fs::path& target) {
  std::random_device random;
  return (target.parent_path() /
          (temporaryPrefix(target) + std::to_string(::getpid()) + "-" + std::to_string(random())))
      .string();
}

// Removes temporaries of `target` whose writer no longer runs (killed mid-write, or a power loss): the target
// itself was never touched by them, so they hold nothing that is not elsewhere.
void removeStaleTemporaries(const fs::path& target) {
  std::error_code error;
  const std::string prefix = temporaryPrefix(target);
  for (const auto& entry : fs::directory_iterator(target.parent_path(), error)) {
    const std::string name = entry.path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string rest = name.substr(prefix.size());
    const std::size_t dash = rest.find('-');
    if (dash == std::string::npos || dash == 0) continue;
    const std::string pid = rest.substr(0, dash);
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (std::stol(pid) == ::getpid() || fs::exists("/proc/" + pid, error)) continue;
    fs::remove(entry.path(), error);
  }
}

void writeAll(int fd, const std::string& bytes, const std::string& path) {
  const char* data = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t written = ::write(fd, data, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      throw FileWriteError("cannot write " + path + ": " + errnoText());
    }
    data += written;
    left -= static_cast<std::size_t>(written);
  }
}

}  // namespace

namespace {

// The atomic write itself; `beforePlacing` runs once the bytes are flushed to the temporary, just before it is
// moved into place, and may throw to abandon the write.
void writeThroughTemporary(const std::string& path, const std::string& bytes, Overwrite overwrite,
                           const std::function<void()>& beforePlacing) {
  const fs::path target = fs::absolute(path);
  if (overwrite == Overwrite::Refuse && fs::exists(target))
    throw FileWriteError(path + " already exists; refusing to overwrite it");
  removeStaleTemporaries(target);
  const std::string temporary = temporarySibling(target);
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw FileWriteError("cannot create " + path + ": " + errnoText());
  try {
    writeAll(fd, bytes, path);
    if (::fsync(fd) != 0) throw FileWriteError("cannot flush " + path + " to disk: " + errnoText());
  } catch (...) {
    ::close(fd);
    ::unlink(temporary.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    ::unlink(temporary.c_str());
    throw FileWriteError("cannot close " + path + ": " + errnoText());
  }
  try {
    if (beforePlacing) beforePlacing();
  } catch (...) {
    ::unlink(temporary.c_str());
    throw;
  }
  // Refuse mode: link() fails if the target appeared meanwhile, where rename() would replace it.
  const bool placed = overwrite == Overwrite::Refuse ? ::link(temporary.c_str(), target.c_str()) == 0
                                                     : ::rename(temporary.c_str(), target.c_str()) == 0;
  const std::string reason = errnoText();
  if (overwrite == Overwrite::Refuse || !placed) ::unlink(temporary.c_str());
  if (!placed) throw FileWriteError("cannot move the finished file into place at " + path + ": " + reason);
  // The rename itself must reach the disk too, or a power loss could bring back the old directory entry.
  const int folder = ::open(target.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (folder >= 0) {
    ::fsync(folder);
    ::close(folder);
  }
}

}  // namespace

void writeFileAtomically(const std::string& path, const std::string& bytes, Overwrite overwrite) {
  writeThroughTemporary(path, bytes, overwrite, {});
}

FileVersion versionOfBytes(const std::string& bytes) { return {true, sha256Hex(bytes)}; }

FileVersion fileVersionOf(const std::string& path, std::size_t maxBytes) {
  std::error_code error;
  if (!fs::exists(path, error) && !error) return {};
  return versionOfBytes(readWholeFile(path, maxBytes));
}

FileVersion replaceFileIfUnchanged(const std::string& path, const std::string& bytes, const FileVersion& expected) {
  writeThroughTemporary(path, bytes, Overwrite::Allow, [&] {
    FileVersion now;
    try {
      now = fileVersionOf(path);
    } catch (const std::exception& e) {
      throw FileWriteError(std::string("cannot check what ") + path + " holds before replacing it: " + e.what());
    }
    if (now != expected)
      throw FileChangedError(path +
                             (now.exists ? (expected.exists ? " was changed" : " was created") : " was removed") +
                             " by another program since FluoCount last read or wrote it; it was not replaced");
  });
  return versionOfBytes(bytes);
}

std::string readWholeFile(const std::string& path, std::size_t maxBytes) {
  std::error_code error;
  if (!fs::is_regular_file(path, error)) throw std::runtime_error(path + ": no such file");
  const auto size = fs::file_size(path, error);
  if (error) throw std::runtime_error(path + ": cannot read size: " + error.message());
  if (size > maxBytes)
    throw std::runtime_error(path + ": file is " + std::to_string(size) + " bytes, above the limit of " +
                             std::to_string(maxBytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open for reading");
  std::string bytes(size, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (static_cast<std::uintmax_t>(in.gcount()) != size) throw std::runtime_error(path + ": read error");
  return bytes;
}

std::uint32_t crc32(const char* data, std::size_t size) {
  // zlib's crc32 takes a uInt length: feed it in pieces that fit.
  uLong crc = ::crc32(0L, Z_NULL, 0);
  while (size > 0) {
    const uInt piece = uInt(std::min<std::size_t>(size, std::numeric_limits<uInt>::max()));
    crc = ::crc32(crc, reinterpret_cast<const Bytef*>(data), piece);
    data += piece;
    size -= piece;
  }
  return std::uint32_t(crc);
}

}  // namespace fluocount
