#include "core/checkpoint.h"

#include "core/atomic_file.h"
#include "core/model_file.h"
#include "core/network_state.h"
#include "core/torch_include.h"

#include <charconv>
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
  if (c.averaged) prefixed(tensors, "averaged.", *c.averaged);
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

namespace {

// A parameter's index in the optimizer state, as written by saveCheckpoint ("0", "1", ...).
std::size_t parameterIndex(const std::string& text, std::size_t parameters) {
  std::size_t index = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, index);
  if (error != std::errc() || stop != end)
    throw ContainerError("optimizer state index '" + text + "' is not a parameter index");
  if (index >= parameters) throw ContainerError("optimizer state for a parameter the network lacks");
  return index;
}

struct StagedAdamState {
  std::size_t parameter = 0;
  std::int64_t step = 0;
  torch::Tensor expAvg, expAvgSq;
};

}  // namespace

// Everything is read and checked into temporaries first; the network, the best weights and the optimizer change
// only once all of it is valid, so a damaged checkpoint leaves them as they were.
nlohmann::json loadCheckpoint(const std::string& path, const CheckpointContents& c) {
  try {
    const TensorContainer container(readWholeFile(path, std::size_t(4) << 30), kCheckpointMagic, "checkpoint");
    const auto& header = container.header();
    if (header.value("architecture", "") != architectureName(c.network->architecture()))
      throw ContainerError("checkpoint is for " + header.value("architecture", std::string("?")) + ", not " +
                           architectureName(c.network->architecture()));
    const std::vector<torch::Tensor> network = stageNetworkState(*c.network, container, "network.");
    const std::vector<torch::Tensor> best = stageNetworkState(*c.best, container, "best.");
    std::vector<torch::Tensor> averaged;
    if (c.averaged) averaged = stageNetworkState(*c.averaged, container, "averaged.");
    const auto parameters = parametersOf(*c.optimizer);
    std::vector<StagedAdamState> adam;
    for (const auto& [index, step] : header.at("adam_steps").items()) {
      StagedAdamState staged{parameterIndex(index, parameters.size()), step.get<std::int64_t>(), {}, {}};
      staged.expAvg = torch::empty_like(parameters[staged.parameter]);
      staged.expAvgSq = torch::empty_like(parameters[staged.parameter]);
      container.copyInto("adam." + index + ".exp_avg", staged.expAvg);
      container.copyInto("adam." + index + ".exp_avg_sq", staged.expAvgSq);
      adam.push_back(std::move(staged));
    }
    const double learningRate = header.at("learning_rate").get<double>();
    nlohmann::json state = header.at("state");

    commitNetworkState(*c.network, network);
    commitNetworkState(*c.best, best);
    if (c.averaged) commitNetworkState(*c.averaged, averaged);
    c.optimizer->state().clear();
    for (StagedAdamState& staged : adam) {
      auto moments = std::make_unique<torch::optim::AdamParamState>();
      moments->step(staged.step);
      moments->exp_avg(staged.expAvg);
      moments->exp_avg_sq(staged.expAvgSq);
      c.optimizer->state()[stateKey(parameters[staged.parameter])] = std::move(moments);
    }
    for (auto& group : c.optimizer->param_groups()) group.options().set_lr(learningRate);
    return state;
  } catch (const ContainerError& e) {
    throw CheckpointError(path + ": " + e.what());
  } catch (const nlohmann::json::exception& e) {
    throw CheckpointError(path + ": malformed checkpoint header: " + e.what());
  } catch (const std::exception& e) {  // LibTorch and the standard library: still this loader's error, naming the file
    throw CheckpointError(path + ": cannot read checkpoint: " + e.what());
  }
}

nlohmann::json readCheckpointState(const std::string& path) {
  try {
    const TensorContainer container(readWholeFile(path, std::size_t(4) << 30), kCheckpointMagic, "checkpoint");
    return container.header().at("state");
  } catch (const ContainerError& e) {
    throw CheckpointError(path + ": " + e.what());
  } catch (const nlohmann::json::exception& e) {
    throw CheckpointError(path + ": malformed checkpoint header: " + e.what());
  } catch (const std::exception& e) {
    throw CheckpointError(path + ": cannot read checkpoint: " + e.what());
  }
}

}  // namespace fluocount
