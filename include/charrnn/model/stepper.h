// Stepper: advances B streams one byte at a time, without autograd — the sampling hot path.
#pragma once
#include <cstdint>
#include <memory>

#include "charrnn/model/model.h"

namespace charrnn {

class Stepper {
 public:
  // Snapshots the model's weights; the model is not modified. Runs on the model's device.
  Stepper(const CharLSTM& model, int64_t batch);
  ~Stepper();
  Stepper(const Stepper&) = delete;
  Stepper& operator=(const Stepper&) = delete;

  int64_t batch() const;
  void reset();  // zero state for every stream
  // bytes: B inputs; logits: (B,256) row-major output for the next byte of each stream.
  void step(const uint8_t* bytes, float* logits);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace charrnn
