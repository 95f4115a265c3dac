// Server-sent events framing.
#include "charrnn/serve/sse.h"

#include "charrnn/util/json_writer.h"

namespace charrnn::serve {

std::string sse_event(const std::string& name, const nlohmann::json& data) {
  return "event: " + name + "\ndata: " + dump_json(data) + "\n\n";
}

std::string to_hex(std::string_view bytes) {
  static const char* const digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

}  // namespace charrnn::serve
