#include "core/numeric_locale.h"

#include <clocale>

namespace fluocount {

void useClassicNumberFormat() { std::setlocale(LC_NUMERIC, "C"); }

}  // namespace fluocount
