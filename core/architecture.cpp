#include "core/architecture.h"

#include <stdexcept>

namespace fluocount {

std::string architectureName(Architecture architecture) {
  switch (architecture) {
    case Architecture::CResUnet: return "c-resunet";
    case Architecture::ResUnet: return "resunet";
    case Architecture::Unet: return "unet";
    case Architecture::SmallUnet: return "small-unet";
  }
  throw std::logic_error("unknown architecture");
}

std::optional<Architecture> architectureFromName(const std::string& name) {
  for (auto a : allArchitectures())
    if (architectureName(a) == name) return a;
  return std::nullopt;
}

std::vector<Architecture> allArchitectures() {
  return {Architecture::CResUnet, Architecture::ResUnet, Architecture::Unet, Architecture::SmallUnet};
}

}  // namespace fluocount
