#include "charrnn/store/config_json.h"

#include <string>

#include "charrnn/errors.h"

namespace charrnn {
namespace {

template <typename T>
T field(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) {
    throw InputError(std::string("configuration lacks '") + key + "'");
  }
  try {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      return json_integer<T>(j.at(key), std::string("configuration field ") + key);
    } else {
      return j.at(key).get<T>();
    }
  } catch (const nlohmann::json::exception&) {
    throw InputError(std::string("configuration field '") + key + "' has the wrong type");
  }
}

// TrainConfig's fields by JSON key: the one list that both writing and reading follow.
template <typename Config, typename Visit>
void visit_train_fields(Config& c, Visit&& visit) {
  visit("data", c.data);
  visit("out", c.out);
  visit("val_frac", c.val_frac);
  visit("val_max_bytes", c.val_max_bytes);
  visit("batch", c.batch);
  visit("seq_len", c.seq_len);
  visit("lr", c.lr);
  visit("lr_schedule", c.lr_schedule);
  visit("lr_decay", c.lr_decay);
  visit("lr_decay_after", c.lr_decay_after);
  visit("lr_warmup", c.lr_warmup);
  visit("lr_floor", c.lr_floor);
  visit("grad_clip", c.grad_clip);
  visit("epochs", c.epochs);
  visit("max_steps", c.max_steps);
  visit("time_limit", c.time_limit);
  visit("seed", c.seed);
  visit("threads", c.threads);
  visit("eval_every", c.eval_every);
  visit("log_every", c.log_every);
  visit("device", c.device);
  visit("fused", c.fused);
  visit("precision", c.precision);
}

// Fields that older runs lack; reading one keeps the value set before the visit.
bool added_later(const std::string& key) {
  return key == "val_max_bytes" || key == "precision" || key == "lr_schedule" ||
         key == "lr_warmup" || key == "lr_floor";
}

}  // namespace

nlohmann::json to_json(const ModelConfig& c) {
  return {{"layers", c.layers}, {"hidden", c.hidden}, {"dropout", c.dropout}, {"vocab", kVocab}};
}

nlohmann::json to_json(const TrainConfig& c) {
  nlohmann::json j = nlohmann::json::object();
  visit_train_fields(c, [&](const char* key, const auto& value) { j[key] = value; });
  return j;
}

ModelConfig model_config_from_json(const nlohmann::json& j) {
  ModelConfig c;
  c.layers = field<int>(j, "layers");
  c.hidden = field<int>(j, "hidden");
  c.dropout = field<double>(j, "dropout");
  // Bounds keep a corrupt header from asking for absurd allocations.
  if (c.layers < 1 || c.layers > 64 || c.hidden < 1 || c.hidden > 65536 ||
      !(c.dropout >= 0 && c.dropout < 1) || field<int>(j, "vocab") != kVocab) {
    throw InputError("model configuration out of range");
  }
  return c;
}

TrainConfig train_config_from_json(const nlohmann::json& j) {
  TrainConfig c;
  // Runs from before --val-max-bytes existed validated on the whole split: keep their curves.
  c.val_max_bytes = 0;
  // Runs from before --precision existed were float32.
  c.precision = "fp32";
  // Runs from before --lr-schedule existed used char-rnn's.
  c.lr_schedule = "char-rnn";
  visit_train_fields(c, [&](const char* key, auto& value) {
    if (added_later(key) && j.is_object() && !j.contains(key)) return;
    value = field<std::decay_t<decltype(value)>>(j, key);
  });
  if (c.batch < 1 || c.seq_len < 1) throw InputError("training configuration out of range");
  return c;
}

}  // namespace charrnn
