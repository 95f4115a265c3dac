// JSON writer: the one way charrnn turns JSON into text (--json outputs, metrics.jsonl,
// config.json, checkpoint headers, compare reports).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace charrnn {

// j as text; -1 = one line, else pretty-printed with `indent` spaces. Strings are bytes that are
// not always UTF-8 (paths, generated text): invalid UTF-8 becomes U+FFFD instead of throwing.
std::string dump_json(const nlohmann::json& j, int indent = -1);

}  // namespace charrnn
