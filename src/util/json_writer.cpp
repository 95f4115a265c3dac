#include "charrnn/util/json_writer.h"

namespace charrnn {

std::string dump_json(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

}  // namespace charrnn
