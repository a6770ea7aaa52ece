#pragma once
// The file container behind model files and training checkpoints: a fixed magic, a JSON header that lists named
// raw tensors, the tensors' bytes, and a CRC-32 over everything. Reading copies bytes into tensors of the expected
// names, types and shapes; nothing in a file is executed.
//
// Layout: magic (16 bytes) | u32 version | u64 header size | JSON header | tensor bytes | u32 CRC-32 of all before.
#include "core/torch_tensor_include.h"

#include <nlohmann/json.hpp>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace fluocount {

class ContainerError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct NamedTensor {
  std::string name;
  at::Tensor tensor;  // float32 or int64
};

// `header` is stored as given plus a "tensors" list. `magic` must be 16 characters.
std::string writeTensorContainer(const std::string& magic, nlohmann::json header,
                                 const std::vector<NamedTensor>& tensors);

class TensorContainer {
public:
  // Throws ContainerError ("not a ... file", "truncated", "checksum mismatch", "unreadable header").
  TensorContainer(std::string bytes, const std::string& magic, const std::string& kind);

  const nlohmann::json& header() const { return header_; }
  bool has(const std::string& name) const { return entries_.count(name) > 0; }
  std::vector<std::string> names() const;
  // Copies the named tensor into `destination`, whose dtype and shape it must have; throws ContainerError otherwise.
  void copyInto(const std::string& name, at::Tensor& destination) const;
  // A new tensor with the stored dtype and shape.
  at::Tensor read(const std::string& name) const;

private:
  std::string bytes_;
  nlohmann::json header_;
  std::map<std::string, nlohmann::json> entries_;
  std::size_t payloadOffset_ = 0, payloadSize_ = 0;
};

}  // namespace fluocount
