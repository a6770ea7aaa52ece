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

}  // namespace fluocount
