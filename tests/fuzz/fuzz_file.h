#pragma once
// Helpers for the fuzz targets: loaders that take a path get each input as one file in a private temporary folder;
// formats that end with a CRC-32 get a second try with the checksum made right, so that mutations of the header
// and tensors reach the parser behind the checksum check.
#include "core/atomic_file.h"

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include <unistd.h>

namespace fluocount::fuzz {

inline std::string inputFile(const std::string& name) {
  static const std::string folder = [] {
    char pattern[] = "/tmp/fluocount-fuzz-XXXXXX";
    const char* made = ::mkdtemp(pattern);
    if (!made) std::abort();
    return std::string(made);
  }();
  return folder + "/" + name;
}

inline std::string writeInput(const std::string& name, const std::string& bytes) {
  const std::string path = inputFile(name);
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(bytes.size()));
  return path;
}

inline std::string writeInput(const std::string& name, const std::uint8_t* data, std::size_t size) {
  return writeInput(name, std::string(reinterpret_cast<const char*>(data), size));
}

// The bytes with their last four replaced by the little-endian CRC-32 of the rest.
inline std::string withValidChecksum(std::string bytes) {
  if (bytes.size() < 4) return bytes;
  const std::uint32_t crc = crc32(bytes.data(), bytes.size() - 4);
  for (int i = 0; i < 4; ++i) bytes[bytes.size() - 4 + i] = static_cast<char>((crc >> (8 * i)) & 0xFF);
  return bytes;
}

}  // namespace fluocount::fuzz
