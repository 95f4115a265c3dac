#include "charrnn/train.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>

#include "charrnn/batcher.h"
#include "charrnn/checkpoint.h"
#include "charrnn/config_json.h"
#include "charrnn/corpus.h"
#include "charrnn/device.h"
#include "charrnn/errors.h"
#include "charrnn/evaluate.h"
#include "charrnn/model.h"
#include "charrnn/progress_line.h"
#include "charrnn/run_dir.h"

namespace fs = std::filesystem;

namespace charrnn {
namespace {

std::atomic<int> g_stop_signal{0};

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void validate(const TrainConfig& c) {
  auto require = [](bool ok, const std::string& msg) {
    if (!ok) throw InputError(msg);
  };
  require(c.lr > 0 && std::isfinite(c.lr), "--lr must be a positive number");
  require(c.lr_decay > 0 && c.lr_decay <= 1, "--lr-decay must be in (0, 1] (1 = off)");
  require(c.lr_decay_after >= 0, "--lr-decay-after must be >= 0");
  require(c.grad_clip >= 0, "--grad-clip must be >= 0 (0 = off)");
  require(c.epochs >= 1, "--epochs must be at least 1");
  require(c.max_steps >= 0, "--max-steps must be >= 0 (0 = no limit)");
  require(c.time_limit >= 0, "--time-limit must be >= 0 seconds (0 = no limit)");
  require(c.eval_every >= 1, "--eval-every must be at least 1");
  require(c.log_every >= 1, "--log-every must be at least 1");
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

}  // namespace

void request_stop(int signo) { g_stop_signal.store(signo); }

TrainSummary train(const ModelConfig& model_cfg, const TrainConfig& cfg) {
  validate(cfg);
  const auto device = resolve_device(cfg.device);
  configure_threads(cfg.threads);

  // Read and check all input before touching the run folder.
  const Corpus corpus = read_corpus(cfg.data);
  const Split split = split_corpus(corpus.view(), cfg.val_frac);
  StreamBatcher batcher(split.train, cfg.batch, cfg.seq_len, "the training split");
  const bool has_val = split.val.size > 0;
  if (has_val && static_cast<int64_t>(split.val.size) < cfg.seq_len + 1) {
    throw InputError("the validation split has " + std::to_string(split.val.size) +
                     " bytes, fewer than --seq-len + 1 (raise --val-frac, lower --seq-len, or "
                     "pass --val-frac 0)");
  }

  RunDir run(cfg.out);
  if (!cfg.resume && fs::exists(run.latest())) {
    throw InputError("run folder '" + cfg.out +
                     "' already holds a run (add --resume to continue it, or choose another --out)");
  }
  Checkpoint resumed;
  if (cfg.resume) {
    if (!fs::exists(run.latest())) {
      throw InputError("nothing to resume in '" + cfg.out + "' (no latest.ckpt; drop --resume)");
    }
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
  Progress progress;
  State state;
  if (cfg.resume) {
    auto restored = restore_model(resumed);
    torch::NoGradGuard no_grad;
    auto dst = model->parameters();
    auto src = restored->parameters();
    for (size_t i = 0; i < dst.size(); ++i) dst[i].copy_(src[i]);
  }
  model->to(device);
  model->train();
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(cfg.lr));
  if (cfg.resume) {
    restore_optimizer(resumed, model, opt);
    progress = resumed.progress;
    auto h = resumed.tensors.find("state.h");
    auto c = resumed.tensors.find("state.c");
    const std::vector<int64_t> shape{model_cfg.layers, cfg.batch, model_cfg.hidden};
    if (h == resumed.tensors.end() || c == resumed.tensors.end() ||
        h->second.sizes().vec() != shape || c->second.sizes().vec() != shape) {
      throw InputError("checkpoint's carried state disagrees with --batch (drop --batch to resume)");
    }
    state = {h->second.to(device), c->second.to(device)};
    if (auto r = resumed.tensors.find("rng.cpu"); r != resumed.tensors.end()) set_rng_state(r->second);
    spdlog::info("resuming '{}' at step {} (epoch {})", cfg.out, progress.step, progress.epoch);
  } else {
    state = model->initial_state(cfg.batch);
  }

  write_file_atomic(run.config(),
                    nlohmann::json{{"model", to_json(model_cfg)}, {"train", to_json(cfg)}}.dump(2) +
                        "\n");
  MetricsLog metrics(run.metrics(), progress.step);

  const int64_t nb = batcher.batches_per_epoch();
  const int64_t total_steps =
      cfg.max_steps > 0 ? std::min<int64_t>(cfg.max_steps, cfg.epochs * nb) : cfg.epochs * nb;
  spdlog::info("corpus: {} bytes from {} file(s); train {} / val {} bytes; {} steps per epoch",
               corpus.bytes.size(), corpus.files.size(), split.train.size, split.val.size, nb);
  spdlog::info("model: {} layers x {} hidden, {} parameters, device {}", model_cfg.layers,
               model_cfg.hidden, count_parameters(model), device.str());

  const auto session_start = Clock::now();
  const double elapsed_before = progress.elapsed;
  const int64_t step_before = progress.step;
  const int64_t bytes_per_step = static_cast<int64_t>(cfg.batch) * cfg.seq_len;
  double loss_sum = 0;  // train loss since the last metrics record
  int64_t loss_count = 0;
  int64_t saved_step = cfg.resume ? progress.step : -1;
  ProgressLine line;

  auto elapsed = [&] { return elapsed_before + seconds_since(session_start); };
  auto chars_per_sec = [&] {
    const double s = seconds_since(session_start);
    return s > 0 ? static_cast<double>((progress.step - step_before) * bytes_per_step) / s : 0.0;
  };
  auto checkpoint = [&](bool validate_now) {
    if (validate_now && has_val) {
      const auto r = evaluate(model, split.val, cfg.batch, cfg.seq_len, "the validation split");
      progress.last_val = r.nats_per_byte;
    }
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
    save_checkpoint(run.latest(), ckpt);
    if (improved || (!has_val && validate_now)) save_checkpoint(run.best(), ckpt);
    saved_step = progress.step;
    return improved;
  };
  auto record = [&](bool with_val) {
    nlohmann::json r{{"step", progress.step},
                     {"epoch", progress.epoch + static_cast<double>(progress.batch_in_epoch) / nb},
                     {"train_loss", loss_count > 0 ? nlohmann::json(loss_sum / loss_count)
                                                   : nlohmann::json(nullptr)},
                     {"chars_per_sec", chars_per_sec()},
                     {"lr", lr_at(cfg, progress.epoch)},
                     {"elapsed", elapsed()}};
    if (with_val && has_val) {
      r["val_loss"] = progress.last_val;
      r["val_bpb"] = progress.last_val / std::log(2.0);
    }
    metrics.append(r);
    loss_sum = 0;
    loss_count = 0;
  };

  int stop_signal = 0;
  while (true) {
    if ((stop_signal = g_stop_signal.load()) != 0) break;
    if (progress.batch_in_epoch >= nb) {  // next epoch: streams restart from zero state
      ++progress.epoch;
      progress.batch_in_epoch = 0;
      state = model->initial_state(cfg.batch);
    }
    if (progress.epoch >= cfg.epochs) break;
    if (cfg.max_steps > 0 && progress.step >= cfg.max_steps) break;
    if (cfg.time_limit > 0 && elapsed() >= cfg.time_limit) break;

    set_lr(opt, lr_at(cfg, progress.epoch));
    auto [x, y] = batcher.get(progress.batch_in_epoch);
    x = x.to(device, /*non_blocking=*/true);
    y = y.to(device, /*non_blocking=*/true);
    auto [logits, next] = model->forward(x, state);
    // logits: (B,T,256) → mean cross-entropy per byte (nats)
    auto loss = torch::nn::functional::cross_entropy(logits.reshape({-1, kVocab}), y.reshape({-1}));
    opt.zero_grad();
    loss.backward();
    if (cfg.grad_clip > 0) torch::nn::utils::clip_grad_norm_(model->parameters(), cfg.grad_clip);
    const double loss_value = loss.item<double>();
    if (!std::isfinite(loss_value)) {
      throw std::runtime_error("training loss became " + std::to_string(loss_value) + " at step " +
                               std::to_string(progress.step + 1) +
                               " (lower --lr, or resume from the last checkpoint with --resume)");
    }
    opt.step();
    state = next.detach();
    ++progress.step;
    ++progress.batch_in_epoch;
    loss_sum += loss_value;
    ++loss_count;

    const bool eval_now = progress.step % cfg.eval_every == 0;
    if (eval_now) {
      line.clear();
      checkpoint(true);
      spdlog::info("step {} | epoch {} | train {:.4f} | val {:.4f} nats/byte ({:.4f} bits) | {:.0f} "
                   "chars/s",
                   progress.step, progress.epoch + 1, loss_value, progress.last_val,
                   progress.last_val / std::log(2.0), chars_per_sec());
      record(true);
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
  }
  line.clear();

  if (stop_signal != 0) {
    checkpoint(false);
    spdlog::warn("stopped by signal {} at step {}; checkpoint saved. Resume with: charrnn train "
                 "--out {} --resume",
                 stop_signal, progress.step, cfg.out);
  } else if (saved_step != progress.step) {
    checkpoint(true);
    record(true);
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
