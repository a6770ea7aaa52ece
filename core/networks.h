#pragma once
// The four segmentation networks of METHOD.md section 4. Each maps a batch of RGB images (N x 3 x H x W, float in
// [0,1]) to one channel of logits; sigmoid(logits) is the per-pixel cell probability.
#include "core/architecture.h"
#include "core/torch_include.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fluocount {

class SegmentationNetworkImpl : public torch::nn::Module {
public:
  // Logits for an input whose sides are multiples of sizeMultiple().
  virtual torch::Tensor forward(torch::Tensor x) = 0;
  // Side lengths must be multiples of this (2^number of poolings).
  virtual int sizeMultiple() const = 0;
  virtual Architecture architecture() const = 0;
};
using SegmentationNetwork = std::shared_ptr<SegmentationNetworkImpl>;

// A freshly initialised network (Kaiming-normal convolutions, BN momentum 0.01 and eps 1e-3).
SegmentationNetwork makeNetwork(Architecture architecture);

std::int64_t countTrainableParameters(const torch::nn::Module& module);

// Logits for any input size: pads (reflect where possible) to sizeMultiple() and crops the output back.
torch::Tensor forwardAnySize(SegmentationNetworkImpl& network, const torch::Tensor& x);

}  // namespace fluocount
