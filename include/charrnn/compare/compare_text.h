// Compare results as text: samples (side by side when there is room) and the metrics table.
// Returns strings; the caller decides where they go.
#pragma once
#include <string>
#include <string_view>

#include "charrnn/compare/compare.h"

namespace charrnn {

// Bytes made safe for a terminal or a Markdown code block: printable ASCII and well-formed UTF-8
// characters (other than the C1 controls U+0080..U+009F) as is; '\n' as a line break when
// keep_newlines (else "\n"); tab, CR as "\t", "\r"; every other byte (control characters,
// ESC, stray or malformed UTF-8 bytes) as "\xNN". Never emits a control character but '\n'.
std::string display_bytes(std::string_view bytes, bool keep_newlines);

// Length in bytes of the well-formed, displayable UTF-8 character starting at s[0] (2..4), or 0.
size_t utf8_char_length(std::string_view s);

// Minimum column width for side-by-side samples; narrower terminals get one sample after another.
inline constexpr int kMinSampleColumn = 24;

// The samples under a header per temperature ("T = 0.5 (seed 7)"): in columns when
// `width` fits every temperature at kMinSampleColumn or more, else one after another.
// With several samples per temperature, sample i of every temperature forms block i.
std::string render_samples(const CompareResult& result, int width);

// One row per temperature: T, then every metric_columns() entry ("-" where a value is absent;
// the corpus columns only when result.has_corpus). markdown = a GitHub table, else aligned text
// with a legend line of units.
std::string render_table(const CompareResult& result, bool markdown);

}  // namespace charrnn
