// Stepper: advances B streams one byte at a time, without autograd — the sampling hot path.
#pragma once
#include <cstdint>
#include <memory>

#include "charrnn/model/model.h"
#include "charrnn/model/weight_format.h"

namespace charrnn {

// Bytes of weights one CPU step reads with `weights`: every weight matrix but layer 1's input
// weights, which are a row lookup. Beyond a core's L2 cache they stream from memory every byte.
int64_t step_weight_bytes(const ModelConfig& cfg, WeightFormat weights);

class Stepper {
 public:
  // Snapshots the model's weights; the model is not modified. Runs on the model's device.
  // `weights` other than fp32 needs a CPU model (InputError otherwise).
  Stepper(const CharLSTM& model, int64_t batch, WeightFormat weights = WeightFormat::fp32);
  ~Stepper();
  Stepper(const Stepper&) = delete;
  Stepper& operator=(const Stepper&) = delete;

  int64_t batch() const;
  void reset();  // zero state for every stream
  // bytes: B inputs; logits: (B,256) row-major output for the next byte of each stream.
  void step(const uint8_t* bytes, float* logits);

  // Continuous batching (serve): streams join and leave between bytes. Only rows [first,
  // first + count) advance (bytes: count inputs; logits: (count,256)); the others keep their
  // state, so disjoint ranges may step on different threads at once. A row gives the same
  // logits whatever the other rows hold or how many step with it.
  void step_rows(int64_t first, int64_t count, const uint8_t* bytes, float* logits);
  void reset_row(int64_t row);              // zero state for one stream
  void copy_row(int64_t from, int64_t to);  // stream `to` takes stream `from`'s state

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace charrnn
