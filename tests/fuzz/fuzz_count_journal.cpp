// libFuzzer target: a count journal entry (count --resume reads them back from the out folder). Any bytes give an
// entry or a JournalError; an entry that parses is written and read back to the same entry.
#include "core/count_journal.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const fluocount::JournalEntry entry = fluocount::parseJournalEntry(text);
    const std::string written = fluocount::journalEntryJson(entry);
    if (fluocount::journalEntryJson(fluocount::parseJournalEntry(written)) != written) __builtin_trap();
  } catch (const fluocount::JournalError&) {}
  return 0;
}
