// Train/validation loss curves from metrics.jsonl, drawn with gnuplot.
#include "charrnn/util/loss_plot.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "charrnn/errors.h"
#include "charrnn/util/plot.h"

namespace charrnn {

LossCurves read_loss_curves(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    throw InputError("cannot read " + path + ": " + std::strerror(errno) +
                     " (pass a run folder that charrnn train wrote)");
  }
  LossCurves c;
  std::string line;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("step") || !j["step"].is_number()) continue;
    const auto step = j["step"].get<int64_t>();
    const double elapsed = j.contains("elapsed") && j["elapsed"].is_number()
                               ? j["elapsed"].get<double>()
                               : std::numeric_limits<double>::quiet_NaN();
    if (j.contains("train_loss") && j["train_loss"].is_number()) {
      c.train.emplace_back(step, j["train_loss"].get<double>());
      c.train_elapsed.push_back(elapsed);
    }
    if (j.contains("val_loss") && j["val_loss"].is_number()) {
      c.val.emplace_back(step, j["val_loss"].get<double>());
      c.val_elapsed.push_back(elapsed);
    }
  }
  if (c.train.empty() && c.val.empty()) {
    throw InputError(path + " holds no loss records yet (train longer than --log-every steps)");
  }
  return c;
}

namespace {

std::string require_gnuplot() {
  const auto gnuplot = find_gnuplot();
  if (!gnuplot) {
    throw InputError("gnuplot not found on PATH; install it (apt-get install gnuplot-nox)");
  }
  return *gnuplot;
}

// One curve as plot points: x is the step, or the elapsed seconds (records without them —
// runs from before metrics carried "elapsed" — are left out).
PlotSeries series(const std::string& title, const std::vector<std::pair<int64_t, double>>& loss,
                  const std::vector<double>& elapsed, LossAxis x) {
  PlotSeries out{title, {}, false};
  for (size_t i = 0; i < loss.size(); ++i) {
    const double at = x == LossAxis::kStep ? static_cast<double>(loss[i].first) : elapsed[i];
    if (std::isfinite(at)) out.points.emplace_back(at, loss[i].second);
  }
  return out;
}

const char* axis_label(LossAxis x) { return x == LossAxis::kStep ? "step" : "seconds of training"; }

}  // namespace

void plot_loss(const LossCurves& curves, const std::string& run_name, const std::string& png,
               LossAxis x) {
  const std::string gnuplot = require_gnuplot();
  PlotSpec spec;
  spec.output = png;
  spec.title = "Loss: " + run_name;
  spec.xlabel = axis_label(x);
  spec.ylabel = "loss (nats/byte)";
  PlotSeries train = series("train", curves.train, curves.train_elapsed, x);
  PlotSeries val = series("validation", curves.val, curves.val_elapsed, x);
  if (!train.points.empty()) spec.series.push_back(std::move(train));
  if (!val.points.empty()) spec.series.push_back(std::move(val));
  draw_plot(spec, gnuplot);
}

void plot_val_losses(const std::vector<NamedCurves>& runs, const std::string& png, LossAxis x) {
  const std::string gnuplot = require_gnuplot();
  PlotSpec spec;
  spec.output = png;
  spec.title = "Validation loss";
  spec.xlabel = axis_label(x);
  spec.ylabel = "validation loss (nats/byte)";
  for (const NamedCurves& run : runs) {
    PlotSeries val = series(run.name, run.curves.val, run.curves.val_elapsed, x);
    if (val.points.empty()) {
      throw InputError("run '" + run.name + "' has no validation loss" +
                       (x == LossAxis::kTime ? " with its time (plot it with --x step)" : "") +
                       " yet");
    }
    spec.series.push_back(std::move(val));
  }
  draw_plot(spec, gnuplot);
}

}  // namespace charrnn
