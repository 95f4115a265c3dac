#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "charrnn/errors.h"
#include "charrnn/sample/sampler.h"

using namespace charrnn;

namespace {

std::array<float, kVocab> logits_with(std::initializer_list<std::pair<int, float>> set,
                                      float rest = -30.f) {
  std::array<float, kVocab> z;
  z.fill(rest);
  for (auto [i, v] : set) z[i] = v;
  return z;
}

SampleConfig at_temperature(double t) {
  SampleConfig c;
  c.temperature = t;
  return c;
}

}  // namespace

TEST(Sampler, ZeroTemperatureIsArgmax) {
  auto z = logits_with({{'a', 1.0f}, {'b', 3.5f}, {'c', 3.4f}});
  Rng rng(1);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(sample_byte(z.data(), at_temperature(0), rng), 'b');
  std::array<double, kVocab> p;
  sampling_distribution(z.data(), at_temperature(0), p.data());
  EXPECT_EQ(p['b'], 1.0);
  EXPECT_EQ(p['c'], 0.0);
}

TEST(Sampler, TinyTemperatureApproachesArgmaxWithoutOverflow) {
  // (z - max)/T is hugely negative for every other byte: exp gives 0, never inf or NaN.
  auto z = logits_with({{'x', 10.0f}, {'y', 9.999f}}, -std::numeric_limits<float>::infinity());
  std::array<double, kVocab> p;
  sampling_distribution(z.data(), at_temperature(1e-6), p.data());
  for (double v : p) EXPECT_TRUE(std::isfinite(v));
  EXPECT_DOUBLE_EQ(p['x'], 1.0);
}

TEST(Sampler, HugeLogitsStayFinite) {
  auto z = logits_with({{'a', 3e4f}, {'b', 2.99995e4f}}, -3e4f);
  std::array<double, kVocab> p;
  sampling_distribution(z.data(), at_temperature(1.0), p.data());
  double sum = 0;
  for (double v : p) {
    ASSERT_TRUE(std::isfinite(v));
    sum += v;
  }
  EXPECT_NEAR(sum, 1.0, 1e-12);
  EXPECT_NEAR(p['a'] / p['b'], std::exp(0.5), 1e-3);  // float logits: ratio e^(z_a - z_b)
}

// At a given T, frequencies of many seeded draws match exp(z/T)/Σexp(z/T) (chi-square test).
TEST(Sampler, FrequenciesMatchTemperatureSoftmaxChiSquare) {
  const std::vector<std::pair<int, float>> set = {{'e', 2.0f}, {'t', 1.5f}, {'a', 1.0f},
                                                  {'o', 0.5f}, {'i', 0.0f}, {' ', 2.2f}};
  auto z = logits_with({}, -40.f);
  for (auto [i, v] : set) z[i] = v;
  for (double temp : {0.5, 1.0, 1.7}) {
    // The independent formula, computed naively in long double (safe for these small logits).
    std::vector<long double> expect;
    long double norm = 0;
    for (int i = 0; i < kVocab; ++i) norm += std::exp(static_cast<long double>(z[i]) / temp);
    for (auto [i, v] : set) expect.push_back(std::exp(static_cast<long double>(v) / temp) / norm);
    const int draws = 200000;
    std::vector<int> count(set.size() + 1, 0);  // last bucket: every other byte
    Rng rng(42);
    SampleConfig cfg = at_temperature(temp);
    for (int n = 0; n < draws; ++n) {
      const int b = sample_byte(z.data(), cfg, rng);
      size_t k = 0;
      while (k < set.size() && set[k].first != b) ++k;
      ++count[k];
    }
    double chi2 = 0;
    long double rest = 1;
    for (size_t k = 0; k < set.size(); ++k) {
      const double e = static_cast<double>(expect[k]) * draws;
      chi2 += (count[k] - e) * (count[k] - e) / e;
      rest -= expect[k];
    }
    EXPECT_LT(static_cast<double>(rest) * draws, 1.0);  // the pooled tail is negligible here
    EXPECT_LE(count.back(), 5);
    // 5 degrees of freedom: P(chi2 > 20.5) = 0.001.
    EXPECT_LT(chi2, 20.5) << "T=" << temp;
  }
}

TEST(Sampler, TopKKeepsTheKMostLikelyInProportion) {
  auto z = logits_with({{'a', 4.f}, {'b', 3.f}, {'c', 2.f}, {'d', 1.f}});
  SampleConfig cfg;
  cfg.top_k = 3;
  std::array<double, kVocab> p;
  sampling_distribution(z.data(), cfg, p.data());
  EXPECT_EQ(p['d'], 0.0);
  EXPECT_EQ(p['z'], 0.0);
  EXPECT_NEAR(p['a'] + p['b'] + p['c'], 1.0, 1e-12);
  // float exponentials: a few ulp
  EXPECT_NEAR(p['a'] / p['b'], std::exp(1.0), 1e-6);
  EXPECT_NEAR(p['b'] / p['c'], std::exp(1.0), 1e-6);
}

