#include "charrnn/train/evaluate.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "charrnn/data/batcher.h"
#include "charrnn/errors.h"

namespace charrnn {

EvalResult evaluate(CharLSTM& model, ByteView data, int batch, int seq_len, const char* what) {
  if (static_cast<int64_t>(data.size) < seq_len + 1) {
    throw InputError(std::string(what) + " has " + std::to_string(data.size) +
                     " bytes, fewer than --seq-len + 1 = " + std::to_string(seq_len + 1) +
                     " (lower --seq-len or use more text)");
  }
  // Short data gets fewer streams rather than an error: every stream needs seq_len + 1 bytes.
  const auto streams =
      static_cast<int>(std::min<int64_t>(batch, (static_cast<int64_t>(data.size) - 1) / seq_len));
  StreamBatcher batcher(data, streams, seq_len, what);

  const bool was_training = model->is_training();
  model->eval();
  torch::NoGradGuard no_grad;
  State state = model->initial_state(streams);
  double total = 0;
  int64_t count = 0;
  for (int64_t k = 0; k < batcher.batches_per_epoch(); ++k) {
    auto [x, y] = batcher.get(k);
    // Summed cross-entropy over the B*T bytes.
    auto [loss, next] = model->loss(x.to(model->device()), y, state, /*sum=*/true);
    state = next;
    total += loss.item<double>();
    count += y.numel();
  }
  if (was_training) model->train();
  EvalResult r;
  r.bytes = count;
  r.nats_per_byte = total / static_cast<double>(count);
  r.bits_per_byte = r.nats_per_byte / std::log(2.0);
  return r;
}

}  // namespace charrnn
