// POST /api/compare: every (temperature, sample) stream as it grows, then the metrics that
// `charrnn compare --json` prints for the same request.
#include <chrono>

#include "api.h"
#include "charrnn/compare/compare.h"
#include "charrnn/compare/compare_report.h"
#include "charrnn/serve/sse.h"

namespace charrnn::serve {
namespace {

// weights: the format the server's engines sample with (--weights), recorded as compare does.
CompareConfig compare_config(const CompareRequest& r, WeightFormat weights) {
  CompareConfig cfg;
  cfg.weights = weights;
  cfg.temperatures = r.temperatures;
  cfg.length = r.length;
  cfg.prime = r.prime;
  cfg.num_samples = r.num_samples;
  cfg.seed = r.seed ? *r.seed : fresh_seed();
  cfg.top_k = r.top_k;
  cfg.top_p = r.top_p;
  return cfg;
}

// The samples as generate_comparison() returns them, from the streams' texts and statistics.
GeneratedComparison collect(const CompareConfig& cfg, const std::vector<SampleConfig>& streams,
                            const std::vector<StreamStats>& stats, const StreamSession& s) {
  std::vector<std::string> texts;
  for (size_t k = 0; k < streams.size(); ++k) texts.push_back(s.text(k));
  return assemble_comparison(cfg, streams, texts, stats);
}

}  // namespace

void handle_compare(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const CompareRequest r = parse_compare_request(req.body);
  auto model = ctx.registry.get(r.model);
  auto slot = ctx.acquire_slot();
  const CompareConfig cfg = compare_config(r, ctx.cfg.weights);
  // Stream k = temperature k / num_samples, sample k % num_samples (generate_comparison's order).
  auto streams = std::make_shared<std::vector<SampleConfig>>();
  nlohmann::json list = nlohmann::json::array();
  for (double t : cfg.temperatures) {
    for (int i = 0; i < cfg.num_samples; ++i) {
      list.push_back({{"stream", streams->size()},
                      {"temperature", t},
                      {"sample", i},
                      {"seed", cfg.seed + static_cast<uint64_t>(i)}});
      streams->push_back(sample_config(cfg, t, i));
    }
  }
  // Each stream's statistics are only touched by the engine thread until the stream ends.
  auto stats = std::make_shared<std::vector<StreamStats>>(streams->size());
  auto session =
      std::make_shared<StreamSession>(cfg.prime, *streams, cfg.length, true,
                                      [streams, stats](size_t k, uint8_t byte, const float* z) {
                                        (*stats)[k].add(byte, z, (*streams)[k]);
                                      });
  const auto t0 = std::chrono::steady_clock::now();
  auto finish = [cfg, streams, stats, model, t0](StreamSession& s) {
    const ReferenceCorpus* corpus = model->corpus();
    const CompareResult result = measure_comparison(collect(cfg, *streams, *stats, s),
                                                    corpus ? corpus->ref() : CorpusReference{});
    const ReportSource source{model->info().checkpoint, corpus ? model->corpus_path() : ""};
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return sse_event("result", report_json(result, source)) +
           sse_event("done", {{"seed", cfg.seed}, {"seconds", seconds}});
  };
  session->submit_to(model->engine());
  respond_stream(
      res, {model, session, slot,
            sse_event("start", {{"model", r.model}, {"seed", cfg.seed}, {"streams", list}}), finish,
            ctx.cfg.time_limit, &ctx.stopping});
}

}  // namespace charrnn::serve
