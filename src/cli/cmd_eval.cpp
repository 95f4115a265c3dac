// charrnn eval: a model's loss on a file, in nats and bits per byte.
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "charrnn/data/corpus.h"
#include "charrnn/errors.h"
#include "charrnn/model/weight_format.h"
#include "charrnn/train/evaluate.h"
#include "charrnn/util/json_writer.h"
#include "cmd_common.h"
#include "commands.h"
#include "options.h"

namespace charrnn::cli {
namespace {

struct EvalOptions {
  std::string model;
  std::string data;
  int batch = 0;    // 0 = the checkpoint's training --batch
  int seq_len = 0;  // 0 = the checkpoint's training --seq-len
  std::string device = "auto";
  int threads = 0;
  bool json = false;
  std::string weights = "fp32";  // fp32 | bf16 | int8: the model generate --weights would run
};

}  // namespace

void add_eval_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<EvalOptions>();
  auto* cmd =
      app.add_subcommand("eval", "Score a model on a corpus: loss in nats and bits per byte");
  add_model_option(cmd, o->model);
  cmd->add_option("--data", o->data, "Corpus file or folder to score")->required();
  cmd->add_option("--batch", o->batch, "Parallel streams (0 = as trained)");
  cmd->add_option("--seq-len", o->seq_len, "Bytes per step (0 = as trained)");
  add_device_option(cmd, o->device);
  add_threads_option(cmd, o->threads);
  cmd->add_flag("--json", o->json, "Print one JSON object on stdout");
  cmd->add_option("--weights", o->weights,
                  "Score with the weights as trained (fp32) or rounded to bf16 or int8, as "
                  "`generate --weights bf16|int8` runs them");
  auto isa = add_isa_option(cmd);
  cmd->callback([o, &exit_code, isa] {
    apply_isa(*isa);
    require_input(o->batch >= 0,
                  "--batch must be >= 0 (0 = as trained), got " + std::to_string(o->batch));
    require_input(o->seq_len >= 0,
                  "--seq-len must be >= 0 (0 = as trained), got " + std::to_string(o->seq_len));
    const WeightFormat weights = parse_weight_format(o->weights);
    const Corpus corpus = read_corpus(o->data);
    auto loaded = load_model(o->model, o->device, o->threads);
    round_weights(loaded.model, weights);
    const int batch = o->batch > 0 ? o->batch : loaded.ckpt.train.batch;
    const int seq_len = o->seq_len > 0 ? o->seq_len : loaded.ckpt.train.seq_len;
    const EvalResult r = evaluate(loaded.model, corpus.view(), batch, seq_len, o->data.c_str());
    if (o->json) {
      std::cout << dump_json(nlohmann::json{{"model", loaded.path},
                                            {"data", o->data},
                                            {"bytes", r.bytes},
                                            {"weights", weight_format_name(weights)},
                                            {"nats_per_byte", r.nats_per_byte},
                                            {"bits_per_byte", r.bits_per_byte}})
                << std::endl;
    } else {
      std::printf("%.4f nats/byte  %.4f bits/byte  (%lld bytes scored)\n", r.nats_per_byte,
                  r.bits_per_byte, static_cast<long long>(r.bytes));
    }
    exit_code = 0;
  });
}

}  // namespace charrnn::cli
