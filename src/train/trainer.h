// Trainer: train()'s stages as named steps, called in order by train() (src/train/train.cpp):
// check inputs → open run → build model → restore → begin → loop → finish.
#pragma once
#include <torch/torch.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "charrnn/config.h"
#include "charrnn/model/model.h"
#include "charrnn/store/checkpoint.h"
#include "charrnn/store/run_dir.h"
#include "charrnn/train/distributed.h"
#include "charrnn/train/fault_injection.h"
#include "charrnn/train/precision.h"
#include "charrnn/train/progress_line.h"
#include "charrnn/train/train.h"
#include "charrnn/util/clock.h"
#include "train/train_inputs.h"

namespace charrnn {

class Trainer {
 public:
  // Check inputs: the flags, the device, the precision, then the corpus and its split; in a
  // process group (torchrun's environment), join it and check that every rank runs the same.
  Trainer(const ModelConfig& model_cfg, const TrainConfig& cfg, const DistOptions& dist);

  // Open run: lock cfg.out, decide between a fresh run and --resume, read the checkpoint.
  void open_run();
  // Build model: seeded weights and Adam on the device.
  void build_model();
  // Restore: the resumed checkpoint's weights, optimizer, progress, state and RNG, or a fresh
  // state; then disk space, config.json and the metrics log.
  void restore();
  // Begin: log the run's shape, start the clocks, put step 0 on disk for a fresh run.
  void begin();
  // Loop: steps until the run ends (0) or `stop_signal` becomes non-zero (returned).
  int loop(const std::atomic<int>& stop_signal);
  // Finish: the final checkpoint (validated unless stopped by a signal), best.ckpt, summary.
  TrainSummary finish(int stop_signal);

 private:
  // Data-parallel: rank 0 owns the run folder; every rank takes part in each collective.
  bool writer() const { return env_.rank == 0; }
  // The run's clock as every rank sees it: this process's, or the ranks' mean as of the last
  // step, so that time limits and schedules decide alike everywhere.
  double run_clock() const { return group_ ? shared_elapsed_ : elapsed(); }
  void decide_resume();

  // The loop's parts.
  void roll_over_epoch();
  bool run_is_over() const;
  std::optional<double> step(int signo);  // the step's loss, or none when it was rolled back
  bool after_step(double loss);           // true when that was the last step
  bool validate_and_save(double loss);    // false when rolled back instead
  void report(double loss, bool evaluated);

  // Checkpoints and faults.
  void restore_from(const Checkpoint& ck);
  bool checkpoint(bool validate_now, bool with_record);
  Checkpoint snapshot() const;
  void record(bool with_val);
  void roll_back(const std::string& what, int64_t at_step);

  double elapsed() const { return elapsed_before_ + seconds_since(session_start_); }
  double chars_per_sec() const;

  // Inputs, set by the constructor in the order they are checked.
  const ModelConfig model_cfg_;
  const TrainConfig cfg_;
  c10::Device device_{c10::kCPU};
  Precision precision_ = Precision::kFp32;
  std::optional<TrainData> data_;
  bool has_val_ = false;
  int64_t steps_per_epoch_ = 0;
  int64_t total_steps_ = 0;
  int64_t bytes_per_step_ = 0;  // all ranks together: B x T

  // The process group (none in a single process) and this rank's streams [offset, +count).
  DistEnv env_;
  std::unique_ptr<ProcessGroup> group_;
  int64_t stream_offset_ = 0;
  int64_t stream_count_ = 0;
  double shared_elapsed_ = 0;
  int agreed_stop_ = 0;  // a signal some rank received, agreed on by all at the last step

  // The run folder.
  std::unique_ptr<RunDir> run_;
  bool resume_ = false;
  Checkpoint resumed_;  // emptied once restored
  std::optional<MetricsLog> metrics_;

  // What decides the next step; all of it is in every checkpoint.
  CharLSTM model_{nullptr};
  std::unique_ptr<torch::optim::Adam> opt_;
  Progress progress_;
  State state_;

  // This session's bookkeeping.
  Clock::time_point session_start_;
  double elapsed_before_ = 0;
  int64_t step_before_ = 0;
  double loss_sum_ = 0;  // train loss since the last metrics record
  int64_t loss_count_ = 0;
  double step_lr_ = 0;  // the learning rate the latest step used
  int64_t saved_step_ = -1;
  int faults_ = 0;  // consecutive NaN/Inf faults since the last good checkpoint
  FaultInjection inject_;
  LossScaler scaler_{
      false};  // fp16 only; not checkpointed: a resumed run re-finds it in a few steps
  ProgressLine line_;
};

}  // namespace charrnn
