#pragma once
// Numbers in FluoCount's files (count tables, objects, evaluations, JSON, model provenance) never depend on the
// user's locale. The tables' numbers are formatted with std::to_chars (fixedDecimal), which no locale affects.
// Qt's application objects also set every C locale category from the environment on Unix, which would change what
// snprintf and strtod do for any code still using them (a German or French user's "0,85" would split a CSV column
// in two): both programs call useClassicNumberFormat right after creating their application object. The GUI still
// shows numbers the user's way through QLocale, which depends on neither.
#include <string>

namespace fluocount {

void useClassicNumberFormat();

// value with exactly `decimals` digits after a '.', whatever the locale: fixedDecimal(0.85, 4) == "0.8500".
std::string fixedDecimal(double value, int decimals);

// A measured raw value (a cell's mean in a channel): two decimals, more below 10 so that at least four significant
// digits show (a 32-bit float image's values are often fractions of 1: 0.01234, not 0.01).
std::string measuredValue(double value);

}  // namespace fluocount
