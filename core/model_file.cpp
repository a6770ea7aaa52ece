#include "core/model_file.h"
#include "core/network_state.h"
#include "core/torch_include.h"

#include "core/atomic_file.h"
#include "core/networks.h"
#include "core/sha256.h"
#include "core/tensor_container.h"

#include <set>

namespace fluocount {
namespace {

const std::string kModelMagic = "FLUOCOUNT MODEL\n";
constexpr std::size_t kMaxModelBytes = std::size_t(2) << 30;

}  // namespace

std::vector<NamedTensor> networkState(SegmentationNetworkImpl& network) {
  std::vector<NamedTensor> state;
  for (const auto& item : network.named_parameters(true)) state.push_back({item.key(), item.value()});
  for (const auto& item : network.named_buffers(true)) state.push_back({item.key(), item.value()});
  return state;
}

std::vector<torch::Tensor> stageNetworkState(SegmentationNetworkImpl& network, const TensorContainer& container,
                                             const std::string& prefix) {
  std::vector<torch::Tensor> staged;
  for (const auto& [name, tensor] : networkState(network)) {
    if (!container.has(prefix + name))
      throw ContainerError("tensor '" + prefix + name + "' required by " + architectureName(network.architecture()) +
                           " is missing");
    torch::Tensor copy = torch::empty_like(tensor);
    container.copyInto(prefix + name, copy);
    staged.push_back(copy);
  }
  return staged;
}

void commitNetworkState(SegmentationNetworkImpl& network, const std::vector<torch::Tensor>& staged) {
  torch::NoGradGuard noGrad;
  auto live = networkState(network);
  for (std::size_t i = 0; i < live.size(); ++i) live[i].tensor.copy_(staged.at(i));
}

void loadNetworkState(SegmentationNetworkImpl& network, const TensorContainer& container, const std::string& prefix) {
  commitNetworkState(network, stageNetworkState(network, container, prefix));
}

std::string serialiseModel(SegmentationNetworkImpl& network, const ModelInfo& info) {
  if (network.architecture() != info.architecture)
    throw ModelFileError("model info names " + architectureName(info.architecture) + " but the network is " +
                         architectureName(network.architecture()));
  return writeTensorContainer(kModelMagic, {{"model", toJson(info)}}, networkState(network));
}

void saveModel(const std::string& path, SegmentationNetworkImpl& network, const ModelInfo& info) {
  writeFileAtomically(path, serialiseModel(network, info));
}

Model parseModel(const std::string& bytes, const std::string& name) {
  try {
    const TensorContainer container(bytes, kModelMagic, "model");
    if (!container.header().contains("model")) throw ContainerError("header lacks 'model'");
    Model model;
    try {
      model.info = modelInfoFromJson(container.header().at("model"));
    } catch (const std::runtime_error& e) {
      throw ContainerError(e.what());
    }
    model.network = makeNetwork(model.info.architecture);
    loadNetworkState(*model.network, container, "");
    const auto expected = networkState(*model.network).size();
    if (container.names().size() != expected) {
      std::set<std::string> known;
      for (const auto& [n, t] : networkState(*model.network)) known.insert(n);
      for (const auto& n : container.names())
        if (!known.count(n))
          throw ContainerError("tensor '" + n + "' is not part of " + architectureName(model.info.architecture));
    }
    model.network->eval();
    model.sha256 = sha256Hex(bytes);
    return model;
  } catch (const ContainerError& e) {
    throw ModelFileError(name + ": " + e.what());
  }
}

Model untrainedModel(Architecture architecture, std::optional<std::uint64_t> seed) {
  if (seed) torch::manual_seed(*seed);
  Model model{makeNetwork(architecture), ModelInfo{}, {}};
  model.info.architecture = architecture;
  model.network->eval();
  return model;
}

namespace {
std::string readModelBytes(const std::string& path) {
  try {
    return readWholeFile(path, kMaxModelBytes);
  } catch (const std::exception& e) {
    throw ModelFileError(std::string("cannot read model: ") + e.what());
  }
}
}  // namespace

Model loadModel(const std::string& path) { return parseModel(readModelBytes(path), path); }

ModelInfo readModelInfo(const std::string& path, std::string* sha256) {
  try {
    const std::string bytes = readModelBytes(path);
    const TensorContainer container(bytes, kModelMagic, "model");
    if (!container.header().contains("model")) throw ContainerError("header lacks 'model'");
    ModelInfo info = modelInfoFromJson(container.header().at("model"));
    if (sha256) *sha256 = sha256Hex(bytes);
    return info;
  } catch (const std::runtime_error& e) {
    if (dynamic_cast<const ModelFileError*>(&e)) throw;
    throw ModelFileError(path + ": " + e.what());
  }
}

}  // namespace fluocount
