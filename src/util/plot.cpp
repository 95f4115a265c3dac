// gnuplot driver: script generation and a shell-free spawn.
#include "charrnn/util/plot.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "charrnn/errors.h"

extern char** environ;

namespace charrnn {

namespace {

// A gnuplot single-quoted string: no escapes inside except '' for a quote.
std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "''";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out + "'";
}

std::string script_path(const std::string& png) {
  const std::string ext = ".png";
  if (png.size() > ext.size() && png.compare(png.size() - ext.size(), ext.size(), ext) == 0) {
    return png.substr(0, png.size() - ext.size()) + ".gp";
  }
  return png + ".gp";
}

std::string first_line(const std::string& s) {
  const auto start = s.find_first_not_of("\n ");
  if (start == std::string::npos) return "";
  return s.substr(start, s.find('\n', start) - start);
}

bool drawable(const std::optional<double>& y, bool log_y) {
  return y && std::isfinite(*y) && (!log_y || *y > 0);
}

bool drawable(const PlotSeries& series, bool log_y) {
  for (const auto& p : series.points) {
    if (drawable(p.second, log_y)) return true;
  }
  return false;
}

}  // namespace

std::optional<std::string> find_gnuplot() {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/gnuplot";
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return std::nullopt;
}

std::string gnuplot_script(const PlotSpec& spec) {
  std::ostringstream s;
  s.precision(10);
  s << "# charrnn plot: redraw with `gnuplot " << script_path(spec.output) << "`\n";
  for (size_t k = 0; k < spec.series.size(); ++k) {
    s << "$d" << k << " << EOD\n";
    for (const auto& [x, y] : spec.series[k].points) {
      const bool ok = drawable(y, spec.log_y);
      s << x << ' ';
      if (ok)
        s << *y;
      else
        s << '?';
      s << '\n';
    }
    s << "EOD\n";
  }
  s << "set datafile missing '?'\n"
    << "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
    << "  set terminal pngcairo size 900,560 enhanced font 'sans,10'\n"
    << "} else {\n"
    << "  set terminal png size 900,560\n"
    << "}\n"
    << "set output " << quote(spec.output) << "\n"
    << "set title " << quote(spec.title) << " noenhanced\n"
    << "set xlabel " << quote(spec.xlabel) << " noenhanced\n"
    << "set ylabel " << quote(spec.ylabel) << " noenhanced\n"
    << "set grid\n"
    << "set key below noenhanced\n";
  if (spec.log_y) s << "set logscale y\n";
  bool any = false;
  for (size_t k = 0; k < spec.series.size(); ++k) {
    const PlotSeries& ser = spec.series[k];
    if (!drawable(ser, spec.log_y)) continue;  // gnuplot refuses a series without a point
    s << (any ? ", \\\n     " : "plot ") << "$d" << k << " using 1:2 "
      << (ser.points_only ? "with points pt 7 ps 0.5" : "with linespoints pt 7 ps 0.8 lw 2")
      << " title " << quote(ser.title);
    any = true;
  }
  if (!any) {
    s << "set label 'no data' at graph 0.5, graph 0.5 center\n"
      << "set xrange [0:1]\nset yrange [0:1]\nplot 2 notitle";
  }
  s << "\nunset output\n";
  return s.str();
}

void draw_plot(const PlotSpec& spec, const std::string& gnuplot) {
  const std::string script = script_path(spec.output);
  {
    std::ofstream out(script, std::ios::binary | std::ios::trunc);
    out << gnuplot_script(spec);
    if (!out) throw InputError("cannot write plot script " + script + " (check the folder)");
  }
  std::remove(spec.output.c_str());  // so a stale PNG never passes for a new one
  // gnuplot's messages go to a temporary file, read back for the error line.
  const std::string log = script + ".log";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::string arg0 = gnuplot, arg1 = script;
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, gnuplot.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot run " + gnuplot + ": " + std::strerror(rc));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::ifstream in(log);
  std::stringstream messages;
  messages << in.rdbuf();
  in.close();
  std::remove(log.c_str());
  struct stat st {};
  const bool drawn = ::stat(spec.output.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !drawn) {
    const std::string why = first_line(messages.str());
    throw std::runtime_error("gnuplot failed on " + script +
                             (why.empty() ? std::string(" (no PNG written)") : ": " + why));
  }
}

}  // namespace charrnn
