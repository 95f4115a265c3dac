// Loss plots from RUN/metrics.jsonl: one run's train and validation loss, or the validation
// loss of several runs on one chart (to compare recipes), against step or wall-clock time.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace charrnn {

struct LossCurves {
  std::vector<std::pair<int64_t, double>> train;  // (step, train_loss) where not null
  std::vector<std::pair<int64_t, double>> val;    // (step, val_loss) where present
  std::vector<double> train_elapsed;  // seconds of training at each train point (NaN if absent)
  std::vector<double> val_elapsed;    // the same for each val point
};

enum class LossAxis { kStep, kTime };  // x: optimizer step, or seconds of training

struct NamedCurves {
  std::string name;  // legend entry: the run folder's name
  LossCurves curves;
};

// Reads metrics.jsonl records {"step", "train_loss" (number or null), "val_loss" (optional),
// "elapsed" (optional)}.
// Lines that are not such objects (a torn last line) are skipped. Throws InputError when the
// file cannot be read or holds no loss at all.
LossCurves read_loss_curves(const std::string& metrics_jsonl);

// Draws `curves` into `png` with gnuplot; throws InputError when gnuplot is missing.
void plot_loss(const LossCurves& curves, const std::string& run_name, const std::string& png,
               LossAxis x = LossAxis::kStep);

// Draws each run's validation loss into `png`, one line per run; throws InputError when gnuplot
// is missing or a run has no validation point.
void plot_val_losses(const std::vector<NamedCurves>& runs, const std::string& png, LossAxis x);

}  // namespace charrnn
