// Loss plot: a run's train and validation loss against step, from RUN/metrics.jsonl.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace charrnn {

struct LossCurves {
  std::vector<std::pair<int64_t, double>> train;  // (step, train_loss) where not null
  std::vector<std::pair<int64_t, double>> val;    // (step, val_loss) where present
};

// Reads metrics.jsonl records {"step", "train_loss" (number or null), "val_loss" (optional)}.
// Lines that are not such objects (a torn last line) are skipped. Throws InputError when the
// file cannot be read or holds no loss at all.
LossCurves read_loss_curves(const std::string& metrics_jsonl);

// Draws `curves` into `png` with gnuplot; throws InputError when gnuplot is missing.
void plot_loss(const LossCurves& curves, const std::string& run_name, const std::string& png);

}  // namespace charrnn
