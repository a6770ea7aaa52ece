#pragma once
// Which device training and counting run on, said in words a user can act on: the GPU's name and memory when
// one is used, and otherwise why not (a LibTorch without CUDA, no GPU found, or the user chose the CPU).
#include <cstdint>
#include <string>

namespace fluocount {

enum class DevicePreference { Automatic, Cpu, Cuda };

struct ComputeDevice {
  bool gpu = false;
  std::string name;                                        // "NVIDIA H100 80GB HBM3", or "CPU"
  std::int64_t totalMemoryBytes = 0, freeMemoryBytes = 0;  // the GPU's, 0 when unknown
  int cpuThreads = 0;
  std::string cpuReason;        // why the CPU is used; empty on a GPU
  std::string summary() const;  // one line for a status bar or a log
};

// Never throws. `preferCpu`: the user asked for the CPU even though a GPU may be present.
ComputeDevice describeComputeDevice(bool preferCpu = false);

// The one rule for where counting and training run: the CPU when the user chose it; otherwise a CUDA GPU when
// this LibTorch and the machine have one, else the CPU. DevicePreference::Cuda without a usable GPU is an error
// (std::runtime_error), not a silent fall back. On the CPU it also sets LibTorch's thread count (threads <= 0:
// every core), which LibTorch would otherwise leave at one.
struct DeviceInUse {
  bool gpu = false;
  std::string description;  // "CUDA GPU" or "CPU (2 threads)", for logs
};
DeviceInUse useComputeDevice(DevicePreference preference, int threads);

}  // namespace fluocount
