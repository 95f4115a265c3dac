// Compare results as text: samples (side by side when there is room) and the metrics table.
// Returns strings; the caller decides where they go.
#pragma once
#include <string>
#include <string_view>

#include "charrnn/compare/compare.h"
#include "charrnn/util/display_bytes.h"

namespace charrnn {

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
