// Bytes shown safely: in a terminal, a Markdown code block or a one-line error message.
// Torch-free (serve's request parser and its fuzz target use it).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace charrnn {

// Bytes made safe for a terminal or a Markdown code block: printable ASCII and well-formed UTF-8
// characters (other than the C1 controls U+0080..U+009F) as is; '\n' as a line break when
// keep_newlines (else "\n"); tab, CR as "\t", "\r"; every other byte (control characters,
// ESC, stray or malformed UTF-8 bytes) as "\xNN". Never emits a control character but '\n'.
std::string display_bytes(std::string_view bytes, bool keep_newlines);

// Length in bytes of the well-formed, displayable UTF-8 character starting at s[0] (2..4), or 0.
size_t utf8_char_length(std::string_view s);

}  // namespace charrnn
