#include "charrnn/data/batcher.h"

#include <ATen/ATen.h>

#include <string>

#include "charrnn/errors.h"

namespace charrnn {

StreamBatcher::StreamBatcher(ByteView data, int batch, int seq_len, const char* what)
    : data_(data), batch_(batch), seq_len_(seq_len) {
  if (batch < 1) throw InputError("--batch must be at least 1");
  if (seq_len < 1) throw InputError("--seq-len must be at least 1");
  // Each stream needs seq_len inputs plus the one target byte after them.
  const int64_t need = static_cast<int64_t>(batch) * seq_len + 1;
  if (static_cast<int64_t>(data.size) < need) {
    throw InputError(std::string(what) + " has " + std::to_string(data.size) +
                     " bytes but one batch needs " + std::to_string(need) + " (--batch " +
                     std::to_string(batch) + " x --seq-len " + std::to_string(seq_len) +
                     " + 1): lower --batch or --seq-len, or use more text");
  }
  stream_len_ = (static_cast<int64_t>(data.size) - 1) / batch;
  batches_ = stream_len_ / seq_len;
}

std::pair<at::Tensor, at::Tensor> StreamBatcher::get(int64_t k) const {
  // x, y: (B,T) int64, gathered straight from the uint8 corpus.
  auto x = at::empty({batch_, seq_len_}, at::kLong);
  auto y = at::empty({batch_, seq_len_}, at::kLong);
  auto* xp = x.data_ptr<int64_t>();
  auto* yp = y.data_ptr<int64_t>();
  for (int b = 0; b < batch_; ++b) {
    const uint8_t* src = data_.data + b * stream_len_ + k * seq_len_;
    for (int t = 0; t < seq_len_; ++t) {
      xp[b * seq_len_ + t] = src[t];
      yp[b * seq_len_ + t] = src[t + 1];
    }
  }
  return {x, y};
}

}  // namespace charrnn
