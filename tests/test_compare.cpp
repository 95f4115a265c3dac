// Compare: batched generation equals one-by-one, the metrics against independent computations,
// the aggregation, temperature grids, and the text renderings.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <array>
#include <cmath>

#include "charrnn/compare/compare.h"
#include "charrnn/compare/compare_export.h"
#include "charrnn/compare/compare_text.h"
#include "charrnn/compare/temperature_grid.h"
#include "charrnn/errors.h"
#include "charrnn/sample/generate.h"
#include "charrnn/sample/sampler.h"

using namespace charrnn;

namespace {

// A small random model with peaked outputs (scaled head), so temperatures differ visibly.
CharLSTM tiny_model() {
  ModelConfig c;
  c.layers = 2;
  c.hidden = 16;
  c.dropout = 0;
  torch::manual_seed(11);
  CharLSTM m(c);
  {
    torch::NoGradGuard guard;
    m->head->weight.mul_(8);
  }
  m->eval();
  return m;
}

CompareConfig small_config() {
  CompareConfig c;
  c.temperatures = {0, 0.5, 1.0, 1.5};
  c.length = 60;
  c.prime = "To be";
  c.num_samples = 2;
  c.seed = 42;
  return c;
}

}  // namespace

TEST(Compare, BatchedGenerationEqualsOneByOne) {
  const CharLSTM model = tiny_model();
  const CompareConfig cfg = small_config();
  std::vector<SampleConfig> streams;
  for (double t : cfg.temperatures) {
    for (int i = 0; i < cfg.num_samples; ++i) streams.push_back(sample_config(cfg, t, i));
  }
  const auto batched = generate(model, cfg.prime, streams, cfg.length);
  ASSERT_EQ(batched.size(), streams.size());
  for (size_t k = 0; k < streams.size(); ++k) {
    const auto alone = generate(model, cfg.prime, {streams[k]}, cfg.length);
    EXPECT_EQ(batched[k], alone[0]) << "stream " << k << " T=" << streams[k].temperature;
  }
  // And compare's samples are those streams, sample i with seed + i at every temperature.
  const CompareResult r = compare(model, cfg);
  for (size_t t = 0; t < cfg.temperatures.size(); ++t) {
    for (int i = 0; i < cfg.num_samples; ++i) {
      const auto& s = r.temperatures[t].samples[static_cast<size_t>(i)];
      EXPECT_EQ(s.seed, cfg.seed + static_cast<uint64_t>(i));
      EXPECT_EQ(s.text, batched[t * static_cast<size_t>(cfg.num_samples) + static_cast<size_t>(i)]);
    }
  }
  // Different seeds differ at T > 0; greedy ignores the seed.
  EXPECT_NE(r.temperatures[2].samples[0].text, r.temperatures[2].samples[1].text);
  EXPECT_EQ(r.temperatures[0].samples[0].text, r.temperatures[0].samples[1].text);
}

TEST(Compare, SameSeedSameComparison) {
  const CharLSTM model = tiny_model();
  const auto a = dump_json(to_json(compare(model, small_config())));
  const auto b = dump_json(to_json(compare(model, small_config())));
  EXPECT_EQ(a, b);
  CompareConfig other = small_config();
  other.seed = 43;
  EXPECT_NE(a, dump_json(to_json(compare(model, other))));
}

