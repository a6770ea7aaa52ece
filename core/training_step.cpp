#include "core/training_step.h"

#include "core/torch_include.h"

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

double trainStep(SegmentationNetworkImpl& network, torch::optim::Optimizer& optimizer, const torch::Tensor& images,
                 const torch::Tensor& masks, const torch::Tensor& weights, const LossSettings& loss) {
  optimizer.zero_grad();
  const auto input = images.contiguous(activationLayout(images.device()));
  const auto value = weightedBceLoss(network.forward(input), masks, weights, loss);
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
