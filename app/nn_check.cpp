// fluocount-nn-check: the LibTorch-only part of FluoCount (networks, model file, loss, training step, checkpoint)
// exercised on a device, CUDA when present. It builds where Qt and OpenCV are absent (cmake -DFLUOCOUNT_NN_ONLY=ON),
// e.g. on a GPU machine with only a CUDA LibTorch, and prints a table of timings and round-trip checks.
// Inputs are random tensors: this checks that the code runs and how fast, not what it counts.
// --levers-only prints only the second table: the c-ResUnet in float32 and bfloat16, on a GPU in NCHW and in
// channels-last, as FluoCount runs it and as its plain layer sequence: what decides the GPU defaults.
#include "core/checkpoint.h"
#include "core/model_file.h"
#include "core/networks.h"
#include "core/torch_include.h"
#include "core/training_step.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <vector>

using namespace fluocount;

namespace {

double medianSeconds(int runs, const torch::Device& device, const std::function<void()>& work) {
  work();
  if (device.is_cuda()) torch::cuda::synchronize();
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    work();
    if (device.is_cuda()) torch::cuda::synchronize();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// One way to run the c-ResUnet. On a GPU the layout is forced for both uses (forceGpuLayout); plain runs the
// network as its layer sequence (PlainLayerSequenceGuard: transposed convolutions as such rather than as 1x1
// convolutions and pixel shuffles, and, when counting, BatchNorm unfolded). A GPU trains that way anyway
// (networks.cpp, upsample), so there its plain steps equal the others. cuDNN's algorithm search
// (cudnn.benchmark) was measured too, on 2026-12-04: no change beyond noise either way, so it stays off.
struct Lever {
  bool bfloat16;
  std::optional<torch::MemoryFormat> gpuLayout;
  bool plain;
};

std::string leverName(const Lever& lever) {
  std::string name = lever.bfloat16 ? "bfloat16" : "float32";
  if (lever.gpuLayout)
    name += *lever.gpuLayout == torch::MemoryFormat::ChannelsLast ? " channels-last" : " NCHW";
  else
    name += " default layouts";
  return name + (lever.plain ? " plain" : "");
}

// The c-ResUnet's forward pass at 1200x1600 and training step on 4 x 512x512 (the Python peer's sizes), through
// the same calls as counting (the input in the network's precision and activationLayout) and training
// (layOutWeightsFor, trainStep; mixed bfloat16 under autocast).
void measureLever(const Lever& lever, const torch::Device& device, int runs) {
  forceGpuLayout(lever.gpuLayout);
  std::optional<PlainLayerSequenceGuard> plain;
  if (lever.plain) plain.emplace();
  torch::manual_seed(1);
  auto network = makeNetwork(Architecture::CResUnet);
  network->to(device);
  network->eval();
  const auto precision = lever.bfloat16 ? torch::kBFloat16 : torch::kFloat32;
  const auto slide = torch::rand({1, 3, 1200, 1600}, torch::TensorOptions().device(device))
                         .to(precision)
                         .contiguous(activationLayout(device));
  // The plain sequence counts in float32 only (its layers take the weights as they are).
  const double forward = lever.plain && lever.bfloat16 ? std::nan("") : medianSeconds(runs, device, [&] {
    c10::InferenceMode guard;
    network->forward(slide);
  });
  layOutWeightsFor(*network, device);
  network->train();
  torch::optim::Adam optimizer(network->parameters(), torch::optim::AdamOptions(0.006));
  const auto options = torch::TensorOptions().device(device);
  const auto images = torch::rand({4, 3, 512, 512}, options);
  const auto masks = (torch::rand({4, 1, 512, 512}, options) > 0.8).to(torch::kFloat32);
  const auto weights = torch::rand({4, 1, 512, 512}, options) + 0.5;
  const auto arithmetic = lever.bfloat16 ? StepArithmetic::MixedBfloat16 : StepArithmetic::Float32;
  const double step =
      medianSeconds(runs, device, [&] { trainStep(*network, optimizer, images, masks, weights, {}, arithmetic); });
  std::printf("%-36s %12.2f ms %14.2f ms %10.1f\n", leverName(lever).c_str(), forward * 1e3, step * 1e3, 4.0 / step);
}

void measureLevers(const torch::Device& device, int runs) {
  std::printf("%-36s %15s %17s %10s\n", "c-resunet: arithmetic, layout", "forward 1200x1600", "step 4x512x512",
              "crops/s");
  std::vector<std::optional<torch::MemoryFormat>> layouts{std::nullopt};
  if (device.is_cuda()) layouts = {torch::MemoryFormat::Contiguous, torch::MemoryFormat::ChannelsLast};
  for (bool bfloat16 : {false, true})
    for (const auto& layout : layouts)
      for (bool plain : {false, true}) measureLever({bfloat16, layout, plain}, device, runs);
  forceGpuLayout(std::nullopt);
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each row as it is measured, also into a pipe
  std::string deviceName = torch::cuda::is_available() ? "cuda" : "cpu";
  std::string folder = "/tmp";
  int runs = 5;
  bool leversOnly = false;
  for (int i = 1; i < argc; ++i) {
    const std::string option = argv[i];
    const bool valueFollows = i + 1 < argc;
    if (option == "--levers-only")
      leversOnly = true;
    else if (option == "--device" && valueFollows)
      deviceName = argv[++i];
    else if (option == "--runs" && valueFollows)
      runs = std::max(1, std::atoi(argv[++i]));
    else if (option == "--out" && valueFollows)
      folder = argv[++i];
  }
  const torch::Device device(deviceName == "cuda" ? torch::kCUDA : torch::kCPU);
  std::printf("device %s (CUDA available: %s, %d GPU(s)), LibTorch %s, %d runs per figure\n", deviceName.c_str(),
              torch::cuda::is_available() ? "yes" : "no", static_cast<int>(torch::cuda::device_count()), TORCH_VERSION,
              runs);
  if (leversOnly) {
    measureLevers(device, runs);
    return 0;
  }
  std::printf("%-11s %10s %16s %22s %14s %12s %10s\n", "network", "params", "forward 1200x1600", "train step 4x512x512",
              "crops/s", "file round trip", "ckpt");
  int failures = 0;
  for (Architecture architecture : allArchitectures()) {
    torch::manual_seed(1);
    auto network = makeNetwork(architecture);
    network->to(device);
    network->eval();
    const auto slide = torch::rand({1, 3, 1200, 1600}, torch::TensorOptions().device(device));
    torch::Tensor logits;
    const double forward = medianSeconds(runs, device, [&] {
      c10::InferenceMode guard;
      logits = network->forward(slide);
    });

    // Model file round trip on the device: the reloaded network gives the same logits.
    const std::string path = folder + "/" + architectureName(architecture) + ".fcmodel";
    saveModel(path, *network, [&] {
      ModelInfo info;
      info.architecture = architecture;
      return info;
    }());
    Model loaded = loadModel(path);
    loaded.network->to(device);
    const auto crop = slide.narrow(2, 0, 256).narrow(3, 0, 256);
    torch::Tensor before, after;
    {
      c10::InferenceMode guard;
      before = network->forward(crop);
      after = loaded.network->forward(crop);
    }
    const double fileDifference = (before - after).abs().max().item<double>();

    layOutWeightsFor(*network, device);  // as the trainer does
    network->train();
    torch::optim::Adam optimizer(network->parameters(), torch::optim::AdamOptions(0.006));
    const auto images = torch::rand({4, 3, 512, 512}, slide.options());
    const auto masks = (torch::rand({4, 1, 512, 512}, slide.options()) > 0.8).to(torch::kFloat32);
    const auto weights = torch::rand({4, 1, 512, 512}, slide.options()) + 0.5;
    const double step =
        medianSeconds(runs, device, [&] { trainStep(*network, optimizer, images, masks, weights, {}); });

    // Checkpoint round trip: a fresh network and optimizer restored from it take the same next step.
    const std::string checkpointPath = folder + "/" + architectureName(architecture) + ".checkpoint";
    saveCheckpoint(checkpointPath, {network.get(), &optimizer, network.get(), {{"epoch", 1}}});
    auto restored = makeNetwork(architecture);
    restored->to(device);
    layOutWeightsFor(*restored, device);  // as the trainer does before it restores a checkpoint
    restored->train();
    auto best = makeNetwork(architecture);
    best->to(device);
    torch::optim::Adam restoredOptimizer(restored->parameters(), torch::optim::AdamOptions(0.006));
    loadCheckpoint(checkpointPath, {restored.get(), &restoredOptimizer, best.get(), {}});
    const double lossA = trainStep(*network, optimizer, images, masks, weights, {});
    const double lossB = trainStep(*restored, restoredOptimizer, images, masks, weights, {});
    double stepDifference = 0;
    auto a = network->parameters(), b = restored->parameters();
    for (std::size_t i = 0; i < a.size(); ++i)
      stepDifference = std::max(stepDifference, (a[i] - b[i]).abs().max().item<double>());
    const bool ok = fileDifference == 0 && lossA == lossB && stepDifference < 1e-6 && logits.size(2) == 1200;
    failures += ok ? 0 : 1;
    std::printf("%-11s %10lld %15.3fs %21.3fs %14.1f %12.1e %10.1e %s\n", architectureName(architecture).c_str(),
                static_cast<long long>(countTrainableParameters(*network)), forward, step, 4.0 / step, fileDifference,
                stepDifference, ok ? "ok" : "MISMATCH");
  }
  std::fflush(stdout);
  measureLevers(device, runs);
  std::printf("%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
