// The trainer's data-parallel helpers: the ranks agree on the run, split the streams and put the
// carried state back together for checkpoints. Private to src/train/.
#pragma once
#include <cstdint>

#include "charrnn/config.h"
#include "charrnn/model/model.h"
#include "charrnn/train/distributed.h"

namespace charrnn {

// A fingerprint of what must be equal on every rank for them to train one run: the model and
// training configuration (not the corpus path, threads or device, which may differ per machine)
// and the corpus's size and bytes.
uint64_t run_fingerprint(const ModelConfig& m, const TrainConfig& c, const uint8_t* corpus,
                         size_t corpus_size);

// Throws InputError on every rank when any rank's fingerprint differs from rank 0's.
void check_same_run(ProcessGroup& group, uint64_t fingerprint);

// The whole state (L,B_total,H) from each rank's (L,B_local,H), in rank (= stream) order.
State gather_streams(ProcessGroup& group, const State& mine);

// Streams [offset, offset + count) of a whole state (L,B_total,H).
State streams_of(const State& whole, int64_t offset, int64_t count);

}  // namespace charrnn
