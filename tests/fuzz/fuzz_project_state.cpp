// libFuzzer target: the project-state parser (<folder>/.fluocount/project.json). Any bytes parse or are refused
// with a reason; a parsed state must serialise and parse again to the same settings.
#include "ui/model/project_state.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  QString problem;
  const auto state =
      fluocount::ui::parseProjectState(QByteArray(reinterpret_cast<const char*>(data), int(size)), &problem);
  if (!state) {
    if (problem.isEmpty()) __builtin_trap();
    return 0;
  }
  const auto again = fluocount::ui::parseProjectState(fluocount::ui::serialiseProjectState(*state), &problem);
  if (!again || again->settings != state->settings || again->slides.size() != state->slides.size()) __builtin_trap();
  return 0;
}
