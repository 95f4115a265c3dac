#include "charrnn/stepper.h"

#include <torch/torch.h>

#include <cstring>

namespace charrnn {

// Reference implementation: the model's own forward, one step at a time, without autograd.
struct Stepper::Impl {
  CharLSTM model;
  int64_t batch;
  State state;
};

Stepper::Stepper(const CharLSTM& model, int64_t batch)
    : impl_(new Impl{model, batch, {}}) {
  reset();
}

Stepper::~Stepper() = default;

int64_t Stepper::batch() const { return impl_->batch; }

void Stepper::reset() {
  c10::InferenceMode guard;
  impl_->state = impl_->model->initial_state(impl_->batch);
}

void Stepper::step(const uint8_t* bytes, float* logits) {
  c10::InferenceMode guard;
  auto& m = *impl_;
  // x: (B,1) int64
  auto x = torch::empty({m.batch, 1}, torch::kLong);
  for (int64_t b = 0; b < m.batch; ++b) x[b][0] = static_cast<int64_t>(bytes[b]);
  const bool was_training = m.model->is_training();
  m.model->eval();
  auto [out, next] = m.model->forward(x.to(m.model->device()), m.state);
  if (was_training) m.model->train();
  m.state = next;
  // out: (B,1,256) → logits (B,256)
  auto cpu = out.reshape({m.batch, kVocab}).to(torch::kCPU, torch::kFloat).contiguous();
  std::memcpy(logits, cpu.data_ptr<float>(), sizeof(float) * m.batch * kVocab);
}

}  // namespace charrnn