TEST(Compare, LogLikelihoodAndEntropyMatchAnIndependentForwardPass) {
  CharLSTM model = tiny_model();  // forward() is not const
  const CompareConfig cfg = small_config();
  const CompareResult r = compare(model, cfg);
  torch::NoGradGuard guard;
  for (const TemperatureResult& t : r.temperatures) {
    const double temp = t.summary.temperature;
    double ll_mean = 0, h_mean = 0;
    for (const SampleResult& s : t.samples) {
      // The whole sequence through forward(): position p's logits predict byte p+1.
      const std::string seq = cfg.prime + s.text;
      auto x = torch::empty({1, static_cast<int64_t>(seq.size()) - 1}, torch::kInt64);
      for (size_t p = 0; p + 1 < seq.size(); ++p) x[0][static_cast<int64_t>(p)] = (uint8_t)seq[p];
      auto [logits, state] = model->forward(x, model->initial_state(1));
      const auto z = logits[0].to(torch::kFloat64);  // (L,256)
      const auto logp = torch::log_softmax(z, 1);
      double ll = 0, h = 0;
      for (size_t j = 0; j < s.text.size(); ++j) {
        const int64_t row = static_cast<int64_t>(cfg.prime.size() - 1 + j);
        ll += logp[row][static_cast<uint8_t>(s.text[j])].item<double>();
        if (temp > 0) {
          const auto q = torch::softmax(z[row] / temp, 0);
          h += -(q * torch::log(q.clamp_min(1e-300))).sum().item<double>();
        }
      }
      const double n = static_cast<double>(s.text.size());
      EXPECT_NEAR(*s.log_likelihood, ll / n, 1e-4) << "T=" << temp;
      EXPECT_NEAR(*s.entropy, h / n, 1e-4) << "T=" << temp;
      ll_mean += ll / n / static_cast<double>(t.samples.size());
      h_mean += h / n / static_cast<double>(t.samples.size());
    }
    EXPECT_NEAR(*t.summary.log_likelihood, ll_mean, 1e-4);
    EXPECT_NEAR(*t.summary.entropy, h_mean, 1e-4);
    if (temp == 0) {
      EXPECT_EQ(*t.summary.entropy, 0.0);
    }
  }
  // Hotter sampling: a wider distribution and bytes the model finds less likely.
  EXPECT_LT(*r.temperatures[1].summary.entropy, *r.temperatures[3].summary.entropy);
  EXPECT_GT(*r.temperatures[0].summary.log_likelihood, *r.temperatures[3].summary.log_likelihood);
}

TEST(Compare, StreamStatsOnFixedLogits) {
  // Three live bytes with logits 2, 1, 0: p = e^z / (e^2 + e + 1).
  std::array<float, kVocab> z;
  z.fill(-1e30f);
  z['a'] = 2;
  z['b'] = 1;
  z['c'] = 0;
  const double zsum = std::exp(2.0) + std::exp(1.0) + 1.0;
  SampleConfig half;
  half.temperature = 0.5;  // q ∝ e^{2z}: e^4, e^2, 1
  StreamStats st;
  st.add('a', z.data(), half);
  st.add('c', z.data(), half);
  const double q[3] = {std::exp(4.0), std::exp(2.0), 1.0};
  const double qsum = q[0] + q[1] + q[2];
  double h = 0;
  for (double v : q) h -= v / qsum * std::log(v / qsum);
  EXPECT_NEAR(*st.mean_log_likelihood(), (std::log(std::exp(2.0) / zsum) + std::log(1 / zsum)) / 2,
              1e-9);
  EXPECT_NEAR(*st.mean_entropy(), h, 1e-6);  // the sampler's exponentials are float
  SampleConfig greedy;
  greedy.temperature = 0;
  StreamStats g;
  g.add('a', z.data(), greedy);
  EXPECT_EQ(*g.mean_entropy(), 0.0);
  EXPECT_FALSE(StreamStats().mean_log_likelihood().has_value());
}

TEST(Compare, SummaryAveragesPresentValuesOnly) {
  SampleResult a, b;
  a.log_likelihood = -1.0;
  b.log_likelihood = -2.0;
  a.entropy = 0.5;
  b.entropy = std::nullopt;  // an empty sample
  a.metrics.distinct_2 = 0.8;
  b.metrics.distinct_2 = 0.4;
  a.metrics.longest_repeat.length = 10;
  b.metrics.longest_repeat.length = 4;
  a.metrics.in_corpus_words = 1.0;
  a.metrics.longest_copy.length = 30;
  b.metrics.longest_copy.length = 20;
  const TemperatureSummary s = summarize(0.7, {a, b}, true);
  EXPECT_EQ(s.temperature, 0.7);
  EXPECT_DOUBLE_EQ(*s.log_likelihood, -1.5);
  EXPECT_DOUBLE_EQ(*s.entropy, 0.5);
  EXPECT_DOUBLE_EQ(*s.distinct_2, 0.6);
  EXPECT_FALSE(s.distinct_3.has_value());
  EXPECT_DOUBLE_EQ(*s.longest_repeat, 7);
  EXPECT_DOUBLE_EQ(*s.in_corpus_words, 1.0);
  EXPECT_DOUBLE_EQ(*s.longest_copy, 25);
  const TemperatureSummary no_corpus = summarize(0.7, {a, b}, false);
  EXPECT_FALSE(no_corpus.in_corpus_words.has_value());
  EXPECT_FALSE(no_corpus.longest_copy.has_value());
}

