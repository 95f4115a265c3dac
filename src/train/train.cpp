#include "charrnn/train/train.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <limits>

#include "charrnn/data/batcher.h"
#include "charrnn/data/corpus.h"
#include "charrnn/errors.h"
#include "charrnn/model/model.h"
#include "charrnn/store/checkpoint.h"
#include "charrnn/store/config_json.h"
#include "charrnn/store/run_dir.h"
#include "charrnn/train/evaluate.h"
#include "charrnn/train/fault_injection.h"
#include "charrnn/train/precision.h"
#include "charrnn/train/progress_line.h"
#include "charrnn/train/train_step.h"
#include "charrnn/util/device.h"

namespace fs = std::filesystem;

namespace charrnn {
namespace {

std::atomic<int> g_stop_signal{0};

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void validate(const ModelConfig& m, const TrainConfig& c) {
  auto require = [](bool ok, const std::string& msg) {
    if (!ok) throw InputError(msg);
  };
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
  require(c.grad_clip >= 0, "--grad-clip must be >= 0 (0 = off)");
  require(c.epochs >= 1, "--epochs must be at least 1");
  require(c.max_steps >= 0, "--max-steps must be >= 0 (0 = no limit)");
  require(c.time_limit >= 0, "--time-limit must be >= 0 seconds (0 = no limit)");
  require(c.eval_every >= 1, "--eval-every must be at least 1");
  require(c.log_every >= 1, "--log-every must be at least 1");
  require(c.val_max_bytes >= 0, "--val-max-bytes must be >= 0 (0 = the whole validation split)");
  parse_precision(c.precision);  // throws on a bad name
}

// char-rnn's schedule: full rate for lr_decay_after epochs, then × lr_decay per epoch.
double lr_at(const TrainConfig& c, int64_t epoch) {
  return c.lr * std::pow(c.lr_decay, std::max<int64_t>(0, epoch - c.lr_decay_after + 1));
}

void set_lr(torch::optim::Adam& opt, double lr) {
  for (auto& group : opt.param_groups()) {
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
  }
}

at::Tensor rng_state() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void set_rng_state(const at::Tensor& s) {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(s);
}

// Consecutive NaN/Inf faults tolerated: each rolls back and halves the learning rate; the
// next one stops the run.
constexpr int kMaxNumericalFaults = 3;

bool all_finite(const CharLSTM& model) {
  for (const auto& p : model->parameters()) {
    if (!torch::isfinite(p).all().item<bool>()) return false;
  }
  return true;
}

// Bytes a checkpoint of this model and batch takes: weights, Adam's two moments, carried state.
uint64_t checkpoint_bytes(const CharLSTM& model, const ModelConfig& m, int batch) {
  const uint64_t params = static_cast<uint64_t>(count_parameters(model));
  const uint64_t state = 2ull * m.layers * static_cast<uint64_t>(batch) * m.hidden;
  return 4 * (3 * params + state) + (64 << 10);  // + header and RNG state
}

}  // namespace

void request_stop(int signo) { g_stop_signal.store(signo); }

TrainSummary train(const ModelConfig& model_cfg, const TrainConfig& cfg) {
  validate(model_cfg, cfg);
  const auto device = resolve_device(cfg.device);
  const Precision precision = parse_precision(cfg.precision);
  check_precision(precision, device);
  configure_threads(cfg.threads);

  // Read and check all input before touching the run folder.
  const Corpus corpus = read_corpus(cfg.data);
  const Split split = split_corpus(corpus.view(), cfg.val_frac);
  StreamBatcher batcher(split.train, cfg.batch, cfg.seq_len, "the training split");
  // A fixed prefix of the held-out bytes: validation of a 1 GB corpus's 100 MB split would take
  // minutes every --eval-every steps, while 1 MiB already pins the loss to about +-0.002.
  ByteView val = split.val;
  if (cfg.val_max_bytes > 0) val.size = std::min<size_t>(val.size, cfg.val_max_bytes);
  const bool has_val = val.size > 0;
  if (has_val && static_cast<int64_t>(val.size) < cfg.seq_len + 1) {
    throw InputError("the validation split has " + std::to_string(val.size) +
                     " bytes, fewer than --seq-len + 1 (raise --val-frac or --val-max-bytes, lower "
                     "--seq-len, or pass --val-frac 0)");
  }

  RunDir run(cfg.out);
  bool resume = cfg.resume;
  if (resume && !fs::exists(run.latest())) {
    // A run killed before its first checkpoint left nothing to continue: begin it again.
    spdlog::info("no checkpoint in '{}' yet: starting the run from scratch", cfg.out);
    resume = false;
  } else if (!resume && fs::exists(run.latest())) {
    throw InputError(
        "run folder '" + cfg.out +
        "' already holds a run (add --resume to continue it, or choose another --out)");
  }
  Checkpoint resumed;
  if (resume) {
    resumed = load_checkpoint(run.latest());
    const auto& m = resumed.model;
    if (m.layers != model_cfg.layers || m.hidden != model_cfg.hidden ||
        m.dropout != model_cfg.dropout) {
      throw InputError("--layers/--hidden/--dropout disagree with the checkpoint in '" + cfg.out +
                       "' (drop them to resume)");
    }
  }

  torch::manual_seed(cfg.seed);
  CharLSTM model(model_cfg);
  model->set_fused(cfg.fused);
  model->to(device);
  model->train();
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(cfg.lr));
  Progress progress;
  State state;
  // Everything that decides the next step comes from `ck`: weights, optimizer, progress,
  // carried state, RNG. Used to resume and to roll back after a NaN.
  auto restore_from = [&](const Checkpoint& ck) {
    {
      auto restored = restore_model(ck);
      torch::NoGradGuard no_grad;
      auto dst = model->parameters();
      auto src = restored->parameters();
      for (size_t i = 0; i < dst.size(); ++i) dst[i].copy_(src[i]);
    }
    restore_optimizer(ck, model, opt);
    progress = ck.progress;
    auto h = ck.tensors.find("state.h");
    auto c = ck.tensors.find("state.c");
    const std::vector<int64_t> shape{model_cfg.layers, cfg.batch, model_cfg.hidden};
    if (h == ck.tensors.end() || c == ck.tensors.end() || h->second.sizes().vec() != shape ||
        c->second.sizes().vec() != shape) {
      throw InputError(
          "checkpoint's carried state disagrees with --batch (drop --batch to resume)");
    }
    state = {h->second.to(device), c->second.to(device)};
    if (auto r = ck.tensors.find("rng.cpu"); r != ck.tensors.end()) set_rng_state(r->second);
  };
  if (resume) {
    restore_from(resumed);
    resumed = Checkpoint{};
    spdlog::info("resuming '{}' at step {} (epoch {})", cfg.out, progress.step, progress.epoch);
    if (progress.lr_scale < 1) {
      spdlog::info("learning rate at {} of --lr after earlier NaN/Inf rollbacks",
                   progress.lr_scale);
    }
  } else {
    state = model->initial_state(cfg.batch);
  }

