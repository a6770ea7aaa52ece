#pragma once
// Text that must be UTF-8 (JSON, ImageJ's UTF-16 names) made from bytes that may not be: names from zip entries and
// ROI headers, and file names on a share that stores them in another encoding (Latin-1 "Schnitt_\xe4.png").
#include <string>

namespace fluocount {

// The code points of UTF-8 text; each byte that does not start a valid sequence (overlong, a surrogate, beyond
// U+10FFFF, cut short) is one U+FFFD.
std::u32string codePointsOf(const std::string& utf8);
std::string utf8Of(const std::u32string& codePoints);
// The text with every such byte replaced by U+FFFD; valid UTF-8 comes back unchanged.
std::string validUtf8(const std::string& text);
bool isUtf8(const std::string& text);
// The text with every such byte written as \x and two hex digits (Python's "backslashreplace": Latin-1
// "Schnitt_\xe4.png" comes out as the ASCII text `Schnitt_\xe4.png`), so that a table naming such a file is
// still UTF-8, as spreadsheets and CSV readers expect, and two such names stay apart (U+FFFD would merge them).
// Valid UTF-8 comes back unchanged.
std::string utf8WithEscapedBytes(const std::string& text);

}  // namespace fluocount
