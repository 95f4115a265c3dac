// Evaluation: stateful loss over a byte sequence, no gradients.
#pragma once
#include <cstdint>

#include "charrnn/data/corpus.h"
#include "charrnn/model/model.h"
#include "charrnn/train/distributed.h"

namespace charrnn {

struct EvalResult {
  double nats_per_byte = 0;
  double bits_per_byte = 0;
  int64_t bytes = 0;  // predicted bytes scored
};

// Splits `data` into `batch` contiguous streams (fewer if the data is short) and runs the model
// over them seq_len bytes at a time, carrying state, in eval mode. Throws InputError when the
// data has fewer than seq_len + 1 bytes. With a process group, each rank runs its shard of the
// streams and the sums are reduced: every rank returns the whole result.
EvalResult evaluate(CharLSTM& model, ByteView data, int batch, int seq_len,
                    const char* what = "data", ProcessGroup* group = nullptr);

}  // namespace charrnn
