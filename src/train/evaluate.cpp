#include "charrnn/train/evaluate.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "charrnn/data/batcher.h"
#include "charrnn/errors.h"

namespace charrnn {

EvalResult evaluate(CharLSTM& model, ByteView data, int batch, int seq_len, const char* what,
                    ProcessGroup* group) {
  if (static_cast<int64_t>(data.size) < seq_len + 1) {
    throw InputError(std::string(what) + " has " + std::to_string(data.size) +
                     " bytes, fewer than --seq-len + 1 = " + std::to_string(seq_len + 1) +
                     " (lower --seq-len or use more text)");
  }
  // Short data gets fewer streams rather than an error: every stream needs seq_len + 1 bytes.
  const auto streams =
      static_cast<int>(std::min<int64_t>(batch, (static_cast<int64_t>(data.size) - 1) / seq_len));
  StreamBatcher batcher(data, streams, seq_len, what);
  // This rank's streams [lo, hi): all of them in a single process.
  const Shard shard = group ? Shard{group->rank(), group->world()} : Shard{};
  const int64_t lo = shard.begin(streams), hi = shard.end(streams);

  const bool was_training = model->is_training();
  model->eval();
  torch::NoGradGuard no_grad;
  State state = model->initial_state(hi - lo);
  double total = 0;
  int64_t count = 0;
  for (int64_t k = 0; k < batcher.batches_per_epoch() && hi > lo; ++k) {
    auto [x, y] = batcher.get(k);  // (B,T) each; this rank scores rows [lo, hi)
    x = x.slice(0, lo, hi);
    y = y.slice(0, lo, hi);
    // Summed cross-entropy over the rows' bytes.
    auto [loss, next] = model->loss(x.to(model->device()), y, state, /*sum=*/true);
    state = next;
    total += loss.item<double>();
    count += y.numel();
  }
  if (was_training) model->train();
  if (group != nullptr) {
    // (total nats, bytes) summed over the ranks; float64 so counts stay exact.
    auto sums = torch::tensor({total, static_cast<double>(count)}, torch::kFloat64);
    group->allreduce_sum(sums);
    total = sums[0].item<double>();
    count = static_cast<int64_t>(sums[1].item<double>());
  }
  EvalResult r;
  r.bytes = count;
  r.nats_per_byte = total / static_cast<double>(count);
  r.bits_per_byte = r.nats_per_byte / std::log(2.0);
  return r;
}

}  // namespace charrnn
