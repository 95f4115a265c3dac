// libFuzzer target: charrnn serve's request body → request struct parser. Any bytes must give
// either a request within the limits or a RequestError with a 4xx status and a one-line message.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "charrnn/serve/request.h"

using namespace charrnn::serve;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void check_error(const RequestError& e) {
  check(e.status >= 400 && e.status < 500);
  check(std::string(e.what()).find('\n') == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the endpoint: 'c' compare, anything else generate.
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    if (data[0] == 'c') {
      const CompareRequest r = parse_compare_request(body);
      check(!r.temperatures.empty());
      check(static_cast<int64_t>(r.temperatures.size()) * r.num_samples <= kMaxStreams);
      for (size_t i = 0; i < r.temperatures.size(); ++i) {
        check(std::isfinite(r.temperatures[i]) && r.temperatures[i] >= 0);
        check(i == 0 || r.temperatures[i] > r.temperatures[i - 1]);
      }
      check(r.length >= 0 && r.length <= kMaxLength);
      check(r.top_p > 0 && r.top_p <= 1 && r.top_k >= 0);
    } else {
      const GenerateRequest r = parse_generate_request(body);
      check(std::isfinite(r.sampling.temperature) && r.sampling.temperature >= 0);
      check(r.length >= 0 && r.length <= kMaxLength);
      check(r.num_samples >= 1 && r.num_samples <= kMaxStreams);
      check(r.sampling.top_p > 0 && r.sampling.top_p <= 1 && r.sampling.top_k >= 0);
    }
  } catch (const RequestError& e) {
    check_error(e);
  }
  return 0;
}
