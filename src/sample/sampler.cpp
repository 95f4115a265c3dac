#include "charrnn/sample/sampler.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <string>

#include "charrnn/errors.h"
#include "model/lstm_kernels.h"

namespace charrnn {

void validate_sampling(const SampleConfig& cfg) {
  if (!(cfg.temperature >= 0.0) || std::isinf(cfg.temperature)) {
    throw InputError("--temperature must be a finite number >= 0 (0 = greedy), got " +
                     std::to_string(cfg.temperature));
  }
  if (cfg.top_k < 0) throw InputError("--top-k must be >= 0 (0 = off)");
  if (!(cfg.top_p > 0.0 && cfg.top_p <= 1.0)) {
    throw InputError("--top-p must be in (0, 1] (1 = off), got " + std::to_string(cfg.top_p));
  }
}

namespace {

// The weights are summed in blocks of 8 bytes: the block sums have no dependency on one another,
// and a draw walks 32 block sums and then at most 8 weights, instead of one chain of up to 256
// dependent additions. Every machine and kernel path sums in this one order, so the draw adds no
// differences of its own between them (their logits may still differ in the last bits).
constexpr int kBlock = 8;
constexpr int kBlocks = kVocab / kBlock;
static_assert(kVocab % kBlock == 0);

// The unnormalised distribution a draw is made from: w_i ∝ q_i, with the block sums and total.
struct Weights {
  alignas(32) std::array<double, kVocab> w;
  std::array<double, kBlocks> block;  // block[b] = w[8b] + ... + w[8b+7], as a fixed tree
  double total;                       // block[0] + block[1] + ... in order: what the walk reaches
};

// Index of the largest logit, the lowest on ties (as std::max_element). Eight independent
// running maxima, then one search, instead of one chain of 256 dependent compares.
int argmax(const float* z) {
  std::array<float, kBlock> m;
  std::copy(z, z + kBlock, m.begin());
  for (int i = kBlock; i < kVocab; i += kBlock)
    for (int j = 0; j < kBlock; ++j) m[j] = std::max(m[j], z[i + j]);
  const float best = *std::max_element(m.begin(), m.end());
  for (int i = 0; i < kVocab; ++i)
    if (z[i] == best) return i;
  return static_cast<int>(std::max_element(z, z + kVocab) - z);  // a NaN logit: any defined pick
}

double sum_blocks(Weights& s) {
  double total = 0;
  for (int b = 0; b < kBlocks; ++b) {
    const double* x = s.w.data() + b * kBlock;
    s.block[b] = ((x[0] + x[1]) + (x[2] + x[3])) + ((x[4] + x[5]) + (x[6] + x[7]));
    total += s.block[b];
  }
  return total;
}

// Keeps the top-k / top-p bytes of s.w (most likely first; ties broken by byte value so the mask
// is deterministic) and zeroes the rest.
void apply_top_k_top_p(const SampleConfig& cfg, Weights& s) {
  const bool top_k = cfg.top_k > 0 && cfg.top_k < kVocab;
  const bool top_p = cfg.top_p < 1.0;
  if (!top_k && !top_p) return;
  const double* w = s.w.data();
  std::array<int, kVocab> order;
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return w[a] > w[b]; });
  int keep = top_k ? cfg.top_k : kVocab;
  if (top_p) {
    const double total = sum_blocks(s);
    double mass = 0;
    int n = 0;
    while (n < keep) {
      mass += w[order[n++]];
      if (mass >= cfg.top_p * total) break;
    }
    keep = n;
  }
  for (int r = keep; r < kVocab; ++r) s.w[order[r]] = 0.0;
}

// Temperature > 0: w_i = exp((z_i - max z) / T) (then top-k / top-p). Every exponent is <= 0
// (no overflow) and the largest is exactly 0, so the total is >= 1 and cannot underflow. The
// scaling is in double (T may be tiny), the exponentials are float and vectorized, the sums
// double.
void weights(const float* logits, const SampleConfig& cfg, int best, Weights& s) {
  const double zmax = logits[best], t = cfg.temperature, inv_t = 1.0 / t;
  alignas(32) std::array<float, kVocab> q;
  if (std::isfinite(inv_t)) {
    kernels::scale_logits(kVocab, logits, zmax, inv_t, q.data());
  } else {  // T below ~1e-308: 1/T overflows, and 0 * inf would be NaN
    for (int i = 0; i < kVocab; ++i)
      q[i] = static_cast<float>(std::max((logits[i] - zmax) / t, kernels::kScaledLogitFloor));
  }
  kernels::exp_inplace(kVocab, q.data());
  std::copy(q.begin(), q.end(), s.w.begin());
  apply_top_k_top_p(cfg, s);
  s.total = sum_blocks(s);
}

void normalise(const Weights& s, double* probs) {
  for (int i = 0; i < kVocab; ++i) probs[i] = s.w[i] / s.total;
}

void greedy(int best, double* probs) {
  std::fill(probs, probs + kVocab, 0.0);
  probs[best] = 1.0;
}

// The byte whose share of the cumulative weights holds u * total.
int draw(const Weights& s, double u) {
  const double target = u * s.total;
  double cum = 0;
  for (int b = 0; b < kBlocks; ++b) {
    if (!(target < cum + s.block[b])) {
      cum += s.block[b];
      continue;
    }
    int last = -1;
    for (int i = b * kBlock; i < (b + 1) * kBlock; ++i) {
      if (s.w[i] <= 0) continue;
      cum += s.w[i];
      last = i;
      if (target < cum) return i;
    }
    return last;  // the block's own sum rounded a little higher than this walk through it
  }
  // u * total rounded up to total: the last byte with any weight.
  for (int i = kVocab - 1; i > 0; --i)
    if (s.w[i] > 0) return i;
  return 0;
}

}  // namespace

void sampling_distribution(const float* logits, const SampleConfig& cfg, double* probs) {
  const int best = argmax(logits);
  if (cfg.temperature == 0.0) return greedy(best, probs);  // no division, no log
  Weights s;
  weights(logits, cfg, best, s);
  normalise(s, probs);
}

int sample_byte(const float* logits, const SampleConfig& cfg, Rng& rng, double* probs_out) {
  const int best = argmax(logits);
  if (cfg.temperature == 0.0) {
    if (probs_out != nullptr) greedy(best, probs_out);
    return best;
  }
  Weights s;
  weights(logits, cfg, best, s);
  if (probs_out != nullptr) normalise(s, probs_out);
  return draw(s, rng.uniform());  // inverse CDF with one uniform draw
}

}  // namespace charrnn
