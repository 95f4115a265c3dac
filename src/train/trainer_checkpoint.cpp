// Trainer's checkpoints, metrics records and NaN/Inf rollbacks.
#include <spdlog/spdlog.h>

#include <cmath>

#include "charrnn/errors.h"
#include "charrnn/store/run_paths.h"
#include "charrnn/train/evaluate.h"
#include "train/data_parallel.h"
#include "train/trainer.h"

namespace charrnn {
namespace {

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

}  // namespace

// Everything that decides the next step comes from `ck`: weights, optimizer, progress, carried
// state, RNG. Used to resume and to roll back after a NaN.
void Trainer::restore_from(const Checkpoint& ck) {
  {
    auto restored = restore_model(ck);
    torch::NoGradGuard no_grad;
    auto dst = model_->parameters();
    auto src = restored->parameters();
    for (size_t i = 0; i < dst.size(); ++i) dst[i].copy_(src[i]);
  }
  restore_optimizer(ck, model_, *opt_);
  progress_ = ck.progress;
  auto h = ck.tensors.find("state.h");
  auto c = ck.tensors.find("state.c");
  const std::vector<int64_t> shape{model_cfg_.layers, cfg_.batch, model_cfg_.hidden};  // (L,B,H)
  if (h == ck.tensors.end() || c == ck.tensors.end() || h->second.sizes().vec() != shape ||
      c->second.sizes().vec() != shape) {
    throw InputError("checkpoint's carried state disagrees with --batch (drop --batch to resume)");
  }
  // This rank's streams of the run's (L,B,H) state: any number of ranks can resume any run.
  state_ =
      streams_of({h->second.to(device_), c->second.to(device_)}, stream_offset_, stream_count_);
  if (auto r = ck.tensors.find("rng.cpu"); r != ck.tensors.end()) set_rng_state(r->second);
}

// Validates (if asked), appends the step's metrics record (if asked) and saves latest.ckpt
// (and best.ckpt when validation improved). The record goes first: a kill between the two
// leaves a record past the checkpoint, which the resumed run drops and writes again.
// Returns false, saving nothing, when the weights or the validation loss are not finite.
bool Trainer::checkpoint(bool validate_now, bool with_record) {
  if (validate_now && has_val_) {
    const auto r = evaluate(model_, data_->val, cfg_.batch, cfg_.seq_len, "the validation split",
                            group_.get());
    progress_.last_val = r.nats_per_byte;
    if (!std::isfinite(progress_.last_val)) return false;
  }
  if (!all_finite(model_)) return false;
  if (with_record) record(validate_now);
  progress_.elapsed = writer() ? elapsed() : 0;
  if (group_) {  // rank 0's clock goes into the checkpoint every rank resumes from
    auto clock = torch::tensor({progress_.elapsed}, torch::kFloat64);
    group_->allreduce_sum(clock);
    progress_.elapsed = clock.item<double>();
  }
  Checkpoint ckpt = snapshot();  // a collective: the state of every rank's streams
  const bool improved = has_val_ && progress_.last_val < progress_.best_val;
  if (improved) ckpt.progress.best_val = progress_.best_val = progress_.last_val;
  // best before latest: a kill between the two is then redone on resume, best included.
  if (writer() && (improved || (!has_val_ && validate_now))) {
    save_checkpoint(run_->paths().best(), ckpt);
  }
  if (writer()) save_checkpoint(run_->paths().latest(), ckpt);
  if (saved_step_ < progress_.step) faults_ = 0;  // got past the fault: a fresh allowance
  saved_step_ = progress_.step;
  return true;
}

// The checkpoint of this moment: configuration, progress, weights, optimizer, state, RNG.
Checkpoint Trainer::snapshot() const {
  Checkpoint ckpt;
  ckpt.model = model_cfg_;
  ckpt.train = cfg_;
  ckpt.train.resume = false;
  ckpt.progress = progress_;
  store_model(model_, ckpt);
  store_optimizer(*opt_, model_, ckpt);
  // (L,B,H): every rank's streams in order, so the file is the same whatever the world size.
  const State whole = group_ ? gather_streams(*group_, state_) : state_;
  ckpt.tensors["state.h"] = whole.h;
  ckpt.tensors["state.c"] = whole.c;
  ckpt.tensors["rng.cpu"] = rng_state();
  return ckpt;
}

// One metrics.jsonl record: the mean train loss since the last one, and validation if asked.
void Trainer::record(bool with_val) {
  if (!writer()) {  // rank 0 keeps the run's log
    loss_sum_ = 0;
    loss_count_ = 0;
    return;
  }
  nlohmann::json r{
      {"step", progress_.step},
      {"epoch", progress_.epoch + static_cast<double>(progress_.batch_in_epoch) / steps_per_epoch_},
      {"train_loss",
       loss_count_ > 0 ? nlohmann::json(loss_sum_ / loss_count_) : nlohmann::json(nullptr)},
      {"chars_per_sec", chars_per_sec()},
      {"lr", step_lr_},
      {"elapsed", elapsed()}};
  if (with_val && has_val_) {
    r["val_loss"] = progress_.last_val;
    r["val_bpb"] = progress_.last_val / std::log(2.0);
  }
  metrics_->append(r);
  loss_sum_ = 0;
  loss_count_ = 0;
}

// A NaN or Inf: back to latest.ckpt (the last good state) at half the learning rate, or
// stop once that has failed kMaxNumericalFaults times in a row.
void Trainer::roll_back(const std::string& what, int64_t at_step) {
  line_.clear();
  const Checkpoint good = load_checkpoint(RunPaths{cfg_.out}.latest());
  if (++faults_ >= kMaxNumericalFaults) {
    throw InputError("training diverged: " + what + " at step " + std::to_string(at_step) + ", " +
                     std::to_string(faults_) +
                     " times in a row even after halving the learning rate; the run keeps its "
                     "last good checkpoint (step " +
                     std::to_string(good.progress.step) +
                     ") (start a new run with a lower --lr or a smaller --grad-clip)");
  }
  const double lr_scale = progress_.lr_scale * 0.5;  // compounds until a new checkpoint
  restore_from(good);
  progress_.lr_scale = lr_scale;
  loss_sum_ = 0;
  loss_count_ = 0;
  if (writer()) metrics_.emplace(run_->paths().metrics(), progress_.step);  // logged again
  spdlog::warn(
      "{} at step {}: rolled back to the checkpoint at step {}, learning rate now {} of --lr", what,
      at_step, progress_.step, progress_.lr_scale);
}

}  // namespace charrnn
