// Sampler: logits → the distribution to draw from (temperature, top-k, top-p) → one byte.
#pragma once
#include <cstdint>
#include <random>

#include "charrnn/config.h"

namespace charrnn {

// Seeded, portable RNG: the same seed gives the same draws on every machine.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }  // [0,1)

 private:
  std::mt19937_64 engine_;
};

// Throws InputError for T < 0 or NaN, top-k < 0, top-p outside (0, 1].
void validate_sampling(const SampleConfig& cfg);

// probs (256) = the distribution actually sampled from:
//   T = 0 → all mass on argmax (lowest index on ties), no division;
//   else q_i = exp((z_i - max z)/T) / Σ_j exp((z_j - max z)/T), computed in log space;
//   then top-k and top-p keep the most likely bytes and renormalise.
void sampling_distribution(const float* logits, const SampleConfig& cfg, double* probs);

// Draws one byte from sampling_distribution(logits) with one uniform u from rng: the first byte
// whose cumulative weight exceeds u * total, summing in one fixed order (blocks of 8 bytes) on
// every machine and kernel path. If probs_out is given it receives that distribution.
int sample_byte(const float* logits, const SampleConfig& cfg, Rng& rng,
                double* probs_out = nullptr);

}  // namespace charrnn
