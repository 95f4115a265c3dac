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
      // Measured on tinyshakespeare, 600 s on 2 cores (README's table): a wider model
      // learns more per second once the schedule spends the whole budget.
      {"fast",
       "the most learned in a fixed time: 2x256, B=50, T=50, Adam 2e-3, 200 warm-up steps, "
       "cosine decay to 5% over --time-limit/--max-steps/--epochs",
       {
           {"--hidden", [](ModelConfig& mc, TrainConfig&) { mc.hidden = 256; }},
           {"--lr-schedule", [](ModelConfig&, TrainConfig& tc) { tc.lr_schedule = "cosine"; }},
           {"--lr-warmup", [](ModelConfig&, TrainConfig& tc) { tc.lr_warmup = 200; }},
           {"--lr-floor", [](ModelConfig&, TrainConfig& tc) { tc.lr_floor = 0.05; }},
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
