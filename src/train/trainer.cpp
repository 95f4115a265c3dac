#include "train/trainer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <thread>

#include "charrnn/errors.h"
#include "charrnn/model/dropout.h"
#include "charrnn/store/config_json.h"
#include "charrnn/train/lr_schedule.h"
#include "charrnn/train/train_step.h"
#include "charrnn/util/device.h"
#include "charrnn/util/json_writer.h"
#include "train/data_parallel.h"

namespace fs = std::filesystem;

namespace charrnn {
namespace {

void set_lr(torch::optim::Adam& opt, double lr) {
  for (auto& group : opt.param_groups()) {
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
  }
}

// Bytes a checkpoint of this model and batch takes: weights, Adam's two moments, carried state.
uint64_t checkpoint_bytes(const CharLSTM& model, const ModelConfig& m, int batch) {
  const uint64_t params = static_cast<uint64_t>(count_parameters(model));
  const uint64_t state = 2ull * m.layers * static_cast<uint64_t>(batch) * m.hidden;
  return 4 * (3 * params + state) + (64 << 10);  // + header and RNG state
}

}  // namespace

Trainer::Trainer(const ModelConfig& model_cfg, const TrainConfig& cfg, const DistOptions& dist)
    : model_cfg_(model_cfg),
      cfg_(cfg),
      env_(dist_env_from_environment()),
      inject_(FaultInjection::from_env()) {
  validate_train_config(model_cfg_, cfg_);
  require_input(cfg_.batch % env_.world == 0,
                "--batch " + std::to_string(cfg_.batch) + " does not split evenly over " +
                    std::to_string(env_.world) +
                    " ranks (make --batch a multiple of the number of processes)");
  device_ = resolve_device(cfg_.device);
  if (device_.is_cuda() && env_.distributed() && !device_.has_index()) {
    device_ = c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(env_.local_rank));
  }
  precision_ = parse_precision(cfg_.precision);
  check_precision(precision_, device_);
  // Threads are per rank: by default the machine's cores shared among its ranks.
  configure_threads(
      cfg_.threads > 0 || env_.local_world == 1
          ? cfg_.threads
          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / env_.local_world));
  // Read and check all input before touching the run folder.
  data_.emplace(load_train_data(cfg_));
  stream_count_ = cfg_.batch / env_.world;
  stream_offset_ = env_.rank * stream_count_;
  if (env_.distributed()) {
    group_ = std::make_unique<ProcessGroup>(env_, dist, device_);
    check_same_run(
        *group_, run_fingerprint(model_cfg_, cfg_, data_->corpus.view().data, data_->corpus.size));
  }
  has_val_ = data_->val.size > 0;
  steps_per_epoch_ = data_->batcher.batches_per_epoch();
  total_steps_ = cfg_.epochs * steps_per_epoch_;
  if (cfg_.max_steps > 0) total_steps_ = std::min<int64_t>(cfg_.max_steps, total_steps_);
  bytes_per_step_ = static_cast<int64_t>(cfg_.batch) * cfg_.seq_len;
  scaler_ = LossScaler(precision_ == Precision::kFp16);
}

void Trainer::open_run() {
  decide_resume();
  if (!resume_) return;
  resumed_ = load_checkpoint(RunPaths{cfg_.out}.latest());
  const auto& m = resumed_.model;
  if (m.layers != model_cfg_.layers || m.hidden != model_cfg_.hidden ||
      m.dropout != model_cfg_.dropout) {
    throw InputError("--layers/--hidden/--dropout disagree with the checkpoint in '" + cfg_.out +
                     "' (drop them to resume)");
  }
}

// Rank 0 locks the folder and decides between a fresh run and a resumed one, then tells the
// others (who only read the folder: it must be shared between machines), or tells them it
// refused the run so that they stop too.
void Trainer::decide_resume() {
  std::string refusal;
  if (writer()) {
    try {
      run_ = std::make_unique<RunDir>(cfg_.out);
      const std::string latest = run_->paths().latest();
      resume_ = cfg_.resume;
      if (resume_ && !fs::exists(latest)) {
        // A run killed before its first checkpoint left nothing to continue: begin it again.
        spdlog::info("no checkpoint in '{}' yet: starting the run from scratch", cfg_.out);
        resume_ = false;
      } else if (!resume_ && fs::exists(latest)) {
        throw InputError(
            "run folder '" + cfg_.out +
            "' already holds a run (add --resume to continue it, or choose another --out)");
      }
    } catch (const InputError& e) {
      if (!group_) throw;
      refusal = e.what();
    }
  }
  if (!group_) return;
  // 0 = fresh, 1 = resume, 2 = rank 0 refused the run.
  auto decision = torch::tensor({refusal.empty() ? (resume_ ? 1 : 0) : 2}, torch::kInt64);
  group_->broadcast(decision, 0);
  const int64_t d = decision.item<int64_t>();
  if (d == 2) {
    throw InputError(writer() ? refusal
                              : "rank 0 refused the run in '" + cfg_.out + "' (see its error)");
  }
  resume_ = d == 1;
}

