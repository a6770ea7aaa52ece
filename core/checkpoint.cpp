#include "core/checkpoint.h"

#include "core/atomic_file.h"
#include "core/model_file.h"

#include <sstream>
#include <type_traits>
#include <utility>

namespace fluocount {
namespace {

const std::string kCheckpointMagic = "FLUOCOUNT CKPT\n\n";

// LibTorch keys an optimizer's per-parameter state by the parameter's TensorImpl: its address printed as text
// up to 2.x, the address itself in later versions.
using OptimizerStateKey = std::decay_t<decltype(std::declval<torch::optim::Optimizer&>().state())>::key_type;

template <typename Key>
Key keyOf(c10::TensorImpl* implementation) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream key;
    key << implementation;
    return key.str();
  } else {
    return static_cast<Key>(implementation);
  }
}

OptimizerStateKey stateKey(const torch::Tensor& parameter) {
  return keyOf<OptimizerStateKey>(parameter.unsafeGetTensorImpl());
}

std::vector<torch::Tensor> parametersOf(torch::optim::Adam& optimizer) {
  std::vector<torch::Tensor> parameters;
  for (auto& group : optimizer.param_groups())
    for (auto& p : group.params()) parameters.push_back(p);
  return parameters;
}

void prefixed(std::vector<NamedTensor>& out, const std::string& prefix, SegmentationNetworkImpl& network) {
  for (auto& [name, tensor] : networkState(network)) out.push_back({prefix + name, tensor});
}

}  // namespace

void saveCheckpoint(const std::string& path, const CheckpointContents& c) {
  std::vector<NamedTensor> tensors;
  prefixed(tensors, "network.", *c.network);
  prefixed(tensors, "best.", *c.best);
  nlohmann::json steps = nlohmann::json::object();
  const auto parameters = parametersOf(*c.optimizer);
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    const auto found = c.optimizer->state().find(stateKey(parameters[i]));
    if (found == c.optimizer->state().end()) continue;
    const auto& adam = static_cast<const torch::optim::AdamParamState&>(*found->second);
    const std::string prefix = "adam." + std::to_string(i) + ".";
    tensors.push_back({prefix + "exp_avg", adam.exp_avg()});
    tensors.push_back({prefix + "exp_avg_sq", adam.exp_avg_sq()});
    steps[std::to_string(i)] = adam.step();
  }
  nlohmann::json header = {{"architecture", architectureName(c.network->architecture())},
                           {"learning_rate", c.optimizer->param_groups().front().options().get_lr()},
                           {"adam_steps", steps},
                           {"state", c.state}};
  writeFileAtomically(path, writeTensorContainer(kCheckpointMagic, header, tensors));
}

nlohmann::json loadCheckpoint(const std::string& path, const CheckpointContents& c) {
  try {
    const TensorContainer container(readWholeFile(path, std::size_t(4) << 30), kCheckpointMagic, "checkpoint");
    const auto& header = container.header();
    if (header.value("architecture", "") != architectureName(c.network->architecture()))
      throw ContainerError("checkpoint is for " + header.value("architecture", std::string("?")) + ", not " +
                           architectureName(c.network->architecture()));
    loadNetworkState(*c.network, container, "network.");
    loadNetworkState(*c.best, container, "best.");
    const auto parameters = parametersOf(*c.optimizer);
    c.optimizer->state().clear();
    for (const auto& [index, step] : header.at("adam_steps").items()) {
      const std::size_t i = std::stoul(index);
      if (i >= parameters.size()) throw ContainerError("optimizer state for a parameter the network lacks");
      auto adam = std::make_unique<torch::optim::AdamParamState>();
      adam->step(step.get<std::int64_t>());
      auto expAvg = torch::empty_like(parameters[i]);
      auto expAvgSq = torch::empty_like(parameters[i]);
      container.copyInto("adam." + index + ".exp_avg", expAvg);
      container.copyInto("adam." + index + ".exp_avg_sq", expAvgSq);
      adam->exp_avg(expAvg);
      adam->exp_avg_sq(expAvgSq);
      c.optimizer->state()[stateKey(parameters[i])] = std::move(adam);
    }
    for (auto& group : c.optimizer->param_groups()) group.options().set_lr(header.at("learning_rate").get<double>());
    return header.at("state");
  } catch (const ContainerError& e) {
    throw CheckpointError(path + ": " + e.what());
  } catch (const nlohmann::json::exception& e) {
    throw CheckpointError(path + ": malformed checkpoint header: " + e.what());
  } catch (const std::runtime_error& e) {
    throw CheckpointError(std::string("cannot read checkpoint: ") + e.what());
  }
}

}  // namespace fluocount
