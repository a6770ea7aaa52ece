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

// Throws FileWriteError (naming the file and the reason) on any failure; the target is then untouched. With
// Overwrite::Refuse an existing target is an error: user masks and results are never silently replaced.
void writeFileAtomically(const std::string& path, const std::string& bytes, Overwrite overwrite = Overwrite::Allow);

std::string readWholeFile(const std::string& path, std::size_t maxBytes);

// CRC-32 (IEEE 802.3), the checksum FluoCount's own file formats end with.
std::uint32_t crc32(const char* data, std::size_t size);

}  // namespace fluocount
