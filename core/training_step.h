#pragma once
// The loss, the optimiser step and the learning-rate schedule of docs/method.md section 5. LibTorch only, so that
// training also builds on a machine with a CUDA LibTorch and nothing else.
#include "core/networks.h"

#include <nlohmann/json.hpp>

#include <limits>

namespace fluocount {

struct LossSettings {
  double cellClassWeight = 1.5;  // the reference code's (the paper's text states the reverse)
  double backgroundClassWeight = 1.0;
  bool useWeightMaps = true;  // false: class weights only (the paper's "no WM" ablation)
};

// Mean over pixels of class_weight(y) * W(x) * BCE(y, sigmoid(logits)). weights may be undefined without maps.
torch::Tensor weightedBceLoss(const torch::Tensor& logits, const torch::Tensor& target, const torch::Tensor& weights,
                              const LossSettings& settings);

// Puts the network in training mode. With freezeBatchNorm its BatchNorm layers stay in evaluation mode: they
// normalise with the running statistics of the model being fine-tuned and do not update them. A fine-tune on a
// user's two or three slides sees batches of four crops of the same few cells, whose statistics are far from those
// the model was trained with; freezing keeps training and counting on the same normalisation.
// With decoderOnly, everything but the decoder (belongsToDecoder) stays in evaluation mode as a whole: the frozen
// encoder computes exactly what it computed in the starting model.
void enterTrainingMode(SegmentationNetworkImpl& network, bool freezeBatchNorm, bool decoderOnly = false);

// The arithmetic of a training step. MixedBfloat16 runs the network's forward pass under LibTorch's autocast in
// bfloat16 (its convolutions in bfloat16, and so their backward passes), while the weights, the loss and Adam stay
// float32: about twice the convolution rate where the hardware computes bfloat16 natively (AVX512-BF16 CPUs, and
// GPUs), for gradients rounded to bfloat16's 8-bit mantissa. The caller checks the hardware (trainer.cpp).
enum class StepArithmetic { Float32, MixedBfloat16 };

// One optimiser step on a batch; returns the loss before the step.
double trainStep(SegmentationNetworkImpl& network, torch::optim::Optimizer& optimizer, const torch::Tensor& images,
                 const torch::Tensor& masks, const torch::Tensor& weights, const LossSettings& loss,
                 StepArithmetic arithmetic = StepArithmetic::Float32);

// Multiplies the learning rate by `factor` when the validation loss has not improved for `patience` epochs, never
// below minimum; counts epochs without improvement for early stopping.
struct PlateauSchedule {
  double factor = 0.7;
  int patience = 4;  // the paper's; the reference code used 5
  double minimum = 9e-8;
  double best = std::numeric_limits<double>::infinity();
  int epochsWithoutImprovement = 0;
  int epochsSinceReduction = 0;

  // Returns the learning rate to use from now on.
  double update(double validationLoss, double learningRate);
  nlohmann::json toJson() const;
  void fromJson(const nlohmann::json& json);
};

// The learning rate of step `step` (0-based, counted over the whole run) of `totalSteps` under a cosine decay from
// `initial` towards 0 (Loshchilov and Hutter's SGDR without restarts). A fine-tune on a few slides swings between
// neighbouring epochs at a constant rate; decaying it lets the last epochs settle.
double cosineLearningRate(double initial, long long step, long long totalSteps);

double learningRateOf(const torch::optim::Optimizer& optimizer);
void setLearningRate(torch::optim::Optimizer& optimizer, double learningRate);

}  // namespace fluocount
