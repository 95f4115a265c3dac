// JSON form of the config structs: run folders' config.json and checkpoint headers.
#pragma once
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>

#include "charrnn/config.h"
#include "charrnn/errors.h"

namespace charrnn {

// `v` as the integer type T. InputError naming `what` unless v is a JSON integer that fits T:
// nlohmann's own get<T>() converts a float such as 1e300 (undefined behaviour) or an integer
// out of T's range (truncation) without complaint, and these values come from files.
template <typename T>
T json_integer(const nlohmann::json& v, const std::string& what) {
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
  bool fits = false;
  if (v.is_number_unsigned()) {
    fits = v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<T>::max());
  } else if (v.is_number_integer()) {
    const auto x = v.get<int64_t>();
    fits = x < 0 ? std::is_signed_v<T> && x >= static_cast<int64_t>(std::numeric_limits<T>::min())
                 : static_cast<uint64_t>(x) <= static_cast<uint64_t>(std::numeric_limits<T>::max());
  }
  if (!fits) throw InputError("'" + what + "' is not an integer in range");
  return static_cast<T>(v.is_number_unsigned() ? v.get<uint64_t>()
                                               : static_cast<uint64_t>(v.get<int64_t>()));
}

nlohmann::json to_json(const ModelConfig& cfg);
nlohmann::json to_json(const TrainConfig& cfg);
// Throw InputError naming the field when a value is missing, mistyped or out of range.
ModelConfig model_config_from_json(const nlohmann::json& j);
TrainConfig train_config_from_json(const nlohmann::json& j);

}  // namespace charrnn
