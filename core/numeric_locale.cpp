#include "core/numeric_locale.h"

#include <charconv>
#include <clocale>

namespace fluocount {

void useClassicNumberFormat() { std::setlocale(LC_NUMERIC, "C"); }

std::string fixedDecimal(double value, int decimals) {
  char buffer[400];  // the longest double in fixed notation has 309 integer digits
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, decimals);
  if (error != std::errc()) return "nan";
  return std::string(buffer, end);
}

}  // namespace fluocount
