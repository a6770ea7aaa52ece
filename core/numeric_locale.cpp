#include "core/numeric_locale.h"

#include <algorithm>
#include <charconv>
#include <clocale>
#include <cmath>

namespace fluocount {

void useClassicNumberFormat() { std::setlocale(LC_NUMERIC, "C"); }

std::string fixedDecimal(double value, int decimals) {
  char buffer[400];  // the longest double in fixed notation has 309 integer digits
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, decimals);
  if (error != std::errc()) return "nan";
  return std::string(buffer, end);
}

std::string measuredValue(double value) {
  const double magnitude = std::abs(value);
  const int decimals =
      std::isfinite(magnitude) && magnitude > 0 ? std::clamp(3 - int(std::floor(std::log10(magnitude))), 2, 12) : 2;
  return fixedDecimal(value, decimals);
}

}  // namespace fluocount
