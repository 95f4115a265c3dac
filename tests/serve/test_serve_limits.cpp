// charrnn serve refuses what it should, with a one-line JSON error naming the field, and stops
// work nobody waits for.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>

#include "serve_fixture.h"

using namespace charrnn::testing;
using nlohmann::json;

namespace {

// POSTs raw bytes; the response.
httplib::Result post_raw(const TestServer& s, const std::string& path, const std::string& body) {
  return s.client()->Post(path.c_str(), body, "application/json");
}

// A refusal: the status, a one-line JSON body {"error": ...} naming `field` if given.
void expect_refused(const httplib::Result& r, int status, const std::string& field,
                    const std::string& what) {
  SCOPED_TRACE(what);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, status) << r->body;
  ASSERT_FALSE(r->body.empty());
  EXPECT_EQ(std::count(r->body.begin(), r->body.end(), '\n'), 1) << r->body;
  const auto j = json::parse(r->body);
  EXPECT_TRUE(j["error"].is_string());
  if (!field.empty()) {
    EXPECT_EQ(j.value("field", ""), field) << r->body;
    EXPECT_NE(j["error"].get<std::string>().find(field), std::string::npos) << r->body;
  }
}

// Opens a long streaming request and reads until `stop` is set (then hangs up).
std::thread hold_stream(const TestServer& s, const json& body, std::atomic<bool>& started,
                        std::atomic<bool>& stop) {
  return std::thread([&s, body, &started, &stop] {
    auto c = s.client();
    httplib::Request req;
    req.method = "POST";
    req.path = "/api/generate";
    req.body = body.dump();
    req.set_header("Content-Type", "application/json");
    req.content_receiver = [&](const char*, size_t, uint64_t, uint64_t) {
      started = true;
      return !stop.load();
    };
    httplib::Response res;
    httplib::Error err;
    c->send(req, res, err);
  });
}

// The streams the server is running or queueing for "tiny" (GET /api/models).
int64_t running_streams(const TestServer& s) {
  const auto j = json::parse(s.client()->Get("/api/models")->body);
  return j["models"][0]["streams"].get<int64_t>();
}

}  // namespace

TEST(ServeLimits, BadInputIsA400NamingTheField) {
  TestServer s;
  const std::pair<const char*, const char*> cases[] = {
      {R"({"model": "tiny", "temperature": -1})", "temperature"},
      {R"({"model": "tiny", "temperature": "hot"})", "temperature"},
      {R"({"model": "tiny", "temprature": 1})", "temprature"},
      {R"({"model": "tiny", "length": 100001})", "length"},
      {R"({"model": "tiny", "length": 1.5})", "length"},
      {R"({"model": "tiny", "num_samples": 65})", "num_samples"},
      {R"({"model": "tiny", "top_p": 0})", "top_p"},
      {R"({"model": "tiny", "seed": -3})", "seed"},
      {R"({"model": 7})", "model"},
      {R"({"prime": "x"})", "model"},
  };
  for (const auto& [body, field] : cases) {
    expect_refused(post_raw(s, "/api/generate", body), 400, field, body);
  }
  expect_refused(post_raw(s, "/api/generate", R"({"model": "tiny", "temperature": NaN})"), 400, "",
                 "NaN is not JSON");
  expect_refused(post_raw(s, "/api/generate", "{\"model\": "), 400, "", "truncated JSON");
  expect_refused(post_raw(s, "/api/generate", "[1, 2]"), 400, "", "not an object");
  expect_refused(post_raw(s, "/api/compare", R"({"model": "tiny", "temperatures": [1, 0.5]})"), 400,
                 "temperatures", "decreasing temperatures");
  expect_refused(post_raw(s, "/api/compare",
                          R"({"model": "tiny", "temperatures": [0.5], "sweep": "0:1:0.5"})"),
                 400, "sweep", "both temperatures and sweep");
  expect_refused(post_raw(s, "/api/compare", R"({"model": "tiny", "sweep": "0:2:0.1"})"), 400,
                 "sweep", "21 temperatures x 4 samples = 84 streams");
  expect_refused(post_raw(s, "/api/compare", R"({"model": "tiny", "temperatures": [-0.5]})"), 400,
                 "temperatures", "negative temperature");
}

TEST(ServeLimits, ABodyOver64KiBIsA413) {
  TestServer s;
  const std::string prime(70 * 1024, 'a');
  expect_refused(post_raw(s, "/api/generate", json{{"model", "tiny"}, {"prime", prime}}.dump()),
                 413, "", "large body");
}

TEST(ServeLimits, ModelNamesStayInsideTheModelsFolder) {
  TempDir outside;
  std::filesystem::copy(models_dir() + "/tiny", outside / "run",
                        std::filesystem::copy_options::recursive);
  const std::string link = models_dir() + "/escape";
  std::filesystem::create_directory_symlink(outside / "run", link);
  TestServer s;
  for (const std::string& name :
       {std::string("../models/tiny"), outside / "run", std::string("escape"),
        std::string("tiny/../tiny"), std::string(".."), std::string("nope"), std::string("")}) {
    expect_refused(post_raw(s, "/api/generate", json{{"model", name}, {"length", 5}}.dump()), 404,
                   "model", name);
  }
  // The symlink out of the folder is not listed either.
  EXPECT_EQ(json::parse(s.client()->Get("/api/models")->body)["models"].size(), 1u);
  std::filesystem::remove(link);
}

TEST(ServeLimits, UnknownEndpointsAreJson404s) {
  TestServer s;
  expect_refused(s.client()->Get("/api/nothing"), 404, "", "unknown path");
}

TEST(ServeLimits, BeyondMaxRequestsIsA503WithRetryAfter) {
  charrnn::serve::ServeConfig cfg;
  cfg.max_requests = 1;
  TestServer s(cfg);
  std::atomic<bool> started{false}, stop{false};
  std::thread holder = hold_stream(
      s, {{"model", "tiny"}, {"length", 100000}, {"num_samples", 8}, {"seed", 1}}, started, stop);
  while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto r = post_raw(s, "/api/generate", R"({"model": "tiny", "length": 5})");
  expect_refused(r, 503, "", "second request");
  EXPECT_EQ(r->get_header_value("Retry-After"), "1");
  stop = true;
  holder.join();
}

TEST(ServeLimits, AClientThatHangsUpStopsItsStreams) {
  TestServer s;
  std::atomic<bool> started{false}, stop{false};
  std::thread holder = hold_stream(
      s, {{"model", "tiny"}, {"length", 100000}, {"num_samples", 16}, {"seed", 1}}, started, stop);
  while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(running_streams(s), 16);
  stop = true;  // 1.6 MB of work left: only a cancel ends it within the second
  holder.join();
  const auto t0 = std::chrono::steady_clock::now();
  while (running_streams(s) > 0 &&
         std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(running_streams(s), 0);
}

TEST(ServeLimits, ARequestPastTheTimeLimitEndsWithAnErrorEvent) {
  charrnn::serve::ServeConfig cfg;
  cfg.time_limit = 0.3;
  TestServer s(cfg);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = post_raw(s, "/api/generate",
                    R"({"model": "tiny", "length": 100000, "num_samples": 16, "seed": 1})");
  ASSERT_TRUE(r);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  const auto events = parse_sse(r->body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().name, "error");
  EXPECT_NE(events.back().data["error"].get<std::string>().find("time limit"), std::string::npos);
}
