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

void sampling_distribution(const float* logits, const SampleConfig& cfg, double* probs) {
  const int best = static_cast<int>(std::max_element(logits, logits + kVocab) - logits);
  if (cfg.temperature == 0.0) {  // greedy: no division, no log
    std::fill(probs, probs + kVocab, 0.0);
    probs[best] = 1.0;
    return;
  }
  // q_i ∝ exp((z_i - max z) / T): every exponent is <= 0 (no overflow) and the largest is
  // exactly 0 (the sum is >= 1, so it cannot underflow to zero). The division is in double
  // (T may be tiny); the exponentials are float and vectorized, then summed in double.
  const double zmax = logits[best];
  alignas(32) std::array<float, kVocab> q;
  for (int i = 0; i < kVocab; ++i) {
    q[i] = static_cast<float>(std::max((logits[i] - zmax) / cfg.temperature, -1000.0));
  }
  kernels::exp_inplace(kVocab, q.data());
  for (int i = 0; i < kVocab; ++i) probs[i] = q[i];

  const bool top_k = cfg.top_k > 0 && cfg.top_k < kVocab;
  const bool top_p = cfg.top_p < 1.0;
  if (top_k || top_p) {
    // Most likely first; ties broken by byte value so the mask is deterministic.
    std::array<int, kVocab> order;
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return probs[a] > probs[b]; });
    int keep = top_k ? cfg.top_k : kVocab;
    if (top_p) {
      const double total = std::accumulate(probs, probs + kVocab, 0.0);
      double mass = 0;
      int n = 0;
      while (n < keep) {
        mass += probs[order[n++]];
        if (mass >= cfg.top_p * total) break;
      }
      keep = n;
    }
    for (int r = keep; r < kVocab; ++r) probs[order[r]] = 0.0;
  }
  const double total = std::accumulate(probs, probs + kVocab, 0.0);
  for (int i = 0; i < kVocab; ++i) probs[i] /= total;
}

int sample_byte(const float* logits, const SampleConfig& cfg, Rng& rng, double* probs_out) {
  std::array<double, kVocab> local;
  double* probs = probs_out != nullptr ? probs_out : local.data();
  sampling_distribution(logits, cfg, probs);
  if (cfg.temperature == 0.0) {
    return static_cast<int>(std::max_element(probs, probs + kVocab) - probs);
  }
  // Inverse CDF with one uniform draw.
  const double u = rng.uniform();
  double cum = 0;
  int last = 0;
  for (int i = 0; i < kVocab; ++i) {
    if (probs[i] <= 0) continue;
    cum += probs[i];
    last = i;
    if (u < cum) return i;
  }
  return last;  // u landed in the rounding slack above the summed mass
}

}  // namespace charrnn
