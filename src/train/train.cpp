// train(): the training run from top to bottom; each stage is a Trainer step (trainer.h).
#include "charrnn/train/train.h"

#include <atomic>

#include "train/trainer.h"

namespace charrnn {
namespace {

std::atomic<int> g_stop_signal{0};

}  // namespace

void request_stop(int signo) { g_stop_signal.store(signo); }

TrainSummary train(const ModelConfig& model_cfg, const TrainConfig& cfg, const DistOptions& dist) {
  Trainer trainer(model_cfg, cfg, dist);  // check inputs, join the ranks; nothing written yet
  trainer.open_run();                     // lock the run folder; fresh run or --resume
  trainer.build_model();                  // seeded weights and Adam on the device
  trainer.restore();                      // the checkpoint's state, or a fresh one; config.json
  trainer.begin();                        // log the run's shape; step 0 on disk for a fresh run
  const int stop_signal = trainer.loop(g_stop_signal);  // step, log, validate, save, roll back
  return trainer.finish(stop_signal);                   // last checkpoint and the summary
}

}  // namespace charrnn
