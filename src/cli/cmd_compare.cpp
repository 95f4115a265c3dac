// charrnn compare: the same prime and seeds at several temperatures, side by side, measured.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>

#include "charrnn/compare/compare.h"
#include "charrnn/compare/compare_export.h"
#include "charrnn/compare/compare_report.h"
#include "charrnn/compare/compare_text.h"
#include "charrnn/compare/reference_corpus.h"
#include "charrnn/compare/temperature_grid.h"
#include "charrnn/errors.h"
#include "charrnn/util/clock.h"
#include "charrnn/util/terminal.h"
#include "cmd_common.h"
#include "commands.h"
#include "options.h"

namespace charrnn::cli {
namespace {

struct CompareOptions {
  std::string model;
  std::string temperatures = "0.2,0.5,1.0,1.2";  // comma-separated, strictly increasing
  std::string sweep;                             // FROM:TO:STEP grid; replaces --temperatures
  CompareConfig cfg;                             // length, samples, top-k/p (seed: see --seed)
  std::string prime_file;
  std::string data;        // corpus for the corpus metrics; "" = the checkpoint's train.data
  bool no_corpus = false;  // skip the corpus metrics
  std::string report;      // report folder; "" = none
  bool json = false;       // one JSON object on stdout instead of text
  std::string device = "auto";
  int threads = 1;  // the corpus loads on another core meanwhile
  std::string weights = "fp32";
};

// The corpus to measure against: --data, else the checkpoint's training data if it is still
// there (else one warning and no corpus metrics).
std::string corpus_path(const CompareOptions& o, const LoadedModel& loaded) {
  if (o.no_corpus) return "";
  if (!o.data.empty()) return o.data;
  const std::string& stored = loaded.ckpt.train.data;
  std::error_code ec;
  if (stored.empty() || !std::filesystem::exists(stored, ec)) {
    spdlog::warn(
        "training corpus '{}' (from the checkpoint) not found: corpus metrics skipped "
        "(pass --data CORPUS)",
        stored);
    return "";
  }
  return stored;
}

void run_compare(CompareOptions& o, const CLI::Option* seed_opt, bool samples_given) {
  CompareConfig& cfg = o.cfg;
  cfg.temperatures =
      o.sweep.empty() ? parse_temperature_list(o.temperatures) : parse_sweep(o.sweep);
  if (!o.sweep.empty() && !samples_given) cfg.num_samples = 4;  // curves, not anecdotes
  validate_compare(cfg);
  cfg.weights = parse_weight_format(o.weights);
  cfg.prime = read_prime(cfg.prime, o.prime_file);
  const LoadedModel loaded = load_model(o.model, o.device, o.threads);
  cfg.seed = resolve_seed(seed_opt, cfg.seed);

  // The corpus is read and its word set loaded (or built) while the model generates.
  const std::string data = corpus_path(o, loaded);
  const std::string cache =
      (std::filesystem::path(loaded.path).parent_path() / "words.cache").string();
  std::future<ReferenceCorpus> corpus;
  if (!data.empty()) {
    corpus = std::async(std::launch::async,
                        [data, cache] { return load_reference_corpus(data, cache); });
  }
  auto t0 = Clock::now();
  GeneratedComparison generated = generate_comparison(loaded.model, cfg);
  spdlog::info("generated {} temperature(s) x {} sample(s) x {} bytes in {:.2f} s",
               cfg.temperatures.size(), cfg.num_samples, cfg.length, seconds_since(t0));

  std::optional<ReferenceCorpus> ref;
  if (corpus.valid()) {
    t0 = Clock::now();
    ref = corpus.get();
    spdlog::info(
        "corpus {} ({} bytes): read {:.2f} s, word set {} in {:.2f} s (waited {:.2f} s "
        "after generating)",
        data, ref->corpus.size, ref->read_seconds, ref->words.from_cache ? "from cache" : "built",
        ref->words_seconds, seconds_since(t0));
    if (!ref->words.from_cache && !ref->words.cache_written) {
      spdlog::warn("cannot write word-set cache {}: the next compare rebuilds it", cache);
    }
  }
  t0 = Clock::now();
  const CompareResult result =
      measure_comparison(std::move(generated), ref ? ref->ref() : CorpusReference{});
  spdlog::info("measured in {:.2f} s{}", seconds_since(t0),
               ref ? " (one pass over the corpus)" : "");

  const ReportSource source{loaded.path, ref ? data : ""};
  if (o.json) {
    std::fputs((dump_json(report_json(result, source)) + "\n").c_str(), stdout);
  } else {
    if (o.sweep.empty()) {
      std::fputs(render_samples(result, terminal_width(STDOUT_FILENO)).c_str(), stdout);
      std::fputc('\n', stdout);
    }
    std::fputs(render_table(result, false).c_str(), stdout);
  }
  std::fflush(stdout);
  if (!o.report.empty()) {
    const ReportOutcome rep = write_report(result, source, o.report);
    if (rep.warning) spdlog::warn("{}", *rep.warning);
    spdlog::info("report: {} ({} files)", rep.files.front(), rep.files.size());
  }
}

}  // namespace

void add_compare_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<CompareOptions>();
  auto* cmd = app.add_subcommand(
      "compare", "Generate from the same prime and seed at several temperatures and measure them");
  add_model_option(cmd, o->model);
  auto* temps = cmd->add_option("--temperatures,-t", o->temperatures,
                                "Comma-separated, strictly increasing temperatures (0 = greedy)");
  cmd->add_option("--sweep", o->sweep,
                  "FROM:TO:STEP grid replacing --temperatures, e.g. 0.1:2.0:0.1 (prints the "
                  "table only; --num-samples defaults to 4)")
      ->excludes(temps);
  add_length_option(cmd, o->cfg.length);
  add_prime_options(cmd, o->cfg.prime, o->prime_file);
  auto* seed = add_seed_option(cmd, o->cfg.seed);
  auto* samples = cmd->add_option("--num-samples,-n", o->cfg.num_samples,
                                  "Samples per temperature (default 1; 4 with --sweep)");
  add_filter_options(cmd, o->cfg.top_k, o->cfg.top_p);
  auto* data = cmd->add_option("--data", o->data,
                               "Training corpus for the spelling and copying metrics (default: "
                               "the one recorded in the checkpoint)");
  cmd->add_flag("--no-corpus", o->no_corpus, "Skip the corpus metrics")->excludes(data);
  cmd->add_option("--report", o->report,
                  "Write report.md, metrics.json, metrics.csv and PNG plots into this folder");
  cmd->add_flag("--json", o->json, "Print the whole comparison as one JSON object on stdout");
  add_device_option(cmd, o->device);
  add_threads_option(cmd, o->threads);
  add_weights_option(cmd, o->weights);
  auto isa = add_isa_option(cmd);
  cmd->callback([o, seed, samples, &exit_code, isa] {
    apply_isa(*isa);
    run_compare(*o, seed, samples->count() > 0);
    exit_code = 0;
  });
}

}  // namespace charrnn::cli
