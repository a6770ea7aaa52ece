#pragma once
// The FluoCount model file (.fcmodel): a small self-describing container that holds the architecture, weights,
// normalisation, canonical cell diameter, threshold, post-processing and provenance. It is plain data: loading
// parses a JSON header and copies raw little-endian tensors after checking every name, dtype and shape against
// the architecture it names, so nothing in a model file is ever executed (unlike pickles or TorchScript).
//
// Layout: "FLUOCOUNT MODEL\n" | u32 version | u64 header size | JSON header | tensor bytes | u32 CRC-32 of all before.
#include "core/model_info.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <stdexcept>
#include <string>

namespace fluocount {

class ModelFileError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

class SegmentationNetworkImpl;  // core/networks.h; kept out of this header to keep LibTorch out of most files

struct Model {
  std::shared_ptr<SegmentationNetworkImpl> network;
  ModelInfo info;
  std::string sha256;  // of the file's bytes as read (loadModel, parseModel): what `sha256sum` prints for the file
};

// Serialises the network's parameters and buffers with the info, written atomically.
void saveModel(const std::string& path, SegmentationNetworkImpl& network, const ModelInfo& info);
std::string serialiseModel(SegmentationNetworkImpl& network, const ModelInfo& info);

// Throws ModelFileError naming the file and what is wrong (truncated, corrupt, mismatched, not a model file).
Model loadModel(const std::string& path);
Model parseModel(const std::string& bytes, const std::string& nameForErrors);
// The info alone, without building the network (model version lists). The file's checksum is still verified; with
// `sha256`, the file's SHA-256 is set too.
ModelInfo readModelInfo(const std::string& path, std::string* sha256 = nullptr);

struct NamedTensor;
class TensorContainer;
// The network's parameters and BatchNorm buffers by dotted module path (what a model file stores).
std::vector<NamedTensor> networkState(SegmentationNetworkImpl& network);
// Copies `prefix` + each state name from the container into the network; throws ContainerError when one is
// missing or mismatched.
void loadNetworkState(SegmentationNetworkImpl& network, const TensorContainer& container, const std::string& prefix);

// A freshly initialised network with default info (for benchmarks, and as the start of training from scratch).
Model untrainedModel(Architecture architecture, std::optional<std::uint64_t> seed = std::nullopt);

}  // namespace fluocount
