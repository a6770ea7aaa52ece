#pragma once
// Training checkpoints: everything a run needs to continue exactly where it stopped (network, Adam moments, the
// best weights so far, the schedule and progress as JSON), in the same checked container as model files.
#include "core/networks.h"

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

namespace fluocount {

class CheckpointError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct CheckpointContents {
  SegmentationNetworkImpl* network = nullptr;
  torch::optim::Adam* optimizer = nullptr;
  SegmentationNetworkImpl* best = nullptr;      // weights with the best validation loss so far
  nlohmann::json state;                         // epoch, step, schedule, history, settings, split
  SegmentationNetworkImpl* averaged = nullptr;  // the moving average of the weights, when the run keeps one
};

// Written atomically.
void saveCheckpoint(const std::string& path, const CheckpointContents& contents);
// Fills the given network, optimizer and best network, returns the JSON state. Throws CheckpointError naming the
// file when it is damaged or does not fit the architecture.
nlohmann::json loadCheckpoint(const std::string& path, const CheckpointContents& into);
// The JSON state alone (to check a run's settings before loading into networks that must fit them).
nlohmann::json readCheckpointState(const std::string& path);

}  // namespace fluocount
