#include "core/training_step.h"

#include "core/torch_include.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <algorithm>
#include <cmath>

namespace fluocount {

torch::Tensor weightedBceLoss(const torch::Tensor& logits, const torch::Tensor& target, const torch::Tensor& weights,
                              const LossSettings& settings) {
  auto pixelWeights =
      target * (settings.cellClassWeight - settings.backgroundClassWeight) + settings.backgroundClassWeight;
  if (settings.useWeightMaps && weights.defined()) pixelWeights = pixelWeights * weights;
  return torch::binary_cross_entropy_with_logits(logits, target, pixelWeights, /*pos_weight=*/{}, at::Reduction::Mean);
}

void enterTrainingMode(SegmentationNetworkImpl& network, bool freezeBatchNorm, bool decoderOnly) {
  network.train();
  if (decoderOnly)
    for (const auto& child : network.named_children())
      if (!belongsToDecoder(child.key())) child.value()->eval();
  if (!freezeBatchNorm) return;
  for (const auto& module : network.modules(/*include_self=*/false))
    if (module->as<torch::nn::BatchNorm2dImpl>()) module->eval();
}

namespace {

// LibTorch 2.4 replaced the per-device autocast calls (set_cpu_enabled, get_autocast_gpu_dtype, ...) with calls
// that take the device type. Both are needed: Debian 12 has 1.13, a GPU machine today has pip's 2.x.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool autocastEnabled(at::DeviceType type) { return at::autocast::is_autocast_enabled(type); }
void setAutocastEnabled(at::DeviceType type, bool enabled) { at::autocast::set_autocast_enabled(type, enabled); }
at::ScalarType autocastType(at::DeviceType type) { return at::autocast::get_autocast_dtype(type); }
void setAutocastType(at::DeviceType type, at::ScalarType scalarType) {
  at::autocast::set_autocast_dtype(type, scalarType);
}
#else
bool autocastEnabled(at::DeviceType type) {
  return type == at::kCUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
}
void setAutocastEnabled(at::DeviceType type, bool enabled) {
  if (type == at::kCUDA)
    at::autocast::set_enabled(enabled);
  else
    at::autocast::set_cpu_enabled(enabled);
}
at::ScalarType autocastType(at::DeviceType type) {
  return type == at::kCUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
}
void setAutocastType(at::DeviceType type, at::ScalarType scalarType) {
  if (type == at::kCUDA)
    at::autocast::set_autocast_gpu_dtype(scalarType);
  else
    at::autocast::set_autocast_cpu_dtype(scalarType);
}
#endif

// LibTorch's autocast in bfloat16 on `device` for the guard's lifetime (this thread only); restores what it found.
class Bfloat16Autocast {
public:
  explicit Bfloat16Autocast(const torch::Device& device)
      : type_(device.is_cuda() ? at::kCUDA : at::kCPU), wasEnabled_(autocastEnabled(type_)),
        previousType_(autocastType(type_)) {
    setAutocastType(type_, at::kBFloat16);
    setAutocastEnabled(type_, true);
    at::autocast::increment_nesting();
  }
  ~Bfloat16Autocast() {
    // The weights' bfloat16 copies are cached for the scope; the next step's weights differ.
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    setAutocastEnabled(type_, wasEnabled_);
    setAutocastType(type_, previousType_);
  }
  Bfloat16Autocast(const Bfloat16Autocast&) = delete;
  Bfloat16Autocast& operator=(const Bfloat16Autocast&) = delete;

private:
  at::DeviceType type_;
  bool wasEnabled_;
  at::ScalarType previousType_;
};

torch::Tensor forwardIn(SegmentationNetworkImpl& network, const torch::Tensor& input, StepArithmetic arithmetic) {
  if (arithmetic == StepArithmetic::Float32) return network.forward(input);
  const Bfloat16Autocast autocast(input.device());
  return network.forward(input);
}

}  // namespace

double trainStep(SegmentationNetworkImpl& network, torch::optim::Optimizer& optimizer, const torch::Tensor& images,
                 const torch::Tensor& masks, const torch::Tensor& weights, const LossSettings& loss,
                 StepArithmetic arithmetic) {
  optimizer.zero_grad();
  const auto input = images.contiguous(trainingLayout(images.device()));
  // The loss in float32 whatever the forward pass ran in: its mean over a million pixels needs the mantissa.
  const auto logits = forwardIn(network, input, arithmetic).to(torch::kFloat);
  const auto value = weightedBceLoss(logits, masks, weights, loss);
  value.backward();
  optimizer.step();
  return value.item<double>();
}

double PlateauSchedule::update(double validationLoss, double learningRate) {
  // PyTorch's ReduceLROnPlateau default: an improvement must beat the best by a relative 1e-4.
  if (validationLoss < best * (1 - 1e-4)) {
    best = validationLoss;
    epochsWithoutImprovement = 0;
    epochsSinceReduction = 0;
    return learningRate;
  }
  ++epochsWithoutImprovement;
  if (++epochsSinceReduction > patience) {
    epochsSinceReduction = 0;
    return std::max(minimum, learningRate * factor);
  }
  return learningRate;
}

double cosineLearningRate(double initial, long long step, long long totalSteps) {
  if (totalSteps <= 0) return initial;
  const double progress = double(std::clamp(step, 0LL, totalSteps)) / double(totalSteps);
  return initial * 0.5 * (1.0 + std::cos(M_PI * progress));
}

nlohmann::json PlateauSchedule::toJson() const {
  return {{"factor", factor},
          {"patience", patience},
          {"minimum", minimum},
          {"best", std::isfinite(best) ? nlohmann::json(best) : nlohmann::json(nullptr)},
          {"epochs_without_improvement", epochsWithoutImprovement},
          {"epochs_since_reduction", epochsSinceReduction}};
}

void PlateauSchedule::fromJson(const nlohmann::json& json) {
  factor = json.at("factor").get<double>();
  patience = json.at("patience").get<int>();
  minimum = json.at("minimum").get<double>();
  best = json.at("best").is_null() ? std::numeric_limits<double>::infinity() : json.at("best").get<double>();
  epochsWithoutImprovement = json.at("epochs_without_improvement").get<int>();
  epochsSinceReduction = json.at("epochs_since_reduction").get<int>();
}

double learningRateOf(const torch::optim::Optimizer& optimizer) {
  return optimizer.param_groups().front().options().get_lr();
}

void setLearningRate(torch::optim::Optimizer& optimizer, double learningRate) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(learningRate);
}

}  // namespace fluocount