void Trainer::build_model() {
  torch::manual_seed(cfg_.seed);
  model_ = CharLSTM(model_cfg_);
  model_->set_fused(cfg_.fused);
  model_->to(device_);
  model_->train();
  opt_ = std::make_unique<torch::optim::Adam>(model_->parameters(),
                                              torch::optim::AdamOptions(cfg_.lr));
}

void Trainer::restore() {
  if (resume_) {
    restore_from(resumed_);
    resumed_ = Checkpoint{};
    spdlog::info("resuming '{}' at step {} (epoch {})", cfg_.out, progress_.step, progress_.epoch);
    if (progress_.lr_scale < 1) {
      spdlog::info("learning rate at {} of --lr after earlier NaN/Inf rollbacks",
                   progress_.lr_scale);
    }
  } else {
    state_ = model_->initial_state(stream_count_);
  }
  shared_elapsed_ = progress_.elapsed;
  if (!writer()) return;
  const uint64_t ckpt_bytes = checkpoint_bytes(model_, model_cfg_, cfg_.batch);
  // latest + best + one temporary file while either is replaced (fewer when they exist).
  run_->require_space(resume_ ? ckpt_bytes : 3 * ckpt_bytes, ckpt_bytes);
  const nlohmann::json config{{"model", to_json(model_cfg_)}, {"train", to_json(cfg_)}};
  write_file_atomic(run_->paths().config(), dump_json(config, 2) + "\n");
  metrics_.emplace(run_->paths().metrics(), progress_.step);
}

void Trainer::begin() {
  const TrainData& d = *data_;
  spdlog::info("corpus: {} bytes from {} file(s); train {} / val {} bytes; {} steps per epoch",
               d.corpus.size, d.corpus.files.size(), d.split.train.size, d.split.val.size,
               steps_per_epoch_);
  if (d.val.size < d.split.val.size) {
    spdlog::info("validating on the first {} of the {} held-out bytes (--val-max-bytes)",
                 d.val.size, d.split.val.size);
  }
  spdlog::info("model: {} layers x {} hidden, {} parameters, device {}, {}", model_cfg_.layers,
               model_cfg_.hidden, count_parameters(model_), device_.str(),
               precision_name(precision_));
  if (group_) {
    spdlog::info("data-parallel: {} ranks ({}), {} of the {} streams each, {} thread(s) per rank",
                 env_.world, group_->backend(), stream_count_, cfg_.batch, at::get_num_threads());
    if (model_cfg_.dropout > 0 && !(cfg_.fused && device_.is_cpu())) {
      // torch's own dropout (cuDNN path, --no-fused) draws masks for the tensor it is given.
      spdlog::warn(
          "dropout masks on the {} path follow each rank's streams, not the global stream: the "
          "run matches other world sizes in distribution, not bit for bit",
          device_.is_cpu() ? "--no-fused" : "CUDA");
    }
  }
  session_start_ = Clock::now();
  elapsed_before_ = progress_.elapsed;
  step_before_ = progress_.step;
  step_lr_ = cfg_.lr;
  if (!resume_) {
    // Step 0 on disk at once: a NaN before the first validation rolls back to it, and a
    // killed run resumes from it.
    checkpoint(false, false);
  } else {
    saved_step_ = progress_.step;
  }
}

int Trainer::loop(const std::atomic<int>& stop_signal) {
  while (true) {
    // Alone, a signal stops before the next step; ranks learn of it with the step (see step()).
    if (const int signo = stop_signal.load(); signo != 0 && !group_) return signo;
    roll_over_epoch();
    if (run_is_over()) return 0;
    const std::optional<double> loss = step(stop_signal.load());
    if (agreed_stop_ != 0) return agreed_stop_;
    if (!loss) continue;  // rolled back: the steps since the last checkpoint are redone
    if (after_step(*loss)) return 0;
  }
}

TrainSummary Trainer::finish(int stop_signal) {
  line_.clear();
  if (stop_signal != 0) {
    if (saved_step_ != progress_.step) checkpoint(false, false);
    spdlog::warn(
        "stopped by signal {} at step {}; checkpoint saved. Resume with: charrnn train "
        "--out {} --resume",
        stop_signal, progress_.step, cfg_.out);
  } else if (saved_step_ != progress_.step) {
    if (!checkpoint(true, true)) {
      throw InputError(
          "training diverged: the weights became NaN or Inf at step " +
          std::to_string(progress_.step) +
          "; the run keeps its last good checkpoint (start a new run with a lower --lr)");
    }
  }
  if (writer()) {
    const RunPaths& files = run_->paths();
    if (!fs::exists(files.best())) save_checkpoint(files.best(), load_checkpoint(files.latest()));
  }

  TrainSummary s;
  s.steps = progress_.step;
  s.epoch = progress_.epoch;
  s.val_loss = progress_.last_val;
  s.best_val = progress_.best_val;
  s.chars_per_sec = chars_per_sec();
  s.elapsed = elapsed();
  s.stop_signal = stop_signal;
  s.run_dir = cfg_.out;
  return s;
}

