// Compare report folder: report.md (samples, table, plots), metrics.json, metrics.csv, and one
// PNG per metric against temperature (gnuplot; skipped with a warning where it is missing).
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "charrnn/compare/compare.h"

namespace charrnn {

// Where the comparison came from, for the report's heading and metrics.json.
struct ReportSource {
  std::string model;  // checkpoint path
  std::string data;   // corpus path ("" = no corpus metrics)
};

struct ReportOutcome {
  std::vector<std::string> files;      // every file written, report.md first
  std::optional<std::string> warning;  // one line when plots were skipped or failed
};

// metrics.json holds to_json(result) plus "model" and "data"; plots are named after the metric
// keys (log_likelihood.png, entropy.png, distinct_n.png, ...). Creates `dir` if needed. Throws
// InputError when `dir` cannot be created or written.
ReportOutcome write_report(const CompareResult& result, const ReportSource& source,
                           const std::string& dir);

// The metrics.json document: to_json(result) plus the source paths.
nlohmann::json report_json(const CompareResult& result, const ReportSource& source);

}  // namespace charrnn