TEST(Sampler, TopPKeepsTheSmallestSetReachingTheMass) {
  // Probabilities 0.5, 0.3, 0.15, 0.05 as logits log p (the rest ~0).
  auto z = logits_with({{'a', std::log(0.5f)},
                        {'b', std::log(0.3f)},
                        {'c', std::log(0.15f)},
                        {'d', std::log(0.05f)}},
                       -60.f);
  SampleConfig cfg;
  std::array<double, kVocab> p;
  cfg.top_p = 0.75;  // 0.5 < 0.75 <= 0.8: keep a, b
  sampling_distribution(z.data(), cfg, p.data());
  EXPECT_NEAR(p['a'], 0.5 / 0.8, 1e-6);
  EXPECT_NEAR(p['b'], 0.3 / 0.8, 1e-6);
  EXPECT_EQ(p['c'], 0.0);
  cfg.top_p = 0.85;  // 0.8 < 0.85 <= 0.95: keep a, b, c
  sampling_distribution(z.data(), cfg, p.data());
  EXPECT_NEAR(p['c'], 0.15 / 0.95, 1e-6);
  EXPECT_EQ(p['d'], 0.0);
  cfg.top_p = 0.3;  // the top byte alone already has 0.5
  sampling_distribution(z.data(), cfg, p.data());
  EXPECT_DOUBLE_EQ(p['a'], 1.0);
}

TEST(Sampler, SameSeedSameDrawsDifferentSeedDifferentDraws) {
  auto z = logits_with({{'a', 1.f}, {'b', 1.f}, {'c', 1.f}, {'d', 1.f}});
  auto draw = [&](uint64_t seed) {
    Rng rng(seed);
    std::string s;
    for (int i = 0; i < 64; ++i) s.push_back(static_cast<char>(sample_byte(z.data(), {}, rng)));
    return s;
  };
  EXPECT_EQ(draw(7), draw(7));
  EXPECT_NE(draw(7), draw(8));
}

TEST(Sampler, RejectsBadValues) {
  auto bad = [](SampleConfig c) { EXPECT_THROW(validate_sampling(c), InputError); };
  SampleConfig c;
  c.temperature = -0.1;
  bad(c);
  c.temperature = std::nan("");
  bad(c);
  c = {};
  c.top_k = -1;
  bad(c);
  c = {};
  c.top_p = 0.0;
  bad(c);
  c.top_p = 1.5;
  bad(c);
  EXPECT_NO_THROW(validate_sampling(SampleConfig{}));
}

TEST(Sampler, ZeroTemperatureBreaksTiesTowardsTheLowestByte) {
  auto z = logits_with({{'q', 2.f}, {'c', 2.f}, {200, 2.f}});
  Rng rng(3);
  EXPECT_EQ(sample_byte(z.data(), at_temperature(0), rng), 'c');
  z = logits_with({}, 0.f);  // all equal: byte 0
  EXPECT_EQ(sample_byte(z.data(), at_temperature(0), rng), 0);
}

// Each draw is the inverse CDF of sampling_distribution at the Rng's next uniform, checked
// against a cumulative sum in long double over many draws (spread over every block of 8 bytes).
TEST(Sampler, EachDrawIsTheInverseCdfOfTheDistribution) {
  std::array<float, kVocab> z;
  for (int i = 0; i < kVocab; ++i) z[i] = static_cast<float>(std::sin(i * 0.7) * 3.0);
  z[17] = -std::numeric_limits<float>::infinity();  // a byte that can never be drawn
  for (double temp : {0.3, 1.0, 2.5}) {
    SampleConfig cfg = at_temperature(temp);
    std::array<double, kVocab> p;
    sampling_distribution(z.data(), cfg, p.data());
    EXPECT_EQ(p[17], 0.0);
    Rng rng(99), twin(99);
    for (int n = 0; n < 20000; ++n) {
      const double u = twin.uniform();  // the uniform sample_byte is about to use
      const int got = sample_byte(z.data(), cfg, rng);
      long double cum = 0;
      int want = -1;
      for (int i = 0; i < kVocab && want < 0; ++i) {
        const long double before = cum;
        cum += p[i];
        if (u < cum) {
          want = i;
          // Within rounding of a boundary either neighbour is right.
          if (cum - u < 1e-12L || u - before < 1e-12L) want = got;
        }
      }
      ASSERT_NE(got, 17);
      ASSERT_EQ(got, want < 0 ? got : want) << "u=" << u << " T=" << temp;
    }
  }
}
