// GET /api/models and POST /api/generate.
#include <chrono>
#include <random>

#include "api.h"
#include "charrnn/serve/sse.h"
#include "charrnn/util/json_writer.h"

namespace charrnn::serve {

uint64_t fresh_seed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

std::shared_ptr<void> ApiContext::acquire_slot() {
  if (active.fetch_add(1) >= cfg.max_requests) {
    --active;
    throw RequestError(503, "",
                       "server busy: " + std::to_string(cfg.max_requests) +
                           " requests are generating (retry in a second)");
  }
  return std::shared_ptr<void>(nullptr, [this](void*) { --active; });
}

void handle_models(ApiContext& ctx, const httplib::Request&, httplib::Response& res) {
  nlohmann::json models = nlohmann::json::array();
  for (const ModelInfo& m : ctx.registry.list()) {
    int64_t streams = 0;  // running + queued; 0 if the run vanished since the scan
    try {
      streams = ctx.registry.get(m.name)->engine().streams();
    } catch (const RequestError&) {
    }
    models.push_back({{"name", m.name},
                      {"layers", m.layers},
                      {"hidden", m.hidden},
                      {"step", m.step},
                      {"val_loss", m.val_loss ? nlohmann::json(*m.val_loss) : nlohmann::json()},
                      {"corpus", m.corpus},
                      {"checkpoint", m.checkpoint},
                      {"streams", streams}});
  }
  res.set_content(dump_json({{"models", models}}) + "\n", "application/json");
}

void handle_generate(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const GenerateRequest r = parse_generate_request(req.body);
  auto model = ctx.registry.get(r.model);
  auto slot = ctx.acquire_slot();
  const uint64_t seed = r.seed ? *r.seed : fresh_seed();
  // Sample i is `charrnn generate --seed seed+i` (its --num-samples rule).
  std::vector<SampleConfig> streams(static_cast<size_t>(r.num_samples), r.sampling);
  nlohmann::json list = nlohmann::json::array();
  for (size_t i = 0; i < streams.size(); ++i) {
    streams[i].seed = seed + i;
    list.push_back({{"stream", i}, {"seed", streams[i].seed}});
  }
  auto session = std::make_shared<StreamSession>(r.prime, streams, r.length, false);
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t total = r.length * r.num_samples;
  auto finish = [t0, seed, total](StreamSession& s) {
    const auto end = std::chrono::steady_clock::now();
    StreamSession::TimePoint first{};
    nlohmann::json done{{"seed", seed},
                        {"bytes", total},
                        {"seconds", std::chrono::duration<double>(end - t0).count()}};
    if (s.first_byte_at(first)) {
      done["first_byte_ms"] = std::chrono::duration<double, std::milli>(first - t0).count();
    }
    return sse_event("done", done);
  };
  session->submit_to(model->engine());
  respond_stream(res, {model, session, slot,
                       sse_event("start", {{"model", r.model}, {"seed", seed}, {"streams", list}}),
                       finish, ctx.cfg.time_limit, &ctx.stopping});
}

}  // namespace charrnn::serve
