#pragma once
// Writing files so that a crash, a full disk or a cancelled job never leaves a half-written result: the bytes go
// to a temporary file beside the target, are flushed to disk, and only then renamed over the target (and the
// folder flushed). A temporary left by a killed writer is removed by the next write to the same target.
#include <cstdint>
#include <cstddef>
#include <stdexcept>
#include <string>

namespace fluocount {

class FileWriteError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

enum class Overwrite { Refuse, Allow };

// What a file held when this program last read or wrote it, so that a later write can tell whether someone else
// (Fiji, QuPath, another FluoCount window, a sync tool) changed it meanwhile.
struct FileVersion {
  bool exists = false;
  std::string sha256;  // of the bytes, when it exists
  bool operator==(const FileVersion& other) const { return exists == other.exists && sha256 == other.sha256; }
  bool operator!=(const FileVersion& other) const { return !(*this == other); }
};

// Reads the file (up to maxBytes; a larger or unreadable one throws std::runtime_error naming it). A missing file
// is a version too: exists false.
FileVersion fileVersionOf(const std::string& path, std::size_t maxBytes = std::size_t(1) << 30);
FileVersion versionOfBytes(const std::string& bytes);

// The file no longer holds the version a write expected: it was changed by someone else.
class FileChangedError : public FileWriteError {
public:
  using FileWriteError::FileWriteError;
};

// Throws FileWriteError (naming the file and the reason) on any failure; the target is then untouched. With
// Overwrite::Refuse an existing target is an error: user masks and results are never silently replaced.
void writeFileAtomically(const std::string& path, const std::string& bytes, Overwrite overwrite = Overwrite::Allow);

// writeFileAtomically, but only over the version the caller last saw: if the file now holds anything else
// (other bytes, or it appeared or vanished), throws FileChangedError and leaves it as it is. The check comes after
// the new bytes are on disk, just before they are moved into place, so the window for a change to slip through is
// the rename alone. Returns the version written.
FileVersion replaceFileIfUnchanged(const std::string& path, const std::string& bytes, const FileVersion& expected);

std::string readWholeFile(const std::string& path, std::size_t maxBytes);

// CRC-32 (IEEE 802.3), the checksum FluoCount's own file formats end with.
std::uint32_t crc32(const char* data, std::size_t size);

}  // namespace fluocount