TEST(Compare, CorpusMetricsOnlyWithACorpus) {
  const CharLSTM model = tiny_model();
  CompareConfig cfg = small_config();
  cfg.temperatures = {0.5};
  const std::string corpus = "to be or not to be, that is the question";
  const ByteView bytes{reinterpret_cast<const uint8_t*>(corpus.data()), corpus.size()};
  const WordSet words = build_word_set(bytes);
  const CompareResult with = compare(model, cfg, {bytes, &words});
  EXPECT_TRUE(with.has_corpus);
  EXPECT_TRUE(with.temperatures[0].summary.longest_copy.has_value());
  // The one-pass scan agrees with the suffix-array index and the word set on every sample.
  const CorpusIndex index(corpus);
  for (const SampleResult& s : with.temperatures[0].samples) {
    const SampleMetrics m = measure_sample(s.text, index, words);
    EXPECT_EQ(s.metrics.longest_copy.length, m.longest_copy.length);
    EXPECT_EQ(s.metrics.longest_copy.sample_pos, m.longest_copy.sample_pos);
    EXPECT_EQ(s.metrics.window_share, m.window_share);
    EXPECT_EQ(s.metrics.in_corpus_words, m.in_corpus_words);
  }
  const CompareResult without = compare(model, cfg);
  EXPECT_FALSE(without.has_corpus);
  EXPECT_FALSE(without.temperatures[0].summary.longest_copy.has_value());
  EXPECT_FALSE(without.temperatures[0].summary.window_share.has_value());
}

TEST(Compare, RejectsBadConfigs) {
  CompareConfig c = small_config();
  c.num_samples = 0;
  EXPECT_THROW(validate_compare(c), InputError);
  c = small_config();
  c.length = -1;
  EXPECT_THROW(validate_compare(c), InputError);
  c = small_config();
  c.temperatures = {};
  EXPECT_THROW(validate_compare(c), InputError);
  c = small_config();
  c.top_p = 0;
  EXPECT_THROW(validate_compare(c), InputError);
}

TEST(TemperatureGrid, ParsesListsAndSweeps) {
  EXPECT_EQ(parse_temperature_list("0.2,0.5,1.0,1.2"), (std::vector<double>{0.2, 0.5, 1.0, 1.2}));
  EXPECT_EQ(parse_temperature_list(" 0 , 1 "), (std::vector<double>{0, 1}));
  const auto sweep = parse_sweep("0.1:2.0:0.1");
  ASSERT_EQ(sweep.size(), 20u);  // TO included despite 0.1 not being exact in binary
  EXPECT_EQ(sweep.front(), 0.1);
  EXPECT_EQ(sweep[2], 0.3);  // rounded, not 0.30000000000000004
  EXPECT_EQ(sweep.back(), 2.0);
  EXPECT_EQ(parse_sweep("0:1:0.25"), (std::vector<double>{0, 0.25, 0.5, 0.75, 1}));
  EXPECT_EQ(parse_sweep("1:1:0.5"), (std::vector<double>{1}));
  EXPECT_EQ(parse_sweep("0:1:0.3"), (std::vector<double>{0, 0.3, 0.6, 0.9}));
}

TEST(TemperatureGrid, RejectsBadLists) {
  for (const char* bad :
       {"", " ", "1,0.5", "0.5,0.5", "-1", "nan", "inf", "0.5,,1", "abc", "0.5x", "1,"}) {
    EXPECT_THROW(parse_temperature_list(bad), InputError) << "'" << bad << "'";
  }
  for (const char* bad : {"1:2", "0.1:2:0", "0.1:2:-0.1", "2:1:0.1", "-1:1:0.5", "a:b:c",
                          "0:1:0.1:2", "0:1e9:0.001", "0:inf:1", "0:1:nan"}) {
    EXPECT_THROW(parse_sweep(bad), InputError) << "'" << bad << "'";
  }
}

TEST(CompareText, DisplayBytesNeverEmitsControlBytes) {
  const std::string raw = std::string("ok\x1b[31m\t\r\n\xff\x00", 12);
  const std::string shown = display_bytes(raw, true);
  EXPECT_EQ(shown, "ok\\x1b[31m\\t\\r\n\\xff\\x00");
  EXPECT_EQ(display_bytes("a\nb", false), "a\\nb");
  for (unsigned char c : display_bytes(raw, true))
    EXPECT_TRUE(c == '\n' || (c >= 0x20 && c < 0x7f));
}

