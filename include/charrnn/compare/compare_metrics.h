// The metrics of a comparison by name — one list that the table, CSV, JSON and plots share, so
// a metric added here shows up everywhere with the same key, label and unit.
#pragma once
#include <optional>
#include <vector>

#include "charrnn/compare/compare.h"

namespace charrnn {

struct MetricColumn {
  const char* key;     // JSON/CSV name, plot file stem: "log_likelihood"
  const char* header;  // short table header: "loglik"
  const char* title;   // plot title / legend: "log-likelihood at T=1"
  const char* unit;    // "nats/byte", "bytes", "share", ""
  int decimals;        // table precision
  bool needs_corpus;   // absent without the training corpus
  std::optional<double> (*get)(const TemperatureSummary&);
};

// In table order: log_likelihood, entropy, distinct_2..4, longest_repeat, in_corpus_words,
// longest_copy, window_share.
const std::vector<MetricColumn>& metric_columns();

// One sample's metrics in summary form (the mean of one), for per-sample points in plots.
TemperatureSummary summarize_one(double temperature, const SampleResult& sample, bool has_corpus);

}  // namespace charrnn
