// A bounded load test: many clients on loopback for a while; every response is well-formed and
// the server's memory stays flat. Disabled in the default run (ctest runs it as ServeLoad.* with
// the label "slow"); CHARRNN_SERVE_LOAD_SECONDS and CHARRNN_SERVE_LOAD_CLIENTS size it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>

#include "serve_fixture.h"

using namespace charrnn::testing;
using nlohmann::json;

namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

// This process's resident memory in KiB (the server runs in it).
long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

struct Tally {
  std::atomic<int> ok{0}, busy{0}, bad{0};
};

// One client: requests until `until`, checking each response.
void client_loop(const TestServer& s, int id, std::chrono::steady_clock::time_point until,
                 Tally& t) {
  auto c = s.client();
  for (int i = 0; std::chrono::steady_clock::now() < until; ++i) {
    const int length = 50 + (id * 37 + i * 11) % 300, samples = 1 + (id + i) % 3;
    auto r = c->Post("/api/generate",
                     json{{"model", "tiny"},
                          {"length", length},
                          {"num_samples", samples},
                          {"seed", id * 1000 + i},
                          {"temperature", 0.5 + (i % 3) * 0.5}}
                         .dump(),
                     "application/json");
    if (r && r->status == 503) {
      ++t.busy;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    bool good = r && r->status == 200;
    if (good) {
      const auto events = parse_sse(r->body);
      const auto texts = stream_texts(events);
      good = !events.empty() && events.front().name == "start" && events.back().name == "done" &&
             texts.size() == static_cast<size_t>(samples);
      for (const auto& text : texts) good = good && text.size() == static_cast<size_t>(length);
    }
    if (!good && t.bad++ < 3) {
      std::printf("bad response: %s\n",
                  r ? (std::to_string(r->status) + " " + r->body.substr(0, 300)).c_str()
                    : httplib::to_string(r.error()).c_str());
    }
    if (good) ++t.ok;
  }
}

void run_clients(const TestServer& s, int clients, double seconds, Tally& t) {
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) threads.emplace_back([&, i] { client_loop(s, i, until, t); });
  for (auto& th : threads) th.join();
}

}  // namespace

TEST(ServeLoad, DISABLED_ManyClientsGetWellFormedStreamsAndMemoryStaysFlat) {
  const int clients = env_int("CHARRNN_SERVE_LOAD_CLIENTS", 64);
  const double seconds = env_int("CHARRNN_SERVE_LOAD_SECONDS", 10);
  charrnn::serve::ServeConfig cfg;
  cfg.max_requests = 48;  // fewer than the clients: some get 503 and retry
  TestServer s(cfg);
  Tally warm, load;
  run_clients(s, clients, seconds / 3, warm);  // allocator pools and thread stacks settle
  const long before = rss_kib();
  run_clients(s, clients, seconds * 2 / 3, load);
  const long after = rss_kib();
  std::printf("load: %d clients, %d ok, %d busy (503), %d bad; RSS %ld -> %ld KiB\n", clients,
              load.ok.load(), load.busy.load(), load.bad.load(), before, after);
  EXPECT_EQ(warm.bad + load.bad, 0);
  EXPECT_GT(load.ok, 0);
  EXPECT_LT(after - before, 32 * 1024) << "memory grew under a steady load";
}