// ---- the loop's parts ----

void Trainer::roll_over_epoch() {  // next epoch: streams restart from zero state
  if (progress_.batch_in_epoch >= steps_per_epoch_) {
    ++progress_.epoch;
    progress_.batch_in_epoch = 0;
    state_ = model_->initial_state(stream_count_);
  }
}

bool Trainer::run_is_over() const {
  return progress_.epoch >= cfg_.epochs ||
         (cfg_.max_steps > 0 && progress_.step >= cfg_.max_steps) ||
         (cfg_.time_limit > 0 && run_clock() >= cfg_.time_limit);
}

std::optional<double> Trainer::step(int signo) {
  const int64_t this_step = progress_.step + 1;
  step_lr_ = lr_at(cfg_, {progress_.step, progress_.epoch, run_clock(), total_steps_}) *
             progress_.lr_scale;
  set_lr(*opt_, step_lr_);
  auto [whole_x, whole_y] = data_->batcher.get(progress_.batch_in_epoch);  // (B,T) int64 each
  // This rank's streams: (B/ranks,T); all of them in a single process.
  auto x = whole_x.narrow(0, stream_offset_, stream_count_);
  auto y = whole_y.narrow(0, stream_offset_, stream_count_);
  // Dropout keyed by the global stream: any number of ranks draws the same masks.
  DropoutStreams streams(stream_offset_, cfg_.batch);
  // Shared in the step's allreduce: this rank's clock and whether it was signalled.
  StepSync sync{group_.get(), {elapsed(), signo != 0 ? 1.0 : 0.0}};
  if (device_.is_cuda()) {  // page-locked host memory lets the copies run asynchronously
    x = x.pin_memory().to(device_, /*non_blocking=*/true);
    y = y.pin_memory().to(device_, /*non_blocking=*/true);
  }
  const StepOutcome out = train_step(model_, *opt_, x, y, state_, cfg_.grad_clip,
                                     {inject_.fire(FaultInjection::Kind::kLossNaN, this_step),
                                      inject_.fire(FaultInjection::Kind::kGradInf, this_step)},
                                     precision_, &scaler_, &sync);
  if (group_) {
    shared_elapsed_ = sync.shared[0] / env_.world;
    if (sync.shared[1] > 0) agreed_stop_ = signo != 0 ? signo : SIGTERM;
  }
  if (out.overflow) {
    spdlog::debug("step {}: fp16 gradients overflowed; update skipped, loss scale now {}",
                  this_step, scaler_.scale());
  } else if (!out.stepped()) {
    roll_back(std::isfinite(out.loss) ? "the gradient norm became " + std::to_string(out.grad_norm)
                                      : "the training loss became " + std::to_string(out.loss),
              this_step);
    return std::nullopt;
  }
  ++progress_.step;
  ++progress_.batch_in_epoch;
  loss_sum_ += out.loss;
  ++loss_count_;
  return out.loss;
}

bool Trainer::after_step(double loss) {
  const bool last =
      progress_.step >= total_steps_ || (cfg_.time_limit > 0 && run_clock() >= cfg_.time_limit);
  const bool eval_now = progress_.step % cfg_.eval_every == 0 || last;
  if (eval_now) {
    if (!validate_and_save(loss)) return false;
  } else if (progress_.step % cfg_.log_every == 0) {
    record(false);
  }
  report(loss, eval_now);
  return last;
}

bool Trainer::validate_and_save(double loss) {
  line_.clear();
  const int64_t at = progress_.step;
  if (!checkpoint(true, true)) {
    roll_back("the weights or the validation loss became NaN or Inf", at);
    return false;
  }
  spdlog::info(
      "step {} | epoch {} | train {:.4f} | val {:.4f} nats/byte ({:.4f} bits) | {:.0f} "
      "chars/s",
      progress_.step, progress_.epoch + 1, loss, progress_.last_val,
      progress_.last_val / std::log(2.0), chars_per_sec());
  return true;
}

void Trainer::report(double loss, bool evaluated) {
  if (!writer()) return;  // one progress report per run, not one per rank
  if (!line_.active() && progress_.step % cfg_.log_every == 0 && !evaluated) {
    spdlog::info("step {}/{} | epoch {} | loss {:.4f} | {:.0f} chars/s", progress_.step,
                 total_steps_, progress_.epoch + 1, loss, chars_per_sec());
  }
  if (line_.active()) {
    double remaining = static_cast<double>(total_steps_ - progress_.step) * bytes_per_step_ /
                       std::max(1.0, chars_per_sec());
    if (cfg_.time_limit > 0) remaining = std::min(remaining, cfg_.time_limit - elapsed());
    line_.update(progress_.step, total_steps_, progress_.epoch + 1, loss, chars_per_sec(),
                 remaining);
  }
}

double Trainer::chars_per_sec() const {
  const double s = seconds_since(session_start_);
  return s > 0 ? static_cast<double>((progress_.step - step_before_) * bytes_per_step_) / s : 0.0;
}

}  // namespace charrnn
