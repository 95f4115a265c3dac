// StreamBatcher: the training bytes as B contiguous streams; batch k+1 continues batch k.
#pragma once
#include <cstdint>
#include <utility>

#include "charrnn/data/corpus.h"

namespace at {
class Tensor;
}

namespace charrnn {

class StreamBatcher {
 public:
  // Throws InputError when `data` is too small for one (batch x seq_len) batch.
  // `what` names the data in that message ("training split", "validation split", ...).
  StreamBatcher(ByteView data, int batch, int seq_len, const char* what = "corpus");

  int64_t batches_per_epoch() const { return batches_; }
  int64_t stream_len() const { return stream_len_; }
  int batch() const { return batch_; }
  int seq_len() const { return seq_len_; }

  // Batch k of an epoch. x, y: (B,T) int64; y[b][t] = x[b][t+1] and
  // x[b][t] = data[b*stream_len + k*T + t].
  std::pair<at::Tensor, at::Tensor> get(int64_t k) const;

 private:
  ByteView data_;
  int batch_;
  int seq_len_;
  int64_t stream_len_;
  int64_t batches_;
};

}  // namespace charrnn
