#include "charrnn/train/recipe.h"

#include "charrnn/errors.h"

namespace charrnn {
namespace {

std::vector<Recipe> make_recipes() {
  const ModelConfig m;
  const TrainConfig t;
  return {
      {"char-rnn",
       "char-rnn's defaults: 2x128, dropout 0.1, B=50, T=50, Adam 2e-3 decayed x0.97 per epoch "
       "after 10",
       {
           {"--layers", [m](ModelConfig& mc, TrainConfig&) { mc.layers = m.layers; }},
           {"--hidden", [m](ModelConfig& mc, TrainConfig&) { mc.hidden = m.hidden; }},
           {"--dropout", [m](ModelConfig& mc, TrainConfig&) { mc.dropout = m.dropout; }},
           {"--batch", [t](ModelConfig&, TrainConfig& tc) { tc.batch = t.batch; }},
           {"--seq-len", [t](ModelConfig&, TrainConfig& tc) { tc.seq_len = t.seq_len; }},
           {"--lr", [t](ModelConfig&, TrainConfig& tc) { tc.lr = t.lr; }},
           {"--lr-schedule", [](ModelConfig&, TrainConfig& tc) { tc.lr_schedule = "char-rnn"; }},
       }},
      // Measured on tinyshakespeare, 600 s on 2 cores (README: "Getting the best model in the
      // time you have"): a higher rate decayed over the whole budget, smaller batches for more
      // steps, and a model a little wider than char-rnn's.
      {"fast",
       "the most learned in a fixed time: 2x192, dropout 0.15, B=20, Adam 5e-3 with 100 warm-up "
       "steps and cosine decay to 2% over --time-limit/--max-steps/--epochs",
       {
           {"--hidden", [](ModelConfig& mc, TrainConfig&) { mc.hidden = 192; }},
           {"--dropout", [](ModelConfig& mc, TrainConfig&) { mc.dropout = 0.15; }},
           {"--batch", [](ModelConfig&, TrainConfig& tc) { tc.batch = 20; }},
           {"--lr", [](ModelConfig&, TrainConfig& tc) { tc.lr = 5e-3; }},
           {"--lr-schedule", [](ModelConfig&, TrainConfig& tc) { tc.lr_schedule = "cosine"; }},
           {"--lr-warmup", [](ModelConfig&, TrainConfig& tc) { tc.lr_warmup = 100; }},
           {"--lr-floor", [](ModelConfig&, TrainConfig& tc) { tc.lr_floor = 0.02; }},
       }},
  };
}

}  // namespace

const std::vector<Recipe>& recipes() {
  static const std::vector<Recipe> all = make_recipes();
  return all;
}

const Recipe& find_recipe(const std::string& name) {
  std::string names;
  for (const Recipe& r : recipes()) {
    if (r.name == name) return r;
    names += (names.empty() ? "" : ", ") + r.name;
  }
  throw InputError("unknown --recipe '" + name + "' (choose " + names + ")");
}

std::vector<std::string> apply_recipe(const Recipe& recipe, ModelConfig& model, TrainConfig& train,
                                      const std::function<bool(const char* flag)>& given) {
  std::vector<std::string> set;
  for (const RecipeSetting& s : recipe.settings) {
    if (given(s.flag)) continue;
    s.apply(model, train);
    set.emplace_back(s.flag);
  }
  return set;
}

}  // namespace charrnn
