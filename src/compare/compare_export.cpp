// JSON and CSV forms of a comparison.
#include "charrnn/compare/compare_export.h"

#include <cstdio>

#include "charrnn/compare/compare_metrics.h"

namespace charrnn {

namespace {

nlohmann::json opt(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json sample_json(const SampleResult& s, bool has_corpus) {
  const SampleMetrics& m = s.metrics;
  nlohmann::json j{{"seed", s.seed},
                   {"text", s.text},
                   {"log_likelihood", opt(s.log_likelihood)},
                   {"entropy", opt(s.entropy)},
                   {"bytes", m.bytes},
                   {"words", m.words},
                   {"distinct_2", opt(m.distinct_2)},
                   {"distinct_3", opt(m.distinct_3)},
                   {"distinct_4", opt(m.distinct_4)},
                   {"longest_repeat",
                    {{"length", m.longest_repeat.length},
                     {"first", m.longest_repeat.first},
                     {"second", m.longest_repeat.second},
                     {"text", m.longest_repeat.text}}}};
  if (has_corpus) {
    j["in_corpus_words"] = opt(m.in_corpus_words);
    j["longest_copy"] = {{"length", m.longest_copy.length},
                         {"sample_pos", m.longest_copy.sample_pos},
                         {"corpus_pos", m.longest_copy.corpus_pos}};
    j["window_share"] = opt(m.window_share);
  } else {
    j["in_corpus_words"] = nullptr;
    j["longest_copy"] = nullptr;
    j["window_share"] = nullptr;
  }
  return j;
}

}  // namespace

nlohmann::json to_json(const CompareResult& r) {
  const CompareConfig& c = r.config;
  nlohmann::json j;
  j["config"] = {{"temperatures", c.temperatures},
                 {"length", c.length},
                 {"prime", c.prime},
                 {"num_samples", c.num_samples},
                 {"seed", c.seed},
                 {"top_k", c.top_k},
                 {"top_p", c.top_p},
                 {"weights", weight_format_name(c.weights)}};
  j["has_corpus"] = r.has_corpus;
  j["temperatures"] = nlohmann::json::array();
  for (const TemperatureResult& t : r.temperatures) {
    nlohmann::json summary = nlohmann::json::object();
    for (const MetricColumn& col : metric_columns()) summary[col.key] = opt(col.get(t.summary));
    nlohmann::json samples = nlohmann::json::array();
    for (const SampleResult& s : t.samples) samples.push_back(sample_json(s, r.has_corpus));
    j["temperatures"].push_back(
        {{"temperature", t.summary.temperature}, {"summary", summary}, {"samples", samples}});
  }
  return j;
}

std::string to_csv(const CompareResult& r) {
  std::string out = "temperature,samples";
  for (const MetricColumn& col : metric_columns()) out += std::string(",") + col.key;
  out += "\n";
  char buf[64];
  for (const TemperatureResult& t : r.temperatures) {
    std::snprintf(buf, sizeof buf, "%.12g,%zu", t.summary.temperature, t.samples.size());
    out += buf;
    for (const MetricColumn& col : metric_columns()) {
      out += ",";
      if (const auto v = col.get(t.summary)) {
        std::snprintf(buf, sizeof buf, "%.10g", *v);
        out += buf;
      }
    }
    out += "\n";
  }
  return out;
}

}  // namespace charrnn
