// Request bodies → plain structs. Every refusal names the field and says what it accepts.
#include "charrnn/serve/request.h"

#include <cmath>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "charrnn/compare/temperature_grid.h"
#include "charrnn/errors.h"
#include "charrnn/util/json_writer.h"

namespace charrnn::serve {
namespace {

using nlohmann::json;

// A field name as the message shows it: JSON-quoted (a name can hold any byte, a newline too)
// and cut to 64 bytes.
std::string quoted(const std::string& field) {
  return dump_json(json(field.size() > 64 ? field.substr(0, 64) + "..." : field));
}

[[noreturn]] void bad(const std::string& field, const std::string& message) {
  throw RequestError(400, field, quoted(field) + " " + message);
}

json parse_object(const std::string& body) {
  if (body.size() > kMaxBodyBytes) {
    throw RequestError(413, "", "request body over " + std::to_string(kMaxBodyBytes) + " bytes");
  }
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    throw RequestError(400, "",
                       "malformed JSON body (send one JSON object, e.g. {\"model\": \"x\"})");
  }
  if (!j.is_object()) throw RequestError(400, "", "the body must be a JSON object");
  return j;
}

std::string get_string(const json& v, const std::string& field) {
  if (!v.is_string()) bad(field, "must be a string");
  return v.get<std::string>();
}

double get_number(const json& v, const std::string& field) {
  if (!v.is_number()) bad(field, "must be a number");
  const double d = v.get<double>();
  if (!std::isfinite(d)) bad(field, "must be finite");
  return d;
}

int64_t get_int(const json& v, const std::string& field, int64_t lo, int64_t hi) {
  if (!v.is_number_integer()) bad(field, "must be an integer");
  // Unsigned JSON integers can exceed int64_t: compare them as unsigned (lo and hi are >= 0).
  const bool in_range = v.is_number_unsigned() ? v.get<uint64_t>() >= static_cast<uint64_t>(lo) &&
                                                     v.get<uint64_t>() <= static_cast<uint64_t>(hi)
                                               : v.get<int64_t>() >= lo && v.get<int64_t>() <= hi;
  if (!in_range) bad(field, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return v.get<int64_t>();
}

uint64_t get_seed(const json& v) {
  if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<int64_t>() < 0)) {
    bad("seed", "must be an integer in [0, 2^64)");
  }
  return v.get<uint64_t>();
}

double get_temperature(const json& v, const std::string& field) {
  const double t = get_number(v, field);
  if (t < 0) bad(field, "must be >= 0 (0 = greedy)");
  return t;
}

double get_top_p(const json& v) {
  const double p = get_number(v, "top_p");
  if (!(p > 0 && p <= 1)) bad("top_p", "must be in (0, 1] (1 = off)");
  return p;
}

// Calls the handler of every field present; an unknown field is an error naming it.
using FieldHandlers = std::map<std::string, std::function<void(const json&)>>;
void read_fields(const json& body, const FieldHandlers& handlers) {
  for (const auto& [key, value] : body.items()) {
    const auto it = handlers.find(key);
    if (it == handlers.end()) {
      std::string names;
      for (const auto& h : handlers) names += (names.empty() ? "" : ", ") + h.first;
      bad(key, "is not a known field (fields: " + names + ")");
    }
    it->second(value);
  }
  if (!body.contains("model")) bad("model", "is required (a run name from GET /api/models)");
}

std::vector<double> parse_sweep_field(const std::string& text) {
  try {
    return parse_sweep(text, "sweep");
  } catch (const InputError& e) {
    throw RequestError(400, "sweep", e.what());
  }
}

// Every stream is a row of the shared batch: bound them per request.
void check_streams(int64_t streams, const std::string& field) {
  if (streams > kMaxStreams) {
    bad(field, "asks for " + std::to_string(streams) + " streams, over the limit of " +
                   std::to_string(kMaxStreams) + " per request");
  }
}

}  // namespace

GenerateRequest parse_generate_request(const std::string& body) {
  const json j = parse_object(body);
  GenerateRequest r;
  read_fields(
      j, {
             {"model", [&](const json& v) { r.model = get_string(v, "model"); }},
             {"prime", [&](const json& v) { r.prime = get_string(v, "prime"); }},
             {"temperature",
              [&](const json& v) { r.sampling.temperature = get_temperature(v, "temperature"); }},
             {"length", [&](const json& v) { r.length = get_int(v, "length", 0, kMaxLength); }},
             {"top_k",
              [&](const json& v) {
                r.sampling.top_k = static_cast<int>(get_int(v, "top_k", 0, 256));
              }},
             {"top_p", [&](const json& v) { r.sampling.top_p = get_top_p(v); }},
             {"seed", [&](const json& v) { r.seed = get_seed(v); }},
             {"num_samples",
              [&](const json& v) {
                r.num_samples = static_cast<int>(get_int(v, "num_samples", 1, kMaxStreams));
              }},
         });
  return r;
}

CompareRequest parse_compare_request(const std::string& body) {
  const json j = parse_object(body);
  CompareRequest r;
  bool sweep = false, samples_given = false;
  read_fields(
      j, {
             {"model", [&](const json& v) { r.model = get_string(v, "model"); }},
             {"prime", [&](const json& v) { r.prime = get_string(v, "prime"); }},
             {"temperatures",
              [&](const json& v) {
                if (!v.is_array()) bad("temperatures", "must be an array of numbers");
                check_streams(static_cast<int64_t>(v.size()), "temperatures");
                for (const json& t : v)
                  r.temperatures.push_back(get_temperature(t, "temperatures"));
              }},
             {"sweep",
              [&](const json& v) {
                sweep = true;
                r.temperatures = parse_sweep_field(get_string(v, "sweep"));
              }},
             {"length", [&](const json& v) { r.length = get_int(v, "length", 0, kMaxLength); }},
             {"top_k",
              [&](const json& v) { r.top_k = static_cast<int>(get_int(v, "top_k", 0, 256)); }},
             {"top_p", [&](const json& v) { r.top_p = get_top_p(v); }},
             {"seed", [&](const json& v) { r.seed = get_seed(v); }},
             {"num_samples",
              [&](const json& v) {
                samples_given = true;
                r.num_samples = static_cast<int>(get_int(v, "num_samples", 1, kMaxStreams));
              }},
         });
  if (j.contains("temperatures") && sweep)
    bad("sweep", "replaces 'temperatures': send one of them");
  if (!j.contains("temperatures") && !sweep) r.temperatures = {0.2, 0.5, 1.0, 1.2};
  if (sweep && !samples_given) r.num_samples = 4;  // curves, not anecdotes (as the CLI)
  try {
    validate_temperatures(r.temperatures, sweep ? "sweep" : "temperatures");
  } catch (const InputError& e) {
    throw RequestError(400, sweep ? "sweep" : "temperatures", e.what());
  }
  check_streams(static_cast<int64_t>(r.temperatures.size()) * r.num_samples,
                samples_given ? "num_samples" : (sweep ? "sweep" : "temperatures"));
  return r;
}

std::string error_json(const std::string& message, const std::string& field) {
  json j{{"error", message}};
  if (!field.empty()) j["field"] = field;
  return dump_json(j);
}

}  // namespace charrnn::serve
