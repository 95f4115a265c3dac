// charrnn plot: a run's train and validation loss against step, as a PNG.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>

#include "charrnn/errors.h"
#include "charrnn/store/run_paths.h"
#include "charrnn/util/loss_plot.h"
#include "commands.h"

namespace charrnn::cli {
namespace {

struct PlotOptions {
  std::string run;  // run folder holding metrics.jsonl
  std::string out;  // PNG path; "" = RUN/loss.png
};

}  // namespace

void add_plot_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<PlotOptions>();
  auto* cmd =
      app.add_subcommand("plot", "Draw a run's train and validation loss into RUN/loss.png");
  cmd->add_option("run", o->run, "Run folder (holds metrics.jsonl)")->required();
  cmd->add_option("--out", o->out, "PNG to write (default: RUN/loss.png)");
  cmd->callback([o, &exit_code] {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(o->run, ec)) {
      throw InputError("run folder '" + o->run + "' does not exist (pass the --out of a train)");
    }
    const RunPaths run{o->run};
    const std::string png = o->out.empty() ? run.loss_plot() : o->out;
    const LossCurves curves = read_loss_curves(run.metrics());
    fs::path name = fs::path(o->run).lexically_normal();
    if (!name.has_filename()) name = name.parent_path();  // "models/run/" names "run"
    plot_loss(curves, name.filename().string(), png);
    spdlog::info("wrote {} ({} train, {} validation points)", png, curves.train.size(),
                 curves.val.size());
    exit_code = 0;
  });
}

}  // namespace charrnn::cli
