// charrnn train: options → ModelConfig + TrainConfig → charrnn::train().
#include <spdlog/spdlog.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "charrnn/errors.h"
#include "charrnn/store/checkpoint.h"
#include "charrnn/store/config_json.h"
#include "charrnn/store/run_paths.h"
#include "charrnn/train/distributed.h"
#include "charrnn/train/recipe.h"
#include "charrnn/train/train.h"
#include "charrnn/util/json_writer.h"
#include "commands.h"
#include "launcher.h"
#include "options.h"

namespace charrnn::cli {
namespace {

struct TrainOptions {
  ModelConfig model;
  TrainConfig train;
  std::string recipe;  // "" = none; else recipes() names it
  DistOptions dist;    // a rank's process-group options (torchrun or --nproc)
  int nproc = 1;       // > 1: start that many local ranks and wait for them
  bool json = false;
};

std::string recipe_help() {
  std::string help = "Set the options below from a measured recipe; flags you give win:";
  for (const Recipe& r : recipes()) help += "\n  " + r.name + ": " + r.summary;
  return help;
}

void on_signal(int signo) {
  request_stop(signo);
  std::signal(signo, SIG_DFL);  // a second Ctrl-C kills at once
}

// The configuration of the run in `out`: its latest checkpoint's, or, for a run stopped before
// its first checkpoint, its config.json's. False when the folder holds neither.
bool saved_config(const std::string& out, ModelConfig& model, TrainConfig& train) {
  const RunPaths run{out};
  if (std::filesystem::exists(run.latest())) {
    const Checkpoint ckpt = load_checkpoint(run.latest());
    model = ckpt.model;
    train = ckpt.train;
    return true;
  }
  const std::string config = run.config();
  if (!std::filesystem::exists(config)) return false;
  std::ifstream in(config);
  const auto j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  try {
    if (!j.is_object() || !j.contains("model") || !j.contains("train")) throw InputError("");
    model = model_config_from_json(j["model"]);
    train = train_config_from_json(j["train"]);
  } catch (const InputError&) {
    throw InputError("'" + config +
                     "' is damaged and there is no checkpoint to resume "
                     "(delete the run folder and start again)");
  }
  return true;
}

// On --resume the run's own configuration wins; flags may only change when and how long it
// runs. Any other flag given with a different value is refused rather than silently ignored.
// A folder with no checkpoint yet is resumed from its config.json (train() then starts it from
// scratch); a folder with neither starts a new run from the flags if --data is given (false).
bool merge_resumed(CLI::App& cmd, TrainOptions& o) {
  ModelConfig saved_model;
  TrainConfig merged;
  if (!saved_config(o.train.out, saved_model, merged)) {
    if (o.train.data.empty()) {
      throw InputError("nothing to resume in '" + o.train.out +
                       "' (no latest.ckpt or config.json; drop --resume, or add --data to start "
                       "the run)");
    }
    spdlog::info("nothing to resume in '{}': starting a new run", o.train.out);
    return false;  // train() starts afresh from the flags
  }
  auto given = [&](const char* flag) { return cmd.get_option(flag)->count() > 0; };
  auto check = [&](const char* flag, bool same) {
    if (given(flag) && !same) {
      throw InputError(std::string(flag) + " disagrees with the run being resumed in '" +
                       o.train.out + "' (drop " + flag + " to resume it)");
    }
  };
  check("--layers", o.model.layers == saved_model.layers);
  check("--hidden", o.model.hidden == saved_model.hidden);
  check("--dropout", o.model.dropout == saved_model.dropout);
  check("--batch", o.train.batch == merged.batch);
  check("--seq-len", o.train.seq_len == merged.seq_len);
  check("--val-frac", o.train.val_frac == merged.val_frac);
  check("--seed", o.train.seed == merged.seed);
  check("--lr", o.train.lr == merged.lr);
  check("--lr-decay", o.train.lr_decay == merged.lr_decay);
  check("--lr-decay-after", o.train.lr_decay_after == merged.lr_decay_after);
  check("--lr-schedule", o.train.lr_schedule == merged.lr_schedule);
  check("--lr-warmup", o.train.lr_warmup == merged.lr_warmup);
  check("--lr-floor", o.train.lr_floor == merged.lr_floor);
  check("--grad-clip", o.train.grad_clip == merged.grad_clip);
  if (given("--data")) merged.data = o.train.data;  // the corpus may have moved
  if (given("--epochs")) merged.epochs = o.train.epochs;
  if (given("--max-steps")) merged.max_steps = o.train.max_steps;
  if (given("--time-limit")) merged.time_limit = o.train.time_limit;
  if (given("--threads")) merged.threads = o.train.threads;
  if (given("--val-max-bytes")) merged.val_max_bytes = o.train.val_max_bytes;
  if (given("--device")) merged.device = o.train.device;
  if (given("--precision")) merged.precision = o.train.precision;
  if (given("--eval-every")) merged.eval_every = o.train.eval_every;
  if (given("--log-every")) merged.log_every = o.train.log_every;
  if (given("--no-fused")) merged.fused = o.train.fused;
  merged.out = o.train.out;
  merged.resume = true;
  o.model = saved_model;
  o.train = merged;
  return true;
}

// --nproc N: runs this command line without --nproc as N local ranks (their identical errors,
// e.g. a bad flag, are shown once).
int launch_ranks(const TrainOptions& o) {
  require_input(!dist_env_from_environment().distributed(),
                "--nproc inside a torchrun worker (drop --nproc, or launch charrnn directly)");
  // A resumed run's --batch is in its checkpoint: its ranks check that one.
  require_input(o.train.resume || o.train.batch % o.nproc == 0,
                "--batch " + std::to_string(o.train.batch) + " does not split evenly over " +
                    std::to_string(o.nproc) + " ranks (make --batch a multiple of --nproc)");
  std::vector<std::string> args;
  const auto& all = command_line();
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i] == "--nproc") {
      ++i;  // and its value
    } else if (all[i].rfind("--nproc=", 0) != 0) {
      args.push_back(all[i]);
    }
  }
  spdlog::info("starting {} ranks on this machine", o.nproc);
  return run_local_workers(args, o.nproc, o.dist.timeout + 10);
}

