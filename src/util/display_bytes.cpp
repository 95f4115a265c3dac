#include "charrnn/util/display_bytes.h"

#include <cstdint>
#include <cstdio>

namespace charrnn {

size_t utf8_char_length(std::string_view s) {
  if (s.empty()) return 0;
  const auto b0 = static_cast<unsigned char>(s[0]);
  const size_t n = b0 >= 0xC2 && b0 <= 0xDF   ? 2
                   : b0 >= 0xE0 && b0 <= 0xEF ? 3
                   : b0 >= 0xF0 && b0 <= 0xF4 ? 4
                                              : 0;
  if (n == 0 || s.size() < n) return 0;
  uint32_t cp = b0 & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  // Overlong forms, surrogates, beyond U+10FFFF, and the C1 controls are not shown as is.
  const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_cp[n] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF || cp <= 0x9F) return 0;
  return n;
}

std::string display_bytes(std::string_view bytes, bool keep_newlines) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size(); ++i) {
    const char ch = bytes[i];
    const auto c = static_cast<unsigned char>(ch);
    if (const size_t n = c >= 0x80 ? utf8_char_length(bytes.substr(i)) : 0; n > 0) {
      out.append(bytes.substr(i, n));
      i += n - 1;
    } else if (c >= 0x20 && c < 0x7f) {
      out.push_back(ch);
    } else if (c == '\n') {
      out += keep_newlines ? "\n" : "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(c));
      out += buf;
    }
  }
  return out;
}

}  // namespace charrnn