  const uint64_t ckpt_bytes = checkpoint_bytes(model, model_cfg, cfg.batch);
  // latest + best + one temporary file while either is replaced (fewer when they exist).
  run.require_space(resume ? ckpt_bytes : 3 * ckpt_bytes, ckpt_bytes);
  write_file_atomic(run.config(),
                    nlohmann::json{{"model", to_json(model_cfg)}, {"train", to_json(cfg)}}.dump(
                        2, ' ', false, nlohmann::json::error_handler_t::replace) +
                        "\n");
  MetricsLog metrics(run.metrics(), progress.step);

  const int64_t nb = batcher.batches_per_epoch();
  const int64_t total_steps =
      cfg.max_steps > 0 ? std::min<int64_t>(cfg.max_steps, cfg.epochs * nb) : cfg.epochs * nb;
  spdlog::info("corpus: {} bytes from {} file(s); train {} / val {} bytes; {} steps per epoch",
               corpus.size, corpus.files.size(), split.train.size, split.val.size, nb);
  if (val.size < split.val.size) {
    spdlog::info("validating on the first {} of the {} held-out bytes (--val-max-bytes)", val.size,
                 split.val.size);
  }
  spdlog::info("model: {} layers x {} hidden, {} parameters, device {}, {}", model_cfg.layers,
               model_cfg.hidden, count_parameters(model), device.str(), precision_name(precision));

  const auto session_start = Clock::now();
  const double elapsed_before = progress.elapsed;
  const int64_t step_before = progress.step;
  const int64_t bytes_per_step = static_cast<int64_t>(cfg.batch) * cfg.seq_len;
  double loss_sum = 0;  // train loss since the last metrics record
  int64_t loss_count = 0;
  double step_lr = cfg.lr;  // the learning rate the latest step used
  int64_t saved_step = -1;
  int faults = 0;  // consecutive NaN/Inf faults since the last good checkpoint
  FaultInjection inject = FaultInjection::from_env();
  // fp16 only. Its scale is not checkpointed: a resumed run re-finds it within a few steps.
  LossScaler scaler(precision == Precision::kFp16);
  ProgressLine line;