// A new run takes the recipe's values for the flags not given; a resumed run keeps the values
// it was started with (which hold its recipe's already).
void apply_recipe_flags(CLI::App& cmd, TrainOptions& o, bool resumed) {
  if (o.recipe.empty()) return;
  const Recipe& recipe = find_recipe(o.recipe);
  if (resumed) {
    spdlog::info("--recipe {}: the resumed run keeps the configuration it started with",
                 recipe.name);
    return;
  }
  apply_recipe(recipe, o.model, o.train,
               [&cmd](const char* flag) { return cmd.get_option(flag)->count() > 0; });
  spdlog::info("recipe {}: {}", recipe.name, recipe.summary);
}

}  // namespace

void add_train_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<TrainOptions>();
  auto* cmd = app.add_subcommand("train", "Train a model on a corpus (file or folder)");
  auto& m = o->model;
  auto& t = o->train;
  cmd->add_option("--recipe", o->recipe, recipe_help());
  cmd->add_option("--data", t.data,
                  "Corpus: a file, or a folder (every file, sorted, concatenated)");
  cmd->add_option("--out", t.out, "Run folder for checkpoints, metrics.jsonl and config.json");
  cmd->add_option("--val-frac", t.val_frac, "Last fraction of the corpus held out for validation");
  cmd->add_option("--val-max-bytes", t.val_max_bytes,
                  "Validate on at most the first N held-out bytes (0 = all of them)");
  add_shape_options(cmd, m);
  cmd->add_option("--dropout", m.dropout, "Dropout between layers and before the output (0 = off)");
  cmd->add_option("--batch", t.batch,
                  "Parallel streams B (the corpus is cut into B contiguous parts)");
  cmd->add_option("--seq-len", t.seq_len, "Bytes per stream per step (truncated BPTT length)");
  cmd->add_option("--lr", t.lr, "Adam learning rate");
  cmd->add_option("--lr-schedule", t.lr_schedule,
                  "char-rnn (per-epoch decay) | constant | linear | cosine (the last two decay "
                  "over the run's budget: --time-limit, --max-steps or --epochs)");
  cmd->add_option("--lr-decay", t.lr_decay,
                  "char-rnn schedule: per-epoch learning-rate multiplier once decay starts (1 = "
                  "off)");
  cmd->add_option("--lr-decay-after", t.lr_decay_after,
                  "char-rnn schedule: epochs at the full learning rate");
  cmd->add_option("--lr-warmup", t.lr_warmup,
                  "constant/linear/cosine: steps of linear warm-up from 0 (0 = none)");
  cmd->add_option("--lr-floor", t.lr_floor,
                  "linear/cosine: the final learning rate, as a fraction of --lr");
  cmd->add_option("--grad-clip", t.grad_clip, "Clip the global gradient norm to this (0 = off)");
  cmd->add_option("--epochs", t.epochs, "Stop after this many epochs");
  cmd->add_option("--max-steps", t.max_steps, "Stop after this many steps (0 = no limit)");
  cmd->add_option("--time-limit", t.time_limit,
                  "Stop after this many seconds of training (0 = no limit)");
  cmd->add_option("--seed", t.seed, "Random seed: same seed, same run");
  add_threads_option(cmd, t.threads);
  cmd->add_option("--eval-every", t.eval_every, "Validate and checkpoint every N steps");
  cmd->add_option("--log-every", t.log_every, "Log the training loss every N steps");
  add_device_option(cmd, t.device);
  add_precision_option(cmd, t.precision);
  cmd->add_flag("--resume", t.resume, "Continue the run in --out from its latest checkpoint");
  add_no_fused_flag(cmd, t.fused);
  cmd->add_flag("--json", o->json, "Print a JSON summary on stdout at the end");
  cmd->add_option("--nproc", o->nproc,
                  "Train as N data-parallel processes on this machine (each owns B/N streams; "
                  "torchrun's environment does the same across machines)")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--dist-backend", o->dist.backend,
                  "Data-parallel backend: auto (NCCL on CUDA when available, else Gloo), gloo or "
                  "nccl")
      ->check(CLI::IsMember({"auto", "gloo", "nccl"}));
  cmd->add_option("--dist-timeout", o->dist.timeout,
                  "Seconds a rank waits for the others before it stops with an error")
      ->check(CLI::PositiveNumber);
  auto isa = add_isa_option(cmd);
  cmd->callback([o, cmd, &exit_code, isa] {
    apply_isa(*isa);
    if (!o->train.resume && o->train.data.empty()) {
      throw InputError("train needs --data FILE_OR_FOLDER (or --resume to continue a run)");
    }
    if (o->nproc > 1) {
      // The recipe's --batch is the one the ranks will split (each applies it again).
      if (!o->train.resume) apply_recipe_flags(*cmd, *o, false);
      exit_code = launch_ranks(*o);
      return;
    }
    apply_recipe_flags(*cmd, *o, o->train.resume && merge_resumed(*cmd, *o));
    const DistEnv env = dist_env_from_environment();
    // One rank speaks for the run; the others only warn (their errors still show).
    if (env.rank != 0 && spdlog::get_level() < spdlog::level::warn) {
      spdlog::set_level(spdlog::level::warn);
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    const TrainSummary s = train(o->model, o->train, o->dist);
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    spdlog::info("done: {} steps, val {:.4f} nats/byte (best {:.4f}), {:.0f} chars/s; model in {}",
                 s.steps, s.val_loss, s.best_val, s.chars_per_sec, s.run_dir);
    if (o->json && env.rank == 0) {
      auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); };
      std::cout << dump_json(nlohmann::json{{"steps", s.steps},
                                            {"epoch", s.epoch},
                                            {"val_loss", num(s.val_loss)},
                                            {"best_val_loss", num(s.best_val)},
                                            {"val_bpb", num(s.val_loss / std::log(2.0))},
                                            {"chars_per_sec", s.chars_per_sec},
                                            {"elapsed", s.elapsed},
                                            {"stopped_by_signal", s.stop_signal},
                                            {"run_dir", s.run_dir}})
                << std::endl;
    }
    exit_code = s.stop_signal != 0 ? 128 + s.stop_signal : 0;
  });
}

}  // namespace charrnn::cli
