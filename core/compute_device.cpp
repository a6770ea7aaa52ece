#include "core/compute_device.h"

#include "core/torch_include.h"

#include <cstdio>
#include <memory>
#include <sstream>
#include <algorithm>
#include <thread>

namespace fluocount {
namespace {

std::string gigabytes(std::int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f GB", double(bytes) / 1e9);
  return text;
}

// The GPU's name and memory from nvidia-smi, which ships with the NVIDIA driver: the CPU build of LibTorch has
// no CUDA headers to ask, and the driver is present wherever a CUDA GPU is usable.
void queryNvidiaSmi(ComputeDevice& device) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(
      popen("nvidia-smi --query-gpu=name,memory.total,memory.free --format=csv,noheader,nounits -i 0 2>/dev/null", "r"),
      pclose);
  if (!pipe) return;
  char line[512] = {};
  if (!std::fgets(line, sizeof line, pipe.get())) return;
  std::stringstream fields(line);
  std::string name, total, free;
  std::getline(fields, name, ',');
  std::getline(fields, total, ',');
  std::getline(fields, free, ',');
  try {
    device.totalMemoryBytes = std::stoll(total) * 1024 * 1024;  // MiB
    device.freeMemoryBytes = std::stoll(free) * 1024 * 1024;
    device.name = name;
  } catch (const std::exception&) {
    // An unexpected format: keep the generic name.
  }
}

int everyCore() { return int(std::max(1u, std::thread::hardware_concurrency())); }

bool gpuChosen(DevicePreference preference, bool cudaAvailable) {
  return preference != DevicePreference::Cpu && cudaAvailable;
}

}  // namespace

std::string ComputeDevice::summary() const {
  if (gpu) {
    std::string text = "GPU: " + name;
    if (totalMemoryBytes > 0)
      text += " (" + gigabytes(freeMemoryBytes) + " free of " + gigabytes(totalMemoryBytes) + ")";
    return text;
  }
  return "CPU (" + std::to_string(cpuThreads) + " threads): " + cpuReason;
}

ComputeDevice describeComputeDevice(bool preferCpu) {
  ComputeDevice device;
  // What a run here would use: training and counting set LibTorch to every core unless told otherwise.
  device.cpuThreads = everyCore();
  try {
    const bool cuda = torch::cuda::is_available();
    if (gpuChosen(preferCpu ? DevicePreference::Cpu : DevicePreference::Automatic, cuda)) {
      device.gpu = true;
      device.name = "CUDA GPU (" + std::to_string(torch::cuda::device_count()) + " device(s))";
      queryNvidiaSmi(device);
      return device;
    }
    device.name = "CPU";
    device.cpuReason = preferCpu && cuda ? "the CPU was chosen in the settings"
                       : at::hasCUDA()   ? "no CUDA GPU was found (driver missing or no device)"
                                         : "this LibTorch was built without CUDA (install a CUDA build to use a GPU)";
  } catch (const std::exception& e) {
    device.name = "CPU";
    device.cpuReason = std::string("CUDA could not be initialised: ") + e.what();
  }
  return device;
}

DeviceInUse useComputeDevice(DevicePreference preference, int threads) {
  const bool cuda = preference != DevicePreference::Cpu && torch::cuda::is_available();
  if (preference == DevicePreference::Cuda && !cuda)
    throw std::runtime_error("CUDA was requested but this LibTorch has no CUDA support or no GPU is present");
  if (gpuChosen(preference, cuda)) return {true, "CUDA GPU"};
  at::set_num_threads(threads > 0 ? threads : everyCore());
  return {false, "CPU (" + std::to_string(at::get_num_threads()) + " threads)"};
}

}  // namespace fluocount
