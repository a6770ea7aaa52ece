#pragma once
// SHA-256 (FIPS 180-4), so that a count table names the exact model file that counted it: the same digest as
// `sha256sum model.fcmodel` prints, which anyone can check without FluoCount.
#include <string>
#include <string_view>

namespace fluocount {

// The 64 lowercase hex digits of the SHA-256 of `bytes`.
std::string sha256Hex(std::string_view bytes);

}  // namespace fluocount
