// libFuzzer target: the model-file parser. A file is either a complete, consistent model or a ModelFileError;
// nothing in it is executed, and no size or offset in its header can make the parser read or allocate wildly.
// Each input is parsed as it is and again with a valid checksum, to reach the checks behind the CRC.
#include "core/model_file.h"
#include "tests/fuzz/fuzz_file.h"

namespace {
void parse(const std::string& bytes) {
  try {
    const fluocount::Model model = fluocount::parseModel(bytes, "fuzz.fcmodel");
    if (!model.network) __builtin_trap();
  } catch (const fluocount::ModelFileError&) {}
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  parse(bytes);
  parse(fluocount::fuzz::withValidChecksum(bytes));
  return 0;
}
