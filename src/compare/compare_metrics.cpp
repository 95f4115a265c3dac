// The shared list of comparison metrics: keys, labels, units, accessors.
#include "charrnn/compare/compare_metrics.h"

namespace charrnn {

const std::vector<MetricColumn>& metric_columns() {
  using S = TemperatureSummary;
  static const std::vector<MetricColumn> columns{
      {"log_likelihood", "loglik", "log-likelihood at T=1", "nats/byte", 3, false,
       [](const S& s) { return s.log_likelihood; }},
      {"entropy", "entropy", "entropy of the sampled distribution", "nats", 3, false,
       [](const S& s) { return s.entropy; }},
      {"distinct_2", "dist-2", "distinct-2 (word bigrams)", "share", 3, false,
       [](const S& s) { return s.distinct_2; }},
      {"distinct_3", "dist-3", "distinct-3 (word trigrams)", "share", 3, false,
       [](const S& s) { return s.distinct_3; }},
      {"distinct_4", "dist-4", "distinct-4 (word 4-grams)", "share", 3, false,
       [](const S& s) { return s.distinct_4; }},
      {"longest_repeat", "repeat", "longest repeated substring", "bytes", 1, false,
       [](const S& s) { return s.longest_repeat; }},
      {"in_corpus_words", "words-ok", "words found in the corpus", "share", 3, true,
       [](const S& s) { return s.in_corpus_words; }},
      {"longest_copy", "copy", "longest substring copied from the corpus", "bytes", 1, true,
       [](const S& s) { return s.longest_copy; }},
      {"window_share", "copied-20B", "20-byte windows found in the corpus", "share", 3, true,
       [](const S& s) { return s.window_share; }},
  };
  return columns;
}

TemperatureSummary summarize_one(double temperature, const SampleResult& sample, bool has_corpus) {
  return summarize(temperature, {sample}, has_corpus);
}

}  // namespace charrnn
