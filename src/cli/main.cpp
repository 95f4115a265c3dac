// charrnn: train a byte-level LSTM on any text, generate text at a chosen temperature.
// The CLI only parses options into config structs and calls the library.
#include <c10/util/Exception.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <string>

#include "charrnn/errors.h"
#include "charrnn/util/openblas_core.h"
#include "commands.h"
#include "launcher.h"

namespace {

// The first line of a message: errors are reported as one line.
std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "charrnn: error: %s\n", first_line(message).c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  // First of all: OpenBLAS chose its kernels when it loaded, and on a CPU newer than it those
  // can lack AVX2; the only fix is to start again with OPENBLAS_CORETYPE set (openblas_core.h).
  if (const std::string core = charrnn::openblas_core_override(); !core.empty())
    charrnn::reexec_with_openblas_core(core, argv);
  charrnn::cli::set_command_line(argc, argv);  // train --nproc starts its ranks with it
  // Logs go to stderr so that stdout holds only generated text or requested figures.
  auto logger = spdlog::stderr_color_mt("charrnn");
  logger->set_pattern("[%H:%M:%S] %^%l%$ %v");
  spdlog::set_default_logger(logger);

  CLI::App app{"charrnn: train a byte-level LSTM on any text and generate text from it"};
  app.require_subcommand(1);
  app.option_defaults()->always_capture_default();
  bool quiet = false, verbose = false;
  app.add_flag("-q,--quiet", quiet, "Only log warnings and errors");
  app.add_flag("-v,--verbose", verbose, "Also log debug details (e.g. the CPU kernel path)");
  app.parse_complete_callback([&] {
    if (verbose) spdlog::set_level(spdlog::level::debug);
    if (quiet) spdlog::set_level(spdlog::level::warn);
  });
  int exit_code = 0;
  charrnn::cli::add_train_command(app, exit_code);
  charrnn::cli::add_generate_command(app, exit_code);
  charrnn::cli::add_eval_command(app, exit_code);
  charrnn::cli::add_bench_command(app, exit_code);
  charrnn::cli::add_compare_command(app, exit_code);
  charrnn::cli::add_plot_command(app, exit_code);
#ifdef CHARRNN_SERVE  // built where cpp-httplib is (CMakeLists.txt)
  charrnn::cli::add_serve_command(app, exit_code);
#endif

  // CLI11 reports a misspelt command as "a subcommand is required"; name it instead.
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (!arg.empty() && arg[0] == '-') continue;
    std::string names;
    bool known = false;
    for (const auto* sub : app.get_subcommands({})) {
      known = known || sub->get_name() == arg;
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) return fail(2, "unknown command '" + arg + "' (commands: " + names + ")");
    break;
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(2, std::string(e.what()) + " (see charrnn --help)");
  } catch (const charrnn::InputError& e) {
    return fail(2, e.what());
  } catch (const c10::Error& e) {
    return fail(1, e.what_without_backtrace());
  } catch (const std::exception& e) {
    return fail(1, e.what());
  }
  return exit_code;
}
