// fluocount-nn-check: the LibTorch-only part of FluoCount (networks, model file, loss, training step, checkpoint)
// exercised on a device, CUDA when present. It builds where Qt and OpenCV are absent (cmake -DFLUOCOUNT_NN_ONLY=ON),
// e.g. on a GPU machine with only a CUDA LibTorch, and prints a table of timings and round-trip checks.
// Inputs are random tensors: this checks that the code runs and how fast, not what it counts.
#include "core/checkpoint.h"
#include "core/model_file.h"
#include "core/networks.h"
#include "core/torch_include.h"
#include "core/training_step.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
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

}  // namespace

int main(int argc, char** argv) {
  std::string deviceName = torch::cuda::is_available() ? "cuda" : "cpu";
  std::string folder = "/tmp";
  int runs = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--device"))
      deviceName = argv[i + 1];
    else if (!std::strcmp(argv[i], "--runs"))
      runs = std::max(1, std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--out"))
      folder = argv[i + 1];
  }
  const torch::Device device(deviceName == "cuda" ? torch::kCUDA : torch::kCPU);
  std::printf("device %s (CUDA available: %s, %d GPU(s)), LibTorch %s, %d runs per figure\n", deviceName.c_str(),
              torch::cuda::is_available() ? "yes" : "no", static_cast<int>(torch::cuda::device_count()), TORCH_VERSION,
              runs);
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
  std::printf("%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
