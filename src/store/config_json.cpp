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

}  // namespace

nlohmann::json to_json(const ModelConfig& c) {
  return {{"layers", c.layers}, {"hidden", c.hidden}, {"dropout", c.dropout}, {"vocab", kVocab}};
}

nlohmann::json to_json(const TrainConfig& c) {
  return {{"data", c.data},
          {"out", c.out},
          {"val_frac", c.val_frac},
          {"val_max_bytes", c.val_max_bytes},
          {"batch", c.batch},
          {"seq_len", c.seq_len},
          {"lr", c.lr},
          {"lr_decay", c.lr_decay},
          {"lr_decay_after", c.lr_decay_after},
          {"grad_clip", c.grad_clip},
          {"epochs", c.epochs},
          {"max_steps", c.max_steps},
          {"time_limit", c.time_limit},
          {"seed", c.seed},
          {"threads", c.threads},
          {"eval_every", c.eval_every},
          {"log_every", c.log_every},
          {"device", c.device},
          {"precision", c.precision},
          {"fused", c.fused}};
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
  c.data = field<std::string>(j, "data");
  c.out = field<std::string>(j, "out");
  c.val_frac = field<double>(j, "val_frac");
  // Runs from before --val-max-bytes existed validated on the whole split: keep their curves.
  c.val_max_bytes = j.contains("val_max_bytes") ? field<int64_t>(j, "val_max_bytes") : 0;
  c.batch = field<int>(j, "batch");
  c.seq_len = field<int>(j, "seq_len");
  c.lr = field<double>(j, "lr");
  c.lr_decay = field<double>(j, "lr_decay");
  c.lr_decay_after = field<int>(j, "lr_decay_after");
  c.grad_clip = field<double>(j, "grad_clip");
  c.epochs = field<int>(j, "epochs");
  c.max_steps = field<int64_t>(j, "max_steps");
  c.time_limit = field<double>(j, "time_limit");
  c.seed = field<uint64_t>(j, "seed");
  c.threads = field<int>(j, "threads");
  c.eval_every = field<int64_t>(j, "eval_every");
  c.log_every = field<int64_t>(j, "log_every");
  c.device = field<std::string>(j, "device");
  c.fused = field<bool>(j, "fused");
  // Runs from before --precision existed were float32.
  c.precision = j.contains("precision") ? field<std::string>(j, "precision") : "fp32";
  if (c.batch < 1 || c.seq_len < 1) throw InputError("training configuration out of range");
  return c;
}

}  // namespace charrnn
