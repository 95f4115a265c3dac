#include "train/train_inputs.h"

#include <algorithm>
#include <string>

#include "charrnn/errors.h"
#include "charrnn/train/lr_schedule.h"
#include "charrnn/train/precision.h"

namespace charrnn {

void validate_train_config(const ModelConfig& m, const TrainConfig& c) {
  const auto require = require_input;
  // The model's own checks run too late: after the run folder exists.
  require(m.layers >= 1, "--layers must be at least 1");
  require(m.hidden >= 1, "--hidden must be at least 1");
  require(m.dropout >= 0 && m.dropout < 1, "--dropout must be in [0, 1)");
  require(c.batch >= 1, "--batch must be at least 1");
  require(c.seq_len >= 1, "--seq-len must be at least 1");
  // Adam's first step is lr / (1 - beta1) = 10 lr, applied in float32.
  require(c.lr > 0 && c.lr <= 3e37, "--lr must be a positive number no larger than 3e37");
  require(c.lr_decay > 0 && c.lr_decay <= 1, "--lr-decay must be in (0, 1] (1 = off)");
  require(c.lr_decay_after >= 0, "--lr-decay-after must be >= 0");
  parse_lr_schedule(c.lr_schedule);
  require(c.lr_warmup >= 0, "--lr-warmup must be >= 0 steps");
  require(c.lr_floor >= 0 && c.lr_floor <= 1, "--lr-floor must be in [0, 1] (a fraction of --lr)");
  require(c.grad_clip >= 0, "--grad-clip must be >= 0 (0 = off)");
  require(c.epochs >= 1, "--epochs must be at least 1");
  require(c.max_steps >= 0, "--max-steps must be >= 0 (0 = no limit)");
  require(c.time_limit >= 0, "--time-limit must be >= 0 seconds (0 = no limit)");
  require(c.eval_every >= 1, "--eval-every must be at least 1");
  require(c.log_every >= 1, "--log-every must be at least 1");
  require(c.val_max_bytes >= 0, "--val-max-bytes must be >= 0 (0 = the whole validation split)");
  parse_precision(c.precision);  // throws on a bad name
}

TrainData load_train_data(const TrainConfig& cfg) {
  Corpus corpus = read_corpus(cfg.data);
  const Split split = split_corpus(corpus.view(), cfg.val_frac);
  StreamBatcher batcher(split.train, cfg.batch, cfg.seq_len, "the training split");
  // A fixed prefix of the held-out bytes: validation of a 1 GB corpus's 100 MB split would take
  // minutes every --eval-every steps, while 1 MiB already pins the loss to about +-0.002.
  ByteView val = split.val;
  if (cfg.val_max_bytes > 0) val.size = std::min<size_t>(val.size, cfg.val_max_bytes);
  if (val.size > 0 && static_cast<int64_t>(val.size) < cfg.seq_len + 1) {
    throw InputError("the validation split has " + std::to_string(val.size) +
                     " bytes, fewer than --seq-len + 1 (raise --val-frac or --val-max-bytes, lower "
                     "--seq-len, or pass --val-frac 0)");
  }
  // The views point into corpus's buffer (mapped or heap), which moving the Corpus keeps.
  return {std::move(corpus), split, batcher, val};
}

}  // namespace charrnn
