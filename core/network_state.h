#pragma once
// Loading a network's weights in two steps, so that a loader can read and check everything before it changes
// anything (checkpoints hold a network, the best weights and the optimizer: all or nothing). Includes LibTorch,
// so only the loaders include it, not model_file.h's many users.
#include "core/networks.h"
#include "core/tensor_container.h"

#include <string>
#include <vector>

namespace fluocount {

// Copies `prefix` + each state name from the container into new tensors; throws ContainerError when one is
// missing or has another type or shape.
std::vector<torch::Tensor> stageNetworkState(SegmentationNetworkImpl& network, const TensorContainer& container,
                                             const std::string& prefix);
// Copies staged tensors into the network; cannot fail for tensors staged from a network of its architecture.
void commitNetworkState(SegmentationNetworkImpl& network, const std::vector<torch::Tensor>& staged);

}  // namespace fluocount