TEST(CompareText, WellFormedUtf8IsShownMalformedIsEscaped) {
  // "é" (2 bytes), "—" (3), "😀" (4) pass through; a stray continuation byte, a truncated
  // sequence, an overlong '/' (C0 AF), a surrogate (ED A0 80) and the C1 control U+0085 do not.
  EXPECT_EQ(display_bytes("caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80", true),
            "caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80");
  EXPECT_EQ(display_bytes("\x80", true), "\\x80");
  EXPECT_EQ(display_bytes("\xe2\x80", true), "\\xe2\\x80");
  EXPECT_EQ(display_bytes("\xc0\xaf", true), "\\xc0\\xaf");
  EXPECT_EQ(display_bytes("\xed\xa0\x80", true), "\\xed\\xa0\\x80");
  EXPECT_EQ(display_bytes("\xc2\x85", true), "\\xc2\\x85");
  EXPECT_EQ(utf8_char_length("\xe2\x80\x94x"), 3u);
  EXPECT_EQ(utf8_char_length("x"), 0u);
}

TEST(CompareText, SamplesInColumnsWhenWideOneAfterAnotherWhenNarrow) {
  CompareResult r;
  r.config.temperatures = {0.5, 1.0};
  r.config.prime = "P";
  for (double t : r.config.temperatures) {
    TemperatureResult tr;
    tr.summary.temperature = t;
    SampleResult s;
    s.seed = 3;
    s.text = t < 1 ? "short line\nsecond" : std::string(70, 'x');
    tr.samples.push_back(s);
    r.temperatures.push_back(tr);
  }
  const std::string wide = render_samples(r, 100);
  EXPECT_NE(wide.find("T = 0.5 (seed 3)"), std::string::npos);
  // Both headers on one line, and the 70-byte line wrapped to the column width (48).
  const auto header_line = wide.substr(
      wide.find("T = 0.5"), wide.find('\n', wide.find("T = 0.5")) - wide.find("T = 0.5"));
  EXPECT_NE(header_line.find("T = 1 (seed 3)"), std::string::npos) << wide;
  EXPECT_NE(wide.find("short line" + std::string(38, ' ') + " | " + std::string(48, 'x')),
            std::string::npos)
      << wide;
  const std::string narrow = render_samples(r, 40);
  EXPECT_NE(narrow.find("=== T = 0.5 (seed 3) ===\nshort line\nsecond\n"), std::string::npos)
      << narrow;
  EXPECT_NE(narrow.find(std::string(70, 'x')), std::string::npos);
}

TEST(CompareText, TableHasOneRowPerTemperatureAndDashesForAbsentValues) {
  CompareResult r;
  r.config.temperatures = {0.2, 1.2};
  for (double t : r.config.temperatures) {
    TemperatureResult tr;
    tr.summary.temperature = t;
    tr.summary.log_likelihood = -t;
    tr.summary.longest_repeat = 5;
    r.temperatures.push_back(tr);
  }
  const std::string text = render_table(r, false);
  EXPECT_NE(text.find("loglik"), std::string::npos);
  EXPECT_EQ(text.find("copy"), std::string::npos);  // no corpus, no corpus columns
  EXPECT_NE(text.find("-0.200"), std::string::npos);
  EXPECT_NE(text.find("-1.200"), std::string::npos);
  EXPECT_NE(text.find(" -  "), std::string::npos);  // entropy absent
  const std::string md = render_table(r, true);
  EXPECT_EQ(md.rfind("| T | loglik |", 0), 0u) << md;
  const std::string csv = to_csv(r);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "temperature,samples,log_likelihood,entropy,distinct_2,distinct_3,distinct_4,"
            "longest_repeat,in_corpus_words,longest_copy,window_share");
  EXPECT_NE(csv.find("\n0.2,0,-0.2,,,,,5,,,\n"), std::string::npos) << csv;
  const auto j = to_json(r);
  EXPECT_TRUE(j["temperatures"][0]["summary"]["entropy"].is_null());
  EXPECT_EQ(j["temperatures"][1]["summary"]["log_likelihood"].get<double>(), -1.2);
}
