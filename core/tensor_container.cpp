#include "core/tensor_container.h"

#include "core/atomic_file.h"
#include "core/torch_include.h"

#include <array>
#include <cstring>

namespace fluocount {
namespace {

constexpr std::size_t kMagicSize = 16;
constexpr std::uint32_t kFormatVersion = 1;
constexpr std::size_t kFixedHeaderSize = kMagicSize + 4 + 8;

template <typename T>
void appendLittleEndian(std::string& out, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

template <typename T>
T readLittleEndian(const std::string& bytes, std::size_t offset) {
  T value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i)
    value |= static_cast<T>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  return value;
}

std::string dtypeName(torch::ScalarType type) {
  if (type == torch::kFloat32) return "float32";
  if (type == torch::kInt64) return "int64";
  throw ContainerError(std::string("tensors must be float32 or int64, not ") + c10::toString(type));
}

torch::ScalarType dtypeFromName(const std::string& name) {
  if (name == "float32") return torch::kFloat32;
  if (name == "int64") return torch::kInt64;
  throw ContainerError("unknown tensor type '" + name + "'");
}

}  // namespace

std::string writeTensorContainer(const std::string& magic, nlohmann::json header,
                                 const std::vector<NamedTensor>& tensors) {
  if (magic.size() != kMagicSize) throw std::logic_error("container magic must be 16 bytes");
  nlohmann::json list = nlohmann::json::array();
  std::string payload;
  for (const auto& [name, value] : tensors) {
    const auto tensor = value.detach().to(torch::kCPU).contiguous();
    const auto bytes = static_cast<std::size_t>(tensor.numel()) * tensor.element_size();
    list.push_back({{"name", name},
                    {"dtype", dtypeName(tensor.scalar_type())},
                    {"shape", tensor.sizes().vec()},
                    {"offset", payload.size()},
                    {"bytes", bytes}});
    // LibTorch stores tensors in the host's byte order; FluoCount targets little-endian hosts (x86-64, arm64).
    payload.append(static_cast<const char*>(tensor.data_ptr()), bytes);
  }
  header["tensors"] = list;
  const std::string headerText = header.dump();
  std::string out = magic;
  appendLittleEndian<std::uint32_t>(out, kFormatVersion);
  appendLittleEndian<std::uint64_t>(out, headerText.size());
  out += headerText;
  out += payload;
  appendLittleEndian<std::uint32_t>(out, crc32(out.data(), out.size()));
  return out;
}

TensorContainer::TensorContainer(std::string bytes, const std::string& magic, const std::string& kind)
    : bytes_(std::move(bytes)) {
  if (bytes_.size() < kFixedHeaderSize + 4 || bytes_.compare(0, kMagicSize, magic) != 0)
    throw ContainerError("not a FluoCount " + kind + " file");
  const auto version = readLittleEndian<std::uint32_t>(bytes_, kMagicSize);
  if (version != kFormatVersion)
    throw ContainerError(kind + " format version " + std::to_string(version) + " is not supported (expected " +
                         std::to_string(kFormatVersion) + ")");
  const auto headerSize = readLittleEndian<std::uint64_t>(bytes_, kMagicSize + 4);
  if (headerSize > bytes_.size() - kFixedHeaderSize - 4)
    throw ContainerError("file is truncated (header runs past the end)");
  const std::size_t checksumOffset = bytes_.size() - 4;
  if (crc32(bytes_.data(), checksumOffset) != readLittleEndian<std::uint32_t>(bytes_, checksumOffset))
    throw ContainerError("checksum mismatch: the file is truncated or corrupt");
  try {
    header_ = nlohmann::json::parse(bytes_.begin() + kFixedHeaderSize, bytes_.begin() + kFixedHeaderSize + headerSize);
  } catch (const nlohmann::json::exception& e) {
    throw ContainerError(std::string("unreadable header: ") + e.what());
  }
  if (!header_.is_object() || !header_.contains("tensors") || !header_.at("tensors").is_array())
    throw ContainerError("header lacks its list of tensors");
  for (const auto& entry : header_.at("tensors")) {
    if (!entry.is_object() || !entry.contains("name") || !entry.at("name").is_string())
      throw ContainerError("tensor entry without a name");
    entries_[entry.at("name").get<std::string>()] = entry;
  }
  payloadOffset_ = kFixedHeaderSize + headerSize;
  payloadSize_ = checksumOffset - payloadOffset_;
}

std::vector<std::string> TensorContainer::names() const {
  std::vector<std::string> names;
  for (const auto& [name, entry] : entries_) names.push_back(name);
  return names;
}

void TensorContainer::copyInto(const std::string& name, torch::Tensor& destination) const {
  const auto found = entries_.find(name);
  if (found == entries_.end()) throw ContainerError("tensor '" + name + "' is missing");
  const auto& entry = found->second;
  try {
    const auto dtype = entry.at("dtype").get<std::string>();
    const auto shape = entry.at("shape").get<std::vector<std::int64_t>>();
    const auto offset = entry.at("offset").get<std::uint64_t>();
    const auto size = entry.at("bytes").get<std::uint64_t>();
    if (dtype != dtypeName(destination.scalar_type()) || shape != destination.sizes().vec())
      throw ContainerError("tensor '" + name + "' has dtype " + dtype + " and shape " + nlohmann::json(shape).dump() +
                           ", expected " + dtypeName(destination.scalar_type()) + " " +
                           nlohmann::json(destination.sizes().vec()).dump());
    const auto expectedSize = static_cast<std::uint64_t>(destination.numel()) * destination.element_size();
    if (size != expectedSize || offset > payloadSize_ || size > payloadSize_ - offset)
      throw ContainerError("tensor '" + name + "' has an inconsistent size or offset");
    torch::NoGradGuard noGrad;
    // The payload is in the standard (row-major) layout; a destination in another one (channels-last weights
    // being trained) is filled through a row-major copy.
    auto cpu = destination.is_cpu() && destination.is_contiguous()
                   ? destination
                   : torch::empty(destination.sizes(), destination.options().device(torch::kCPU));
    std::memcpy(cpu.data_ptr(), bytes_.data() + payloadOffset_ + offset, size);
    if (cpu.is_floating_point() && !torch::isfinite(cpu).all().item<bool>())
      throw ContainerError("tensor '" + name + "' holds NaN or infinite values");
    if (!cpu.is_same(destination)) destination.copy_(cpu);
  } catch (const nlohmann::json::exception& e) {
    throw ContainerError("tensor '" + name + "' has a malformed entry: " + e.what());
  }
}

torch::Tensor TensorContainer::read(const std::string& name) const {
  const auto found = entries_.find(name);
  if (found == entries_.end()) throw ContainerError("tensor '" + name + "' is missing");
  try {
    auto tensor =
        torch::empty(found->second.at("shape").get<std::vector<std::int64_t>>(),
                     torch::TensorOptions().dtype(dtypeFromName(found->second.at("dtype").get<std::string>())));
    copyInto(name, tensor);
    return tensor;
  } catch (const nlohmann::json::exception& e) {
    throw ContainerError("tensor '" + name + "' has a malformed entry: " + e.what());
  } catch (const c10::Error& e) {
    throw ContainerError("tensor '" + name + "' has an impossible shape");
  }
}

}  // namespace fluocount
