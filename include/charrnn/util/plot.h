// Plot: line charts drawn as PNG by gnuplot (an external program, found on PATH).
// Each chart's gnuplot script is written next to its PNG (NAME.gp), data inline, so it can be
// edited and redrawn by hand: `gnuplot NAME.gp`.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace charrnn {

struct PlotSeries {
  std::string title;                                             // legend entry
  std::vector<std::pair<double, std::optional<double>>> points;  // nullopt y = a gap
  bool points_only = false;  // dots (per-sample scatter), no line
};

struct PlotSpec {
  std::string output;  // PNG path; the script goes to the same path with ".gp"
  std::string title;
  std::string xlabel;
  std::string ylabel;
  std::vector<PlotSeries> series;
  bool log_y = false;  // logarithmic y axis (only positive values are drawn)
};

// The gnuplot executable on PATH, or nullopt when there is none.
std::optional<std::string> find_gnuplot();

// The script draw_plot runs: pngcairo when this gnuplot has it, else the libgd png terminal.
std::string gnuplot_script(const PlotSpec& spec);

// Writes the script and runs `gnuplot` on it (no shell involved). Throws std::runtime_error with
// gnuplot's first error line if it fails or leaves no PNG, InputError if the script cannot be
// written.
void draw_plot(const PlotSpec& spec, const std::string& gnuplot);

}  // namespace charrnn
