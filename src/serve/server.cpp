// The HTTP server: routes, limits, JSON errors, one log line per request.
#include "charrnn/serve/server.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <chrono>

#include "api.h"
#include "charrnn/errors.h"

namespace charrnn::serve {
namespace {

// When the request this worker thread handles started (set before routing, read by the log).
thread_local std::chrono::steady_clock::time_point request_start;

void send_error(httplib::Response& res, int status, const std::string& message,
                const std::string& field = "") {
  res.status = status;
  if (status == 503) res.set_header("Retry-After", "1");
  res.set_content(error_json(message, field) + "\n", "application/json");
}

using ApiHandler = void (*)(ApiContext&, const httplib::Request&, httplib::Response&);

// Every refusal as a one-line JSON error; nothing a request does takes the server down.
httplib::Server::Handler guarded(ApiContext& ctx, ApiHandler handler) {
  return [&ctx, handler](const httplib::Request& req, httplib::Response& res) {
    try {
      handler(ctx, req, res);
    } catch (const RequestError& e) {
      send_error(res, e.status, e.what(), e.field);
    } catch (const InputError& e) {
      send_error(res, 400, e.what());
    } catch (const std::exception& e) {
      spdlog::error("{} {}: {}", req.method, req.path, e.what());
      send_error(res, 500, std::string("internal error: ") + e.what());
    }
  };
}

}  // namespace

struct Server::Impl {
  explicit Impl(const ServeConfig& cfg) : ctx(cfg) {}
  ApiContext ctx;
  httplib::Server http;
  int listen_fd = -1;  // the listening socket, once created
  void routes();
};

void Server::Impl::routes() {
  http.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(page_html(), "text/html; charset=utf-8");
  });
  http.Get("/api/models", guarded(ctx, handle_models));
  http.Post("/api/generate", guarded(ctx, handle_generate));
  http.Post("/api/compare", guarded(ctx, handle_compare));
  // httplib's own refusals (404 route, 413 body) get the same JSON shape as ours.
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 413) {
      send_error(res, 413, "request body over " + std::to_string(kMaxBodyBytes) + " bytes");
    } else if (res.status == 404) {
      send_error(res, 404,
                 "no such endpoint " + req.method + " " + req.path +
                     " (GET /, GET /api/models, POST /api/generate, POST /api/compare)");
    } else {
      send_error(res, res.status, "request refused");
    }
  });
  http.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
    request_start = std::chrono::steady_clock::now();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  http.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - request_start)
            .count();
    spdlog::info("{} {} {} {:.1f} ms", req.method, req.path, res.status, ms);
  });
}

Server::Server(ServeConfig cfg) : impl_(std::make_unique<Impl>(cfg)) {
  auto& http = impl_->http;
  http.set_payload_max_length(kMaxBodyBytes);
  // Each streaming request holds a worker; the spare ones answer the page, lists and 503s.
  const size_t workers = static_cast<size_t>(cfg.max_requests) + 8;
  http.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  http.set_keep_alive_timeout(2);  // idle browser connections would hold workers
  http.set_read_timeout(10);
  http.set_write_timeout(10);  // a client that stops reading is dropped (and its streams stop)
  http.set_socket_options([impl = impl_.get()](auto sock) {
    httplib::default_socket_options(sock);
    impl->listen_fd = static_cast<int>(sock);
  });
  impl_->routes();
}

Server::~Server() { stop(); }

int Server::bind() {
  const ServeConfig& cfg = impl_->ctx.cfg;
  if (cfg.host == "0.0.0.0" || cfg.host == "::") {
    spdlog::warn(
        "listening on every interface ({}): anyone who can reach this machine can use "
        "the models (use --host 127.0.0.1 to keep it local)",
        cfg.host);
  }
  const int port = cfg.port == 0 ? impl_->http.bind_to_any_port(cfg.host)
                                 : (impl_->http.bind_to_port(cfg.host, cfg.port) ? cfg.port : -1);
  require_input(port > 0, "cannot listen on " + cfg.host + ":" + std::to_string(cfg.port) +
                              " (is the port in use? pick another with --port)");
  // httplib listens with a backlog of 5: a burst of clients overflowed it and some connections
  // were reset before their request was read. Listening again only enlarges the queue.
  if (impl_->listen_fd >= 0) ::listen(impl_->listen_fd, SOMAXCONN);
  return port;
}

void Server::run() { impl_->http.listen_after_bind(); }

void Server::stop() {
  impl_->ctx.stopping = true;
  impl_->http.stop();
}

}  // namespace charrnn::serve