  auto elapsed = [&] { return elapsed_before + seconds_since(session_start); };
  auto chars_per_sec = [&] {
    const double s = seconds_since(session_start);
    return s > 0 ? static_cast<double>((progress.step - step_before) * bytes_per_step) / s : 0.0;
  };
  auto record = [&](bool with_val) {
    nlohmann::json r{{"step", progress.step},
                     {"epoch", progress.epoch + static_cast<double>(progress.batch_in_epoch) / nb},
                     {"train_loss", loss_count > 0 ? nlohmann::json(loss_sum / loss_count)
                                                   : nlohmann::json(nullptr)},
                     {"chars_per_sec", chars_per_sec()},
                     {"lr", step_lr},
                     {"elapsed", elapsed()}};
    if (with_val && has_val) {
      r["val_loss"] = progress.last_val;
      r["val_bpb"] = progress.last_val / std::log(2.0);
    }
    metrics.append(r);
    loss_sum = 0;
    loss_count = 0;
  };
  // Validates (if asked), appends the step's metrics record (if asked) and saves latest.ckpt
  // (and best.ckpt when validation improved). The record goes first: a kill between the two
  // leaves a record past the checkpoint, which the resumed run drops and writes again.
  // Returns false, saving nothing, when the weights or the validation loss are not finite.
  auto checkpoint = [&](bool validate_now, bool with_record) {
    if (validate_now && has_val) {
      const auto r = evaluate(model, val, cfg.batch, cfg.seq_len, "the validation split");
      progress.last_val = r.nats_per_byte;
      if (!std::isfinite(progress.last_val)) return false;
    }
    if (!all_finite(model)) return false;
    if (with_record) record(validate_now);
    progress.elapsed = elapsed();
    Checkpoint ckpt;
    ckpt.model = model_cfg;
    ckpt.train = cfg;
    ckpt.train.resume = false;
    ckpt.progress = progress;
    store_model(model, ckpt);
    store_optimizer(opt, model, ckpt);
    ckpt.tensors["state.h"] = state.h;
    ckpt.tensors["state.c"] = state.c;
    ckpt.tensors["rng.cpu"] = rng_state();
    const bool improved = has_val && progress.last_val < progress.best_val;
    if (improved) ckpt.progress.best_val = progress.best_val = progress.last_val;
    // best before latest: a kill between the two is then redone on resume, best included.
    if (improved || (!has_val && validate_now)) save_checkpoint(run.best(), ckpt);
    save_checkpoint(run.latest(), ckpt);
    if (saved_step < progress.step) faults = 0;  // got past the fault: a fresh allowance
    saved_step = progress.step;
    return true;
  };
  // A NaN or Inf: back to latest.ckpt (the last good state) at half the learning rate, or
  // stop once that has failed kMaxNumericalFaults times in a row.
  auto roll_back = [&](const std::string& what, int64_t at_step) {
    line.clear();
    const Checkpoint good = load_checkpoint(run.latest());
    if (++faults >= kMaxNumericalFaults) {
      throw InputError("training diverged: " + what + " at step " + std::to_string(at_step) + ", " +
                       std::to_string(faults) +
                       " times in a row even after halving the learning rate; the run keeps its "
                       "last good checkpoint (step " +
                       std::to_string(good.progress.step) +
                       ") (start a new run with a lower --lr or a smaller --grad-clip)");
    }
    const double lr_scale = progress.lr_scale * 0.5;  // compounds until a new checkpoint
    restore_from(good);
    progress.lr_scale = lr_scale;
    loss_sum = 0;
    loss_count = 0;
    metrics = MetricsLog(run.metrics(), progress.step);  // the steps redone will be logged again
    spdlog::warn(
        "{} at step {}: rolled back to the checkpoint at step {}, learning rate now {} "
        "of --lr",
        what, at_step, progress.step, progress.lr_scale);
  };
  auto roll_over_epoch = [&] {  // next epoch: streams restart from zero state
    if (progress.batch_in_epoch >= nb) {
      ++progress.epoch;
      progress.batch_in_epoch = 0;
      state = model->initial_state(cfg.batch);
    }
  };

