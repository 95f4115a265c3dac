// charrnn plot: a run's train and validation loss as a PNG, or several runs' validation loss on
// one chart (to compare recipes), against step or seconds of training.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "charrnn/errors.h"
#include "charrnn/store/run_paths.h"
#include "charrnn/util/loss_plot.h"
#include "commands.h"

namespace charrnn::cli {
namespace {

struct PlotOptions {
  std::vector<std::string> runs;  // run folders holding metrics.jsonl
  std::string out;                // PNG path; "" = RUN/loss.png for one run
  std::string x = "step";         // step | time
};

std::string run_name(const std::string& folder) {
  std::filesystem::path name = std::filesystem::path(folder).lexically_normal();
  if (!name.has_filename()) name = name.parent_path();  // "models/run/" names "run"
  return name.filename().string();
}

NamedCurves read_run(const std::string& folder) {
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) {
    throw InputError("run folder '" + folder + "' does not exist (pass the --out of a train)");
  }
  return {run_name(folder), read_loss_curves(RunPaths{folder}.metrics())};
}

}  // namespace

void add_plot_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<PlotOptions>();
  auto* cmd = app.add_subcommand(
      "plot",
      "Draw a run's train and validation loss into RUN/loss.png, or several runs' validation "
      "loss into one --out PNG");
  cmd->add_option("runs", o->runs, "Run folder(s) (each holds metrics.jsonl)")->required();
  cmd->add_option("--out", o->out, "PNG to write (default for one run: RUN/loss.png)");
  cmd->add_option("--x", o->x, "x axis: step, or time (seconds of training)")
      ->check(CLI::IsMember({"step", "time"}));
  cmd->callback([o, &exit_code] {
    const LossAxis x = o->x == "time" ? LossAxis::kTime : LossAxis::kStep;
    std::vector<NamedCurves> runs;
    for (const std::string& folder : o->runs) runs.push_back(read_run(folder));
    if (runs.size() == 1) {
      const std::string png = o->out.empty() ? RunPaths{o->runs[0]}.loss_plot() : o->out;
      plot_loss(runs[0].curves, runs[0].name, png, x);
      spdlog::info("wrote {} ({} train, {} validation points)", png, runs[0].curves.train.size(),
                   runs[0].curves.val.size());
    } else {
      if (o->out.empty()) {
        throw InputError("plotting several runs needs --out FILE.png (they have no one folder)");
      }
      plot_val_losses(runs, o->out, x);
      spdlog::info("wrote {} ({} runs' validation loss)", o->out, runs.size());
    }
    exit_code = 0;
  });
}

}  // namespace charrnn::cli
