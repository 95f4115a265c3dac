// Train inputs: everything train() checks and reads before it touches the run folder.
#pragma once
#include "charrnn/config.h"
#include "charrnn/data/batcher.h"
#include "charrnn/data/corpus.h"

namespace charrnn {

// Throws InputError naming the flag and its range for any value out of range.
void validate_train_config(const ModelConfig& m, const TrainConfig& c);

// The corpus, its train/validation split, the training streams and the validation bytes used.
struct TrainData {
  Corpus corpus;
  Split split;            // views into corpus
  StreamBatcher batcher;  // the training split as cfg.batch streams of cfg.seq_len steps
  ByteView val;           // the validation prefix scored (--val-max-bytes); may be empty
};

// Reads cfg.data and checks that both splits are large enough; throws InputError otherwise.
TrainData load_train_data(const TrainConfig& cfg);

}  // namespace charrnn
