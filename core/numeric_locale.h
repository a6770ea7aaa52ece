#pragma once
// Numbers in FluoCount's files (count tables, objects, evaluations, JSON, model provenance) are written with
// snprintf and read with strtod, which follow the C library's LC_NUMERIC. Qt's application objects set every locale
// category from the environment on Unix, so a German or French user's "0,85" would split a CSV column in two.
// Both programs call this right after creating their application object; the GUI still shows numbers the user's
// way through QLocale, which does not depend on it.
namespace fluocount {

void useClassicNumberFormat();

}  // namespace fluocount
