// Compare: one batched generation over temperatures x samples, then per-sample metrics and means.
#include "charrnn/compare/compare.h"

#include <algorithm>
#include <cmath>

#include "charrnn/compare/corpus_scan.h"
#include "charrnn/compare/temperature_grid.h"
#include "charrnn/errors.h"
#include "charrnn/sample/generate.h"
#include "charrnn/sample/sampler.h"

namespace charrnn {

namespace {

// log_softmax(z)[byte] in double: z[byte] - max - log Σ exp(z - max).
double log_prob(const float* z, uint8_t byte) {
  double mx = z[0];
  for (int i = 1; i < kVocab; ++i) mx = std::max(mx, static_cast<double>(z[i]));
  double sum = 0;
  for (int i = 0; i < kVocab; ++i) sum += std::exp(static_cast<double>(z[i]) - mx);
  return static_cast<double>(z[byte]) - mx - std::log(sum);
}

// The mean of the values present; nullopt if none is.
std::optional<double> mean_of(const std::vector<std::optional<double>>& values) {
  double sum = 0;
  size_t n = 0;
  for (const auto& v : values) {
    if (v) {
      sum += *v;
      ++n;
    }
  }
  if (n == 0) return std::nullopt;
  return sum / static_cast<double>(n);
}

}  // namespace

void validate_compare(const CompareConfig& cfg) {
  validate_temperatures(cfg.temperatures);
  if (cfg.num_samples < 1) {
    throw InputError("--num-samples must be at least 1, got " + std::to_string(cfg.num_samples));
  }
  if (cfg.length < 0) throw InputError("--length must be >= 0, got " + std::to_string(cfg.length));
  validate_sampling(sample_config(cfg, cfg.temperatures.front(), 0));  // top-k, top-p
}

SampleConfig sample_config(const CompareConfig& cfg, double t, int i) {
  SampleConfig s;
  s.temperature = t;
  s.top_k = cfg.top_k;
  s.top_p = cfg.top_p;
  s.seed = cfg.seed + static_cast<uint64_t>(i);
  return s;
}

void StreamStats::add(uint8_t byte, const float* logits, const SampleConfig& cfg) {
  double probs[kVocab];
  sampling_distribution(logits, cfg, probs);
  log_likelihood_sum_ += log_prob(logits, byte);
  entropy_sum_ += entropy_nats(probs, kVocab);
  ++bytes_;
}

std::optional<double> StreamStats::mean_log_likelihood() const {
  if (bytes_ == 0) return std::nullopt;
  return log_likelihood_sum_ / static_cast<double>(bytes_);
}

std::optional<double> StreamStats::mean_entropy() const {
  if (bytes_ == 0) return std::nullopt;
  return entropy_sum_ / static_cast<double>(bytes_);
}

GeneratedComparison generate_comparison(const CharLSTM& model, const CompareConfig& cfg) {
  validate_compare(cfg);
  // Stream k = temperature k / num_samples, sample k % num_samples.
  std::vector<SampleConfig> streams;
  for (double t : cfg.temperatures) {
    for (int i = 0; i < cfg.num_samples; ++i) streams.push_back(sample_config(cfg, t, i));
  }
  std::vector<StreamStats> stats(streams.size());
  const std::vector<std::string> texts = generate(
      model, cfg.prime, streams, cfg.length,
      [&](size_t k, uint8_t byte, const float* z) { stats[k].add(byte, z, streams[k]); },
      cfg.weights);

  return assemble_comparison(cfg, streams, texts, stats);
}

GeneratedComparison assemble_comparison(const CompareConfig& cfg,
                                        const std::vector<SampleConfig>& streams,
                                        const std::vector<std::string>& texts,
                                        const std::vector<StreamStats>& stats) {
  GeneratedComparison out;
  out.config = cfg;
  out.samples.resize(cfg.temperatures.size());
  for (size_t k = 0; k < streams.size(); ++k) {
    SampleResult s;
    s.seed = streams[k].seed;
    s.text = texts[k];
    s.log_likelihood = stats[k].mean_log_likelihood();
    s.entropy = stats[k].mean_entropy();
    out.samples[k / static_cast<size_t>(cfg.num_samples)].push_back(std::move(s));
  }
  return out;
}

TemperatureSummary summarize(double temperature, const std::vector<SampleResult>& samples,
                             bool has_corpus) {
  auto mean = [&](auto field) {
    std::vector<std::optional<double>> v;
    for (const SampleResult& s : samples) v.push_back(field(s));
    return mean_of(v);
  };
  TemperatureSummary t;
  t.temperature = temperature;
  t.log_likelihood = mean([](const SampleResult& s) { return s.log_likelihood; });
  t.entropy = mean([](const SampleResult& s) { return s.entropy; });
  t.distinct_2 = mean([](const SampleResult& s) { return s.metrics.distinct_2; });
  t.distinct_3 = mean([](const SampleResult& s) { return s.metrics.distinct_3; });
  t.distinct_4 = mean([](const SampleResult& s) { return s.metrics.distinct_4; });
  t.longest_repeat = mean([](const SampleResult& s) {
    return std::optional<double>(static_cast<double>(s.metrics.longest_repeat.length));
  });
  if (has_corpus) {
    t.in_corpus_words = mean([](const SampleResult& s) { return s.metrics.in_corpus_words; });
    t.longest_copy = mean([](const SampleResult& s) {
      return std::optional<double>(static_cast<double>(s.metrics.longest_copy.length));
    });
    t.window_share = mean([](const SampleResult& s) { return s.metrics.window_share; });
  }
  return t;
}

CompareResult measure_comparison(GeneratedComparison generated, const CorpusReference& corpus) {
  CompareResult r;
  r.config = generated.config;
  r.has_corpus = corpus.words != nullptr;
  r.temperatures.resize(generated.samples.size());
  for (size_t k = 0; k < generated.samples.size(); ++k) {
    r.temperatures[k].samples = std::move(generated.samples[k]);
  }
  // The texts stay where they are from here on: the scan keeps views of them.
  std::vector<std::string_view> texts;
  for (const TemperatureResult& t : r.temperatures) {
    for (const SampleResult& s : t.samples) texts.emplace_back(s.text);
  }
  std::optional<CorpusScan> scan;
  if (r.has_corpus) {
    scan.emplace(texts);
    scan->scan(corpus.bytes);
  }
  size_t index = 0;
  for (size_t k = 0; k < r.temperatures.size(); ++k) {
    TemperatureResult& t = r.temperatures[k];
    for (SampleResult& s : t.samples) {
      s.metrics = measure_without_corpus(s.text);
      if (scan) {
        s.metrics.in_corpus_words = in_corpus_word_share(split_words(s.text), *corpus.words);
        s.metrics.longest_copy = scan->longest_copy(index);
        s.metrics.window_share = scan->window_share(index, kDefaultWindow);
      }
      ++index;
    }
    t.summary = summarize(r.config.temperatures[k], t.samples, r.has_corpus);
  }
  return r;
}

CompareResult compare(const CharLSTM& model, const CompareConfig& cfg,
                      const CorpusReference& corpus) {
  return measure_comparison(generate_comparison(model, cfg), corpus);
}

}  // namespace charrnn
