// JSON form of the config structs: run folders' config.json and checkpoint headers.
#pragma once
#include <nlohmann/json.hpp>

#include "charrnn/config.h"

namespace charrnn {

nlohmann::json to_json(const ModelConfig& cfg);
nlohmann::json to_json(const TrainConfig& cfg);
// Throw InputError naming the field when a value is missing, mistyped or out of range.
ModelConfig model_config_from_json(const nlohmann::json& j);
TrainConfig train_config_from_json(const nlohmann::json& j);

}  // namespace charrnn
