#include "core/utf8.h"

namespace fluocount {

namespace {

struct Decoded {
  char32_t code = 0;
  int length = 0;  // 0: the byte does not start a valid sequence
};

// The valid UTF-8 sequence that starts at `i`, if one does.
Decoded decodeAt(const std::string& utf8, std::size_t i) {
  const unsigned char c = utf8[i];
  const int length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  char32_t code = length == 1 ? c : length == 2 ? c & 0x1F : length == 3 ? c & 0x0F : c & 0x07;
  bool valid = length > 0 && i + length <= utf8.size();
  for (int k = 1; valid && k < length; ++k) {
    const unsigned char next = utf8[i + k];
    valid = (next & 0xC0) == 0x80;
    code = code << 6 | (next & 0x3F);
  }
  const char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  valid = valid && code >= smallest[length] && code <= 0x10FFFF && !(code >= 0xD800 && code <= 0xDFFF);
  return valid ? Decoded{code, length} : Decoded{};
}

}  // namespace

std::u32string codePointsOf(const std::string& utf8) {
  std::u32string out;
  for (std::size_t i = 0; i < utf8.size();) {
    const Decoded decoded = decodeAt(utf8, i);
    out += decoded.length ? decoded.code : U'\uFFFD';
    i += decoded.length ? decoded.length : 1;
  }
  return out;
}

std::string utf8WithEscapedBytes(const std::string& text) {
  static const char hex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const int length = decodeAt(text, i).length;
    if (length) {
      out.append(text, i, std::size_t(length));
      i += length;
      continue;
    }
    const unsigned char byte = text[i++];
    out += "\\x";
    out += hex[byte >> 4];
    out += hex[byte & 0xF];
  }
  return out;
}

std::string utf8Of(const std::u32string& codePoints) {
  std::string out;
  for (const char32_t code : codePoints) {
    if (code < 0x80)
      out += char(code);
    else if (code < 0x800)
      out += char(0xC0 | code >> 6), out += char(0x80 | (code & 0x3F));
    else if (code < 0x10000)
      out += char(0xE0 | code >> 12), out += char(0x80 | (code >> 6 & 0x3F)), out += char(0x80 | (code & 0x3F));
    else
      out += char(0xF0 | code >> 18), out += char(0x80 | (code >> 12 & 0x3F)), out += char(0x80 | (code >> 6 & 0x3F)),
          out += char(0x80 | (code & 0x3F));
  }
  return out;
}

std::string validUtf8(const std::string& text) { return utf8Of(codePointsOf(text)); }

bool isUtf8(const std::string& text) { return validUtf8(text) == text; }

}  // namespace fluocount
