// charrnn serve: the HTTP API and the playground page over the runs in a folder.
#include <spdlog/spdlog.h>

#include <csignal>
#include <filesystem>
#include <memory>
#include <thread>

#include "charrnn/errors.h"
#include "charrnn/serve/server.h"
#include "charrnn/util/device.h"
#include "commands.h"
#include "options.h"

namespace charrnn::cli {
namespace {

struct ServeOptions {
  serve::ServeConfig cfg;
  std::string weights = "fp32";
  int threads = 1;  // each model's engine steps on one thread; more rarely helps a batch
};

// SIGINT/SIGTERM stop the server from a thread of its own (no work inside a signal handler).
// Blocked before the server's threads start, so they inherit the mask and only sigwait sees them.
std::thread stop_on_signal(serve::Server& server) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return std::thread([set, &server] {
    int sig = 0;
    sigwait(&set, &sig);
    spdlog::info("signal {}: stopping", sig);
    server.stop();
  });
}

}  // namespace

void add_serve_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ServeOptions>();
  auto* cmd = app.add_subcommand(
      "serve", "HTTP API and web playground: generate and compare temperatures live");
  cmd->add_option("--models", o->cfg.models, "Folder whose run folders are served");
  cmd->add_option("--host", o->cfg.host, "Address to listen on (0.0.0.0 = every interface)");
  cmd->add_option("--port", o->cfg.port, "Port to listen on (0 = any free port)")
      ->check(CLI::Range(0, 65535));
  add_device_option(cmd, o->cfg.device);
  add_threads_option(cmd, o->threads);
  add_weights_option(cmd, o->weights);
  cmd->add_option("--max-requests", o->cfg.max_requests,
                  "Generation requests in progress at once; more get 503 + Retry-After")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--time-limit", o->cfg.time_limit, "Seconds one request may stream")
      ->check(CLI::PositiveNumber);
  cmd->callback([o, &exit_code] {
    require_input(
        std::filesystem::is_directory(o->cfg.models),
        "--models '" + o->cfg.models + "' is not a folder (train into models/NAME first)");
    o->cfg.weights = parse_weight_format(o->weights);
    // Checked here: the engines build their Steppers on threads of their own.
    require_input(o->cfg.weights == WeightFormat::fp32 || resolve_device(o->cfg.device).is_cpu(),
                  std::string("--weights ") + weight_format_name(o->cfg.weights) +
                      " is for generation on the CPU (use --device cpu, or --weights fp32)");
    configure_threads(o->threads);
    serve::Server server(o->cfg);
    std::thread waiter = stop_on_signal(server);
    const int port = server.bind();
    spdlog::info("serving {} on http://{}:{}/ (Ctrl-C stops)", o->cfg.models, o->cfg.host, port);
    server.run();
    waiter.detach();  // still in sigwait when run() returned for another reason
    exit_code = 0;
  });
}

}  // namespace charrnn::cli
