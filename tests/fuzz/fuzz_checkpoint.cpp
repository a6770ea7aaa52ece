// libFuzzer target: the checkpoint loader, into a small-unet with its Adam optimiser. Loads or fails with a
// CheckpointError naming the file; each input is tried as it is and with a valid checksum.
#include "core/checkpoint.h"
#include "tests/fuzz/fuzz_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static auto network = fluocount::makeNetwork(fluocount::Architecture::SmallUnet);
  static auto best = fluocount::makeNetwork(fluocount::Architecture::SmallUnet);
  static torch::optim::Adam optimizer(network->parameters(), torch::optim::AdamOptions(1e-3));
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  for (const std::string& input : {bytes, fluocount::fuzz::withValidChecksum(bytes)}) {
    try {
      fluocount::loadCheckpoint(fluocount::fuzz::writeInput("run.checkpoint", input),
                                {network.get(), &optimizer, best.get(), {}});
    } catch (const fluocount::CheckpointError&) {}
  }
  return 0;
}
