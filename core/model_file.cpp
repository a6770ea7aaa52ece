#include "core/model_file.h"

#include "core/atomic_file.h"
#include "core/networks.h"

#include <array>
#include <cmath>
#include <cstring>
#include <map>

namespace fluocount {
namespace {

constexpr char kMagic[] = "FLUOCOUNT MODEL\n";
constexpr std::size_t kMagicSize = 16;
constexpr std::uint32_t kFormatVersion = 1;
constexpr std::size_t kMaxModelBytes = std::size_t(2) << 30;
constexpr std::size_t kFixedHeaderSize = kMagicSize + 4 + 8;

std::uint32_t crc32(const char* data, std::size_t size) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t crc = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < size; ++i) crc = table[(crc ^ static_cast<unsigned char>(data[i])) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

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

// Parameters and buffers (BatchNorm running statistics) by their dotted module path.
std::vector<std::pair<std::string, torch::Tensor>> namedState(SegmentationNetworkImpl& network) {
  std::vector<std::pair<std::string, torch::Tensor>> state;
  for (const auto& item : network.named_parameters(true)) state.emplace_back(item.key(), item.value());
  for (const auto& item : network.named_buffers(true)) state.emplace_back(item.key(), item.value());
  return state;
}

std::string dtypeName(torch::ScalarType type) {
  if (type == torch::kFloat32) return "float32";
  if (type == torch::kInt64) return "int64";
  throw ModelFileError(std::string("model tensors must be float32 or int64, not ") + c10::toString(type));
}

}  // namespace

std::string serialiseModel(SegmentationNetworkImpl& network, const ModelInfo& info) {
  if (network.architecture() != info.architecture)
    throw ModelFileError("model info names " + architectureName(info.architecture) + " but the network is " +
                         architectureName(network.architecture()));
  nlohmann::json tensors = nlohmann::json::array();
  std::string payload;
  for (const auto& [name, value] : namedState(network)) {
    const auto tensor = value.detach().to(torch::kCPU).contiguous();
    const auto bytes = static_cast<std::size_t>(tensor.numel()) * tensor.element_size();
    tensors.push_back({{"name", name}, {"dtype", dtypeName(tensor.scalar_type())}, {"shape", tensor.sizes().vec()},
                       {"offset", payload.size()}, {"bytes", bytes}});
    // LibTorch stores tensors in the host's byte order; FluoCount targets little-endian hosts (x86-64, arm64).
    payload.append(static_cast<const char*>(tensor.data_ptr()), bytes);
  }
  const std::string header = nlohmann::json{{"model", toJson(info)}, {"tensors", tensors}}.dump();

  std::string out(kMagic, kMagicSize);
  appendLittleEndian<std::uint32_t>(out, kFormatVersion);
  appendLittleEndian<std::uint64_t>(out, header.size());
  out += header;
  out += payload;
  appendLittleEndian<std::uint32_t>(out, crc32(out.data(), out.size()));
  return out;
}

void saveModel(const std::string& path, SegmentationNetworkImpl& network, const ModelInfo& info) {
  writeFileAtomically(path, serialiseModel(network, info));
}

Model parseModel(const std::string& bytes, const std::string& name) {
  auto fail = [&](const std::string& what) { return ModelFileError(name + ": " + what); };
  if (bytes.size() < kFixedHeaderSize + 4 || bytes.compare(0, kMagicSize, kMagic, kMagicSize) != 0)
    throw fail("not a FluoCount model file");
  const auto version = readLittleEndian<std::uint32_t>(bytes, kMagicSize);
  if (version != kFormatVersion)
    throw fail("model format version " + std::to_string(version) + " is not supported (expected " +
               std::to_string(kFormatVersion) + ")");
  const auto headerSize = readLittleEndian<std::uint64_t>(bytes, kMagicSize + 4);
  if (headerSize > bytes.size() - kFixedHeaderSize - 4) throw fail("file is truncated (header runs past the end)");
  const std::size_t checksumOffset = bytes.size() - 4;
  if (crc32(bytes.data(), checksumOffset) != readLittleEndian<std::uint32_t>(bytes, checksumOffset))
    throw fail("checksum mismatch: the file is truncated or corrupt");

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.begin() + kFixedHeaderSize, bytes.begin() + kFixedHeaderSize + headerSize);
  } catch (const nlohmann::json::exception& e) {
    throw fail(std::string("unreadable header: ") + e.what());
  }

  Model model;
  try {
    if (!header.is_object() || !header.contains("model") || !header.contains("tensors") ||
        !header.at("tensors").is_array())
      throw std::runtime_error("header lacks 'model' or 'tensors'");
    model.info = modelInfoFromJson(header.at("model"));
  } catch (const std::exception& e) {
    throw fail(e.what());
  }
  model.network = makeNetwork(model.info.architecture);

  const std::size_t payloadOffset = kFixedHeaderSize + headerSize;
  const std::size_t payloadSize = checksumOffset - payloadOffset;
  std::map<std::string, nlohmann::json> entries;
  for (const auto& entry : header.at("tensors")) {
    if (!entry.is_object() || !entry.contains("name") || !entry.at("name").is_string())
      throw fail("tensor entry without a name");
    entries[entry.at("name").get<std::string>()] = entry;
  }

  torch::NoGradGuard noGrad;
  const auto state = namedState(*model.network);
  for (const auto& [tensorName, tensor] : state) {
    const auto found = entries.find(tensorName);
    if (found == entries.end())
      throw fail("tensor '" + tensorName + "' required by " + architectureName(model.info.architecture) + " is missing");
    const auto& entry = found->second;
    try {
      const auto dtype = entry.at("dtype").get<std::string>();
      const auto shape = entry.at("shape").get<std::vector<std::int64_t>>();
      const auto offset = entry.at("offset").get<std::uint64_t>();
      const auto size = entry.at("bytes").get<std::uint64_t>();
      if (dtype != dtypeName(tensor.scalar_type()) || shape != tensor.sizes().vec())
        throw std::runtime_error("has dtype " + dtype + " and shape " + nlohmann::json(shape).dump() +
                                 ", expected " + dtypeName(tensor.scalar_type()) + " " +
                                 nlohmann::json(tensor.sizes().vec()).dump());
      const auto expectedSize = static_cast<std::uint64_t>(tensor.numel()) * tensor.element_size();
      if (size != expectedSize || offset > payloadSize || size > payloadSize - offset)
        throw std::runtime_error("has an inconsistent size or offset");
      std::memcpy(tensor.data_ptr(), bytes.data() + payloadOffset + offset, size);
      if (tensor.is_floating_point() && !torch::isfinite(tensor).all().item<bool>())
        throw std::runtime_error("holds NaN or infinite values");
    } catch (const nlohmann::json::exception& e) {
      throw fail("tensor '" + tensorName + "' has a malformed entry: " + e.what());
    } catch (const std::runtime_error& e) {
      throw fail("tensor '" + tensorName + "' " + e.what());
    }
    entries.erase(found);
  }
  if (!entries.empty())
    throw fail("tensor '" + entries.begin()->first + "' is not part of " + architectureName(model.info.architecture));
  model.network->eval();
  return model;
}

Model untrainedModel(Architecture architecture, std::optional<std::uint64_t> seed) {
  if (seed) torch::manual_seed(*seed);
  Model model{makeNetwork(architecture), ModelInfo{}};
  model.info.architecture = architecture;
  model.network->eval();
  return model;
}

Model loadModel(const std::string& path) {
  std::string bytes;
  try {
    bytes = readWholeFile(path, kMaxModelBytes);
  } catch (const std::exception& e) {
    throw ModelFileError(std::string("cannot read model: ") + e.what());
  }
  return parseModel(bytes, path);
}

}  // namespace fluocount