  if (!resume) {
    // Step 0 on disk at once: a NaN before the first validation rolls back to it, and a
    // killed run resumes from it.
    checkpoint(false, false);
  } else {
    saved_step = progress.step;
  }

  int stop_signal = 0;
  while (true) {
    if ((stop_signal = g_stop_signal.load()) != 0) break;
    roll_over_epoch();
    if (progress.epoch >= cfg.epochs) break;
    if (cfg.max_steps > 0 && progress.step >= cfg.max_steps) break;
    if (cfg.time_limit > 0 && elapsed() >= cfg.time_limit) break;

    const int64_t this_step = progress.step + 1;
    step_lr = lr_at(cfg, progress.epoch) * progress.lr_scale;
    set_lr(opt, step_lr);
    auto [x, y] = batcher.get(progress.batch_in_epoch);
    if (device.is_cuda()) {  // page-locked host memory lets the copies run asynchronously
      x = x.pin_memory().to(device, /*non_blocking=*/true);
      y = y.pin_memory().to(device, /*non_blocking=*/true);
    }
    const StepOutcome step = train_step(model, opt, x, y, state, cfg.grad_clip,
                                        {inject.fire(FaultInjection::Kind::kLossNaN, this_step),
                                         inject.fire(FaultInjection::Kind::kGradInf, this_step)},
                                        precision, &scaler);
    if (step.overflow) {
      spdlog::debug("step {}: fp16 gradients overflowed; update skipped, loss scale now {}",
                    this_step, scaler.scale());
    } else if (!step.stepped()) {
      roll_back(std::isfinite(step.loss)
                    ? "the gradient norm became " + std::to_string(step.grad_norm)
                    : "the training loss became " + std::to_string(step.loss),
                this_step);
      continue;
    }
    const double loss_value = step.loss;
    ++progress.step;
    ++progress.batch_in_epoch;
    loss_sum += loss_value;
    ++loss_count;

    const bool last =
        progress.step >= total_steps || (cfg.time_limit > 0 && elapsed() >= cfg.time_limit);
    const bool eval_now = progress.step % cfg.eval_every == 0 || last;
    if (eval_now) {
      line.clear();
      const int64_t at = progress.step;
      if (!checkpoint(true, true)) {
        roll_back("the weights or the validation loss became NaN or Inf", at);
        continue;
      }
      spdlog::info(
          "step {} | epoch {} | train {:.4f} | val {:.4f} nats/byte ({:.4f} bits) | {:.0f} "
          "chars/s",
          progress.step, progress.epoch + 1, loss_value, progress.last_val,
          progress.last_val / std::log(2.0), chars_per_sec());
    } else if (progress.step % cfg.log_every == 0) {
      record(false);
    }
    if (!line.active() && progress.step % cfg.log_every == 0 && !eval_now) {
      spdlog::info("step {}/{} | epoch {} | loss {:.4f} | {:.0f} chars/s", progress.step,
                   total_steps, progress.epoch + 1, loss_value, chars_per_sec());
    }
    if (line.active()) {
      double remaining = static_cast<double>(total_steps - progress.step) * bytes_per_step /
                         std::max(1.0, chars_per_sec());
      if (cfg.time_limit > 0) remaining = std::min(remaining, cfg.time_limit - elapsed());
      line.update(progress.step, total_steps, progress.epoch + 1, loss_value, chars_per_sec(),
                  remaining);
    }
    if (last) break;
  }
  line.clear();

  if (stop_signal != 0) {
    if (saved_step != progress.step) checkpoint(false, false);
    spdlog::warn(
        "stopped by signal {} at step {}; checkpoint saved. Resume with: charrnn train "
        "--out {} --resume",
        stop_signal, progress.step, cfg.out);
  } else if (saved_step != progress.step) {
    if (!checkpoint(true, true)) {
      throw InputError(
          "training diverged: the weights became NaN or Inf at step " +
          std::to_string(progress.step) +
          "; the run keeps its last good checkpoint (start a new run with a lower --lr)");
    }
  }
  if (!fs::exists(run.best())) save_checkpoint(run.best(), load_checkpoint(run.latest()));

  TrainSummary s;
  s.steps = progress.step;
  s.epoch = progress.epoch;
  s.val_loss = progress.last_val;
  s.best_val = progress.best_val;
  s.chars_per_sec = chars_per_sec();
  s.elapsed = elapsed();
  s.stop_signal = stop_signal;
  s.run_dir = cfg.out;
  return s;
}

}  // namespace charrnn
