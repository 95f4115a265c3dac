// Request bodies → request structs: defaults, every field, and refusals naming the field.
#include <gtest/gtest.h>

#include "charrnn/serve/request.h"

using namespace charrnn::serve;

namespace {

// The field a refused body names; "" if it was accepted.
std::string refused_field(const std::string& body, bool compare = false) {
  try {
    compare ? (void)parse_compare_request(body) : (void)parse_generate_request(body);
  } catch (const RequestError& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line";
    return e.field.empty() ? "<body>" : e.field;
  }
  return "";
}

}  // namespace

TEST(ServeRequest, GenerateDefaultsAreTheCliDefaults) {
  const auto r = parse_generate_request(R"({"model": "m"})");
  EXPECT_EQ(r.model, "m");
  EXPECT_EQ(r.prime, "");
  EXPECT_EQ(r.length, 500);
  EXPECT_EQ(r.num_samples, 1);
  EXPECT_EQ(r.sampling.temperature, 1.0);
  EXPECT_EQ(r.sampling.top_k, 0);
  EXPECT_EQ(r.sampling.top_p, 1.0);
  EXPECT_FALSE(r.seed.has_value());
}

TEST(ServeRequest, GenerateReadsEveryField) {
  const auto r = parse_generate_request(
      R"({"model": "m", "prime": "é\u0000x", "temperature": 0, "length": 100000, "top_k": 5,
          "top_p": 0.5, "seed": 18446744073709551615, "num_samples": 64})");
  EXPECT_EQ(r.prime, std::string("\xc3\xa9\0x", 4));
  EXPECT_EQ(r.sampling.temperature, 0.0);
  EXPECT_EQ(r.length, 100000);
  EXPECT_EQ(r.sampling.top_k, 5);
  EXPECT_EQ(r.sampling.top_p, 0.5);
  EXPECT_EQ(*r.seed, 18446744073709551615ull);
  EXPECT_EQ(r.num_samples, 64);
}

TEST(ServeRequest, RefusalsNameTheField) {
  EXPECT_EQ(refused_field(R"({"model": "m", "temperature": -0.1})"), "temperature");
  EXPECT_NE(refused_field(R"({"model": "m", "temperature": 1e999})"), "");  // inf or not JSON
  EXPECT_EQ(refused_field(R"({"model": "m", "temperature": null})"), "temperature");
  EXPECT_EQ(refused_field(R"({"model": "m", "length": -1})"), "length");
  EXPECT_EQ(refused_field(R"({"model": "m", "length": 100001})"), "length");
  EXPECT_EQ(refused_field(R"({"model": "m", "top_k": 257})"), "top_k");
  EXPECT_EQ(refused_field(R"({"model": "m", "top_p": 1.5})"), "top_p");
  EXPECT_EQ(refused_field(R"({"model": "m", "seed": 1.5})"), "seed");
  EXPECT_EQ(refused_field(R"({"model": "m", "num_samples": 0})"), "num_samples");
  EXPECT_EQ(refused_field(R"({"model": "m", "extra": 0})"), "extra");
  EXPECT_EQ(refused_field(R"({"model": ["m"]})"), "model");
  EXPECT_EQ(refused_field(R"({})"), "model");
  EXPECT_EQ(refused_field(R"("m")"), "<body>");
  EXPECT_EQ(refused_field(std::string(70000, ' ')), "<body>");
}

TEST(ServeRequest, CompareTakesTemperaturesOrASweep) {
  auto r = parse_compare_request(R"({"model": "m"})");
  EXPECT_EQ(r.temperatures, (std::vector<double>{0.2, 0.5, 1.0, 1.2}));  // the CLI's default
  EXPECT_EQ(r.length, 400);
  EXPECT_EQ(r.num_samples, 1);
  r = parse_compare_request(R"({"model": "m", "sweep": "0.5:1.5:0.5"})");
  EXPECT_EQ(r.temperatures, (std::vector<double>{0.5, 1.0, 1.5}));
  EXPECT_EQ(r.num_samples, 4);  // a sweep's default, as the CLI
  r = parse_compare_request(R"({"model": "m", "temperatures": [0, 2], "num_samples": 32})");
  EXPECT_EQ(r.temperatures, (std::vector<double>{0, 2}));
  EXPECT_EQ(refused_field(R"({"model": "m", "temperatures": [0, 2], "num_samples": 33})", true),
            "num_samples");
  EXPECT_EQ(refused_field(R"({"model": "m", "temperatures": [1, 1]})", true), "temperatures");
  EXPECT_EQ(refused_field(R"({"model": "m", "temperatures": []})", true), "temperatures");
  EXPECT_EQ(refused_field(R"({"model": "m", "temperatures": 1})", true), "temperatures");
  EXPECT_EQ(refused_field(R"({"model": "m", "sweep": "1:0:0.1"})", true), "sweep");
  // A value quoted into the error keeps it on one line (found by Fuzz.request): escaped.
  EXPECT_EQ(refused_field(R"({"model": "m", "sweep": "0.1\n:1\r:\t"})", true), "sweep");
  EXPECT_EQ(RequestError(400, "f", "a\nb\r\t\x01\x7f c").what(),
            std::string("a\\nb\\r\\t\\x01\\x7f c"));
  EXPECT_EQ(refused_field(R"({"model": "m", "temperature": 1})", true), "temperature");
}
