// Train/validation loss curves from metrics.jsonl, drawn with gnuplot.
#include "charrnn/util/loss_plot.h"

#include <cerrno>
#include <cstring>
#include <fstream>
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
    if (j.contains("train_loss") && j["train_loss"].is_number()) {
      c.train.emplace_back(step, j["train_loss"].get<double>());
    }
    if (j.contains("val_loss") && j["val_loss"].is_number()) {
      c.val.emplace_back(step, j["val_loss"].get<double>());
    }
  }
  if (c.train.empty() && c.val.empty()) {
    throw InputError(path + " holds no loss records yet (train longer than --log-every steps)");
  }
  return c;
}

void plot_loss(const LossCurves& curves, const std::string& run_name, const std::string& png) {
  const auto gnuplot = find_gnuplot();
  if (!gnuplot) {
    throw InputError("gnuplot not found on PATH; install it (apt-get install gnuplot-nox)");
  }
  PlotSpec spec;
  spec.output = png;
  spec.title = "Loss: " + run_name;
  spec.xlabel = "step";
  spec.ylabel = "loss (nats/byte)";
  PlotSeries train{"train", {}, false}, val{"validation", {}, false};
  for (const auto& [s, v] : curves.train) train.points.emplace_back(static_cast<double>(s), v);
  for (const auto& [s, v] : curves.val) val.points.emplace_back(static_cast<double>(s), v);
  if (!train.points.empty()) spec.series.push_back(std::move(train));
  if (!val.points.empty()) spec.series.push_back(std::move(val));
  draw_plot(spec, *gnuplot);
}

}  // namespace charrnn
