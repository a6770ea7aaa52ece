#pragma once
// The four network architectures by name, without LibTorch's headers (see networks.h for the networks).
#include <optional>
#include <string>
#include <vector>

namespace fluocount {

enum class Architecture { CResUnet, ResUnet, Unet, SmallUnet };

std::string architectureName(Architecture architecture);  // "c-resunet", "resunet", "unet", "small-unet"
std::optional<Architecture> architectureFromName(const std::string& name);
std::vector<Architecture> allArchitectures();

}  // namespace fluocount
