// The API's handlers and what they share (private to src/serve/; httplib lives here only).
#pragma once
#include <httplib.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "charrnn/serve/model_registry.h"
#include "charrnn/serve/request.h"
#include "charrnn/serve/server.h"
#include "charrnn/serve/stream_session.h"

namespace charrnn::serve {

struct ApiContext {
  ServeConfig cfg;
  ModelRegistry registry;
  std::atomic<int> active{0};         // generation requests streaming now
  std::atomic<bool> stopping{false};  // the server is shutting down: streams end now

  explicit ApiContext(const ServeConfig& c)
      : cfg(c), registry(c.models, c.device, c.max_rows, c.weights) {}
  // A place among the max_requests streaming requests, given back when the holder is dropped;
  // RequestError 503 (the server adds Retry-After) when all are taken.
  std::shared_ptr<void> acquire_slot();
};

// A streaming response in the making: what to send first, the streams, and what to send once
// every stream has finished.
struct StreamPlan {
  std::shared_ptr<ServedModel> model;  // kept loaded while its streams run
  std::shared_ptr<StreamSession> session;
  std::shared_ptr<void> slot;
  std::string start;                                  // the first event(s)
  std::function<std::string(StreamSession&)> finish;  // the closing events
  double time_limit = 300;                            // seconds, then an "error" event
  const std::atomic<bool>* stopping = nullptr;        // set: cancel and end
};

// Sends the plan as server-sent events; a client that goes away cancels its streams at once.
void respond_stream(httplib::Response& res, StreamPlan plan);

void handle_models(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void handle_generate(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void handle_compare(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);

uint64_t fresh_seed();  // when a request names none (reported in its "start" event)

// The page at "/": one HTML document with its CSS and JavaScript inline (no CDN).
const std::string& page_html();

}  // namespace charrnn::serve
