// Compare results as data: one JSON object (everything) and a CSV table (the means).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "charrnn/compare/compare.h"
#include "charrnn/util/json_writer.h"  // dump_json

namespace charrnn {

// {"config": {...}, "has_corpus": b, "temperatures": [{"temperature": T, "summary": {metric:
// value|null}, "samples": [{"seed", "text", "log_likelihood", "entropy", "bytes", "words",
// "distinct_2".., "longest_repeat": {...}, "in_corpus_words", "longest_copy": {...},
// "window_share"}]}]}. Absent values are null. Sample text is raw bytes: dump with
// nlohmann::json::error_handler_t::replace (dump_json) so invalid UTF-8 becomes U+FFFD.
nlohmann::json to_json(const CompareResult& result);

// Header "temperature,samples,<metric keys...>", one row per temperature; absent = empty cell.
// Corpus metrics are columns even without a corpus (then empty), so files always line up.
std::string to_csv(const CompareResult& result);

}  // namespace charrnn
