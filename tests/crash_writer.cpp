// crash_writer MODE PATH [--once]: writes PATH again and again the way FluoCount does (mask: saveMask of a real
// mask; csv: a count table; checkpoint: a c-ResUnet training checkpoint), printing "ready" after the first
// complete write, until it is killed. test_crash_safety kills it with SIGKILL at a random moment.
#include "core/atomic_file.h"
#include "core/checkpoint.h"
#include "core/image_io.h"
#include "core/mask_edit.h"
#include "crash_variants.h"
#include "test_support.h"

#include <cstdio>
#include <cstring>

using namespace fluocount;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: crash_writer mask|csv|checkpoint PATH [--once]\n");
    return 2;
  }
  const std::string mode = argv[1], path = argv[2];
  const bool once = argc > 3 && !std::strcmp(argv[3], "--once");
  const cv::Mat realMask = mode == "mask" ? loadMask(test::maskFile(test::kYellowSlide)) : cv::Mat();
  SegmentationNetwork network, best;
  std::unique_ptr<torch::optim::Adam> optimizer;
  if (mode == "checkpoint") {
    network = makeNetwork(Architecture::CResUnet);
    best = makeNetwork(Architecture::CResUnet);
    optimizer = std::make_unique<torch::optim::Adam>(network->parameters(), torch::optim::AdamOptions(1e-3));
  }
  for (int k = 0;; ++k) {
    if (mode == "mask")
      saveMask(path, test::crashMask(realMask, k));
    else if (mode == "csv")
      writeFileAtomically(path, test::crashTable(k));
    else if (mode == "checkpoint")
      saveCheckpoint(path, {network.get(), optimizer.get(), best.get(), {{"round", k}}});
    else
      return 2;
    if (k == 0) {
      std::printf("ready\n");
      std::fflush(stdout);
    }
    if (once) return 0;
  }
}
