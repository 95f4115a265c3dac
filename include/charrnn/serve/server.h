// Server: `charrnn serve`'s HTTP side — the JSON API, the page at "/", limits and request logs.
// httplib stays inside src/serve/: this header only names the configuration.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "charrnn/model/weight_format.h"

namespace charrnn::serve {

struct ServeConfig {
  std::string models = "models";   // folder whose sub-folders are the runs served
  std::string host = "127.0.0.1";  // 0.0.0.0 = every interface (logged as a warning)
  int port = 8080;                 // 0 = any free port (tests)
  std::string device = "auto";     // auto | cpu | cuda | cuda:N
  int max_requests = 32;           // generation requests in progress at once; more get 503
  int64_t max_rows = 256;          // streams stepped together per model (more wait their turn)
  double time_limit = 300;         // seconds one request may stream before it is cut off
  WeightFormat weights = WeightFormat::fp32;  // the format each engine keeps the weights in
};

class Server {
 public:
  explicit Server(ServeConfig cfg);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds host:port; returns the port bound (the free one chosen for port 0). Throws
  // InputError naming host and port when it cannot bind.
  int bind();
  void run();   // serves until stop(); call after bind()
  void stop();  // from any thread (a signal handler's thread, a test)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace charrnn::serve
