// Plain configuration structs: the CLI fills them, the library reads them.
// Each field's comment says what it does and its neutral value.
#pragma once
#include <cstdint>
#include <string>

namespace charrnn {

constexpr int kVocab = 256;  // raw bytes: any text, any encoding, any checkpoint

struct ModelConfig {
  int layers = 2;        // stacked LSTM layers
  int hidden = 128;      // LSTM units per layer
  double dropout = 0.1;  // between LSTM layers and before the output layer; 0 = off
};

struct TrainConfig {
  std::string data;                      // corpus file or folder (every regular file, sorted)
  std::string out = "models/default";    // run folder: checkpoints, metrics.jsonl, config.json
  double val_frac = 0.1;                 // last fraction of the corpus held out for validation
  int64_t val_max_bytes = 1 << 20;       // validate on at most the first N held-out bytes; 0 = all
  int batch = 50;                        // B contiguous streams
  int seq_len = 50;                      // T bytes per stream per step (truncated BPTT length)
  double lr = 2e-3;                      // Adam learning rate
  std::string lr_schedule = "char-rnn";  // char-rnn | constant | linear | cosine (lr_schedule.h)
  double lr_decay = 0.97;          // char-rnn: per-epoch multiplier once decay starts; 1 = off
  int lr_decay_after = 10;         // char-rnn: epochs at full learning rate before decay
  int64_t lr_warmup = 0;           // others: steps of linear warm-up from 0; 0 = none
  double lr_floor = 0.1;           // linear/cosine: final rate as a fraction of lr
  double grad_clip = 5.0;          // max global gradient L2 norm; 0 = off
  int epochs = 50;                 // stop after this many epochs
  int64_t max_steps = 0;           // stop after this many optimizer steps; 0 = no limit
  double time_limit = 0;           // stop after this many seconds of training; 0 = no limit
  uint64_t seed = 1234;            // same seed, same run
  int threads = 0;                 // intra-op threads; 0 = all cores
  int64_t eval_every = 500;        // validate + checkpoint every N steps (and at the end)
  int64_t log_every = 100;         // train-loss record in metrics.jsonl every N steps
  bool resume = false;             // continue the run in `out` from its latest checkpoint
  std::string device = "auto";     // auto | cpu | cuda | cuda:N
  std::string precision = "fp32";  // CUDA only: fp32 | bf16 | fp16 autocast (precision.h)
  bool fused = true;               // CPU: use the fused LSTM kernels (same maths, faster)
};

struct SampleConfig {
  double temperature = 1.0;  // logits / T before the softmax; 0 = greedy argmax
  int top_k = 0;             // keep the k most likely bytes; 0 = disabled
  double top_p = 1.0;        // keep the smallest set with mass >= p; 1 = disabled
  uint64_t seed = 1234;      // per-stream RNG seed: same seed and options, same bytes
};

}  // namespace charrnn
