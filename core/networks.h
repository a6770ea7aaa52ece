#pragma once
// The four segmentation networks of docs/method.md section 4. Each maps a batch of RGB images (N x 3 x H x W, float in
// [0,1]) to one channel of logits; sigmoid(logits) is the per-pixel cell probability.
#include "core/architecture.h"
#include "core/torch_module_include.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fluocount {

// Every network here is an encoder (one skip tensor per level, then pooling), a bottleneck at the coarsest level,
// and a decoder that climbs back up through the skips. Inference uses the three stages separately so that the
// expensive full-resolution stages run in small tiles while the bottleneck sees the whole image (inference.cpp).
class SegmentationNetworkImpl : public torch::nn::Module {
public:
  struct Features {
    std::vector<torch::Tensor> skips;  // skips[l] at 1/2^l of the input's resolution
    torch::Tensor deepest;             // the pooled input of the bottleneck, at 1/2^levels
  };
  // How far (in input pixels) each stage reaches: an output pixel depends on inputs at most this far away.
  struct Reach {
    int encoder = 0, bottleneck = 0, decoder = 0;
    int total() const { return encoder + bottleneck + decoder; }
  };

  virtual Features encode(const torch::Tensor& x) = 0;
  virtual torch::Tensor bottleneck(const torch::Tensor& deepest) = 0;
  virtual torch::Tensor decode(const torch::Tensor& bottom, const std::vector<torch::Tensor>& skips) = 0;
  virtual Reach reach() const = 0;
  virtual int levels() const = 0;  // number of poolings
  virtual Architecture architecture() const = 0;

  // Logits for an input whose sides are multiples of sizeMultiple().
  torch::Tensor forward(const torch::Tensor& x) {
    Features features = encode(x);
    return decode(bottleneck(features.deepest), features.skips);
  }
  int sizeMultiple() const { return 1 << levels(); }
};
using SegmentationNetwork = std::shared_ptr<SegmentationNetworkImpl>;

// In inference mode the ResUnet blocks fold batch normalisation into neighbouring operations (fewer passes over
// memory), and in both modes every network runs its transposed convolutions as 1x1 convolutions and pixel shuffles
// (the same arithmetic, faster). While a guard lives, this thread runs them as the plain layer sequence instead,
// transposed convolutions included (tests compare the two).
class PlainLayerSequenceGuard {
public:
  PlainLayerSequenceGuard();
  ~PlainLayerSequenceGuard();
  PlainLayerSequenceGuard(const PlainLayerSequenceGuard&) = delete;
  PlainLayerSequenceGuard& operator=(const PlainLayerSequenceGuard&) = delete;

private:
  bool previous_;
};

// While a guard lives, this thread's inference passes (not training, not PlainLayerSequenceGuard) run the
// ResUnet blocks' k x k convolutions in 8-bit integers (core/int8_convolution.h; NetworkPrecision::Int8), where
// the activations are float32 channels-last on the CPU; everything else stays float32. The networks quantize their
// weights at the first such pass. Needs int8ConvolutionAvailable(): HeatmapPredictor checks it.
class Int8InferenceGuard {
public:
  Int8InferenceGuard();
  ~Int8InferenceGuard();
  Int8InferenceGuard(const Int8InferenceGuard&) = delete;
  Int8InferenceGuard& operator=(const Int8InferenceGuard&) = delete;

private:
  bool previous_;
};

// The memory layout the networks' activations run fastest in on `device` when counting: channels-last (NHWC) on
// the CPU, the layout oneDNN's convolutions read and write natively (in NCHW every convolution reorders its input
// to a blocked layout and its output back: about 0.25 s of a 1.5 s forward pass at 1600x1200 here; README,
// performance); NCHW on a GPU, where cuDNN's forward pass at 1200x1600 is faster in it (7.0 ms against 7.8 ms on
// an H200, `fluocount-nn-check`). The arithmetic is the same.
torch::MemoryFormat activationLayout(const torch::Device& device);

// The layout of the activations, and of the weights (layOutWeightsFor), when training: channels-last on a GPU
// (cuDNN's training step of 4 x 512x512 on an H200: 23.4 ms in NCHW, 18.8 ms in channels-last) and on a CPU with
// AVX-512, where it was measured faster (README, "Training-step levers"); NCHW on a CPU without, whose oneDNN
// channels-last backward kernels are slower (the same step on 2 cores of an AVX2 AMD EPYC, 2026-12-07: 5.5 s
// channels-last, 3.6 s NCHW). Counting stays channels-last on every CPU (activationLayout: the same there).
torch::MemoryFormat trainingLayout(const torch::Device& device);
// Whether this CPU has the AVX-512 instructions oneDNN's AVX-512 convolution kernels need (F, BW, VL, DQ).
bool cpuHasAvx512();
// Trains on the CPU in `layout`, or in the default above again with nullopt: for tests that check both layouts.
void forceCpuTrainingLayout(std::optional<torch::MemoryFormat> layout);

// Runs every GPU use in `layout` (both above), or in the measured defaults again with nullopt: for
// fluocount-nn-check, which measures both layouts. The CPU's layouts are not changed by it.
void forceGpuLayout(std::optional<torch::MemoryFormat> layout);

// Puts the network's 4-D weights (convolutions, transposed convolutions) in trainingLayout(device), for training:
// oneDNN's backward passes then produce the weight gradients in the layout the weights are kept in, with no
// reorder per layer and step (channels-last, a training step of 4 x 512x512 on 2 cores: 3.2 s -> 2.8 s). The values do not
// change, and model files and checkpoints are written in the standard layout whatever the weights' is.
void layOutWeightsFor(SegmentationNetworkImpl& network, const torch::Device& device);

// A freshly initialised network (Kaiming-normal convolutions, BN momentum 0.01 and eps 1e-3).
SegmentationNetwork makeNetwork(Architecture architecture);

std::int64_t countTrainableParameters(const torch::nn::Module& module);

// Whether a parameter or direct child module (by its registered name, the name it has in model files) belongs to
// the decoder: the up-sampling blocks and the head, which turn the encoder's features into the cell map. Every
// architecture here names them "up...", "dec..." and "head".
bool belongsToDecoder(const std::string& name);

// Fine-tuning the decoder alone: the encoder's and bottleneck's parameters stop requiring gradients (so backward
// stops at the decoder). Returns the decoder's parameters, for the optimiser.
std::vector<torch::Tensor> freezeAllButDecoder(SegmentationNetworkImpl& network);

// The arithmetic of one forward pass on a height x width input, in GFLOP (two per multiply-add of the
// convolutions and transposed convolutions; BatchNorm, ELU and additions are not counted): the benchmark's compute
// floor. c-ResUnet at 1600x1200: 209 GFLOP.
double forwardGflop(const SegmentationNetworkImpl& network, int height, int width);

// Logits for any input size: pads (reflect where possible) to sizeMultiple() and crops the output back.
torch::Tensor forwardAnySize(SegmentationNetworkImpl& network, const torch::Tensor& x);

}  // namespace fluocount
