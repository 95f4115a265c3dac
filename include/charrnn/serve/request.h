// Serve requests: a POST body (JSON) → a validated, plain request struct. Torch-free, so the
// libFuzzer target (tests/fuzz/fuzz_request.cpp) builds it alone.
#pragma once
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "charrnn/config.h"
#include "charrnn/util/display_bytes.h"

namespace charrnn::serve {

inline constexpr size_t kMaxBodyBytes = 64 * 1024;  // request body limit
inline constexpr int64_t kMaxLength = 100000;       // bytes generated per stream
inline constexpr int kMaxStreams = 64;              // streams (samples x temperatures) per request

// A request the server refuses: the HTTP status, the field at fault ("" = the whole body) and a
// one-line message naming the problem and the fix.
// The message as display_bytes shows it (control characters as \n, \xHH, ...): a value quoted
// from the request into an error (a sweep of "1\n2") must not break the error's one line.
struct RequestError : std::runtime_error {
  RequestError(int status, std::string field, const std::string& message)
      : std::runtime_error(display_bytes(message, false)),
        status(status),
        field(std::move(field)) {}
  int status;
  std::string field;
};

// POST /api/generate: what `charrnn generate` takes.
struct GenerateRequest {
  std::string model;             // a run folder's name under --models
  std::string prime;             // warms the state; "" starts from a newline
  SampleConfig sampling;         // temperature, top_k, top_p (seed: see below)
  std::optional<uint64_t> seed;  // sample i uses seed + i; none = a fresh random seed
  int64_t length = 500;          // bytes per sample
  int num_samples = 1;           // streams, generated side by side
};

// POST /api/compare: what `charrnn compare` takes.
struct CompareRequest {
  std::string model;
  std::string prime;
  std::vector<double> temperatures;  // from "temperatures" or "sweep"; strictly increasing
  std::optional<uint64_t> seed;
  int64_t length = 400;
  int num_samples = 1;  // per temperature (4 by default with a sweep, as the CLI does)
  int top_k = 0;
  double top_p = 1.0;
};

// Throw RequestError(400, field, ...) on malformed JSON, a non-object, an unknown field, a wrong
// type, or a value out of range (NaN or negative temperature, length > kMaxLength, ...).
GenerateRequest parse_generate_request(const std::string& body);
CompareRequest parse_compare_request(const std::string& body);

// {"error": message, "field": field} on one line.
std::string error_json(const std::string& message, const std::string& field = "");

}  // namespace charrnn::serve
