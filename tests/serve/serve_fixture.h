// What the serve tests share: one tiny trained run under a models folder, a server on an
// ephemeral port of 127.0.0.1, and a reader for server-sent events.
#pragma once
#include <httplib.h>
#include <torch/torch.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "charrnn/serve/server.h"
#include "charrnn/store/checkpoint.h"
#include "test_util.h"

namespace charrnn::testing {

// The models folder with one run, "tiny": a 2 x 32 model with seeded random weights, saved as a
// run's best.ckpt (ctest runs every test in its own process: training each time would be slow).
// The head is scaled up so the outputs are peaked: a wrong state shows up as different text.
inline const TempDir& models_home() {
  static TempDir dir;  // removed when the test process exits
  static const bool made = [](const TempDir& d) {
    write_file(d / "corpus.txt", play_text(4000));
    std::filesystem::create_directories(d / "models/tiny");
    Checkpoint ckpt;
    ckpt.model.layers = 2;
    ckpt.model.hidden = 32;
    ckpt.model.dropout = 0;
    ckpt.train.data = d / "corpus.txt";
    ckpt.progress.step = 20;
    ckpt.progress.last_val = 3.25;
    torch::manual_seed(11);
    CharLSTM model(ckpt.model);
    {
      torch::NoGradGuard guard;
      model->head->weight.mul_(4);
    }
    store_model(model, ckpt);
    save_checkpoint(d / "models/tiny/best.ckpt", ckpt);
    return true;
  }(dir);
  (void)made;
  return dir;
}
inline std::string models_dir() { return models_home() / "models"; }

// A server on its own thread for the life of the object.
class TestServer {
 public:
  explicit TestServer(serve::ServeConfig cfg = {}) {
    if (cfg.models == "models") cfg.models = models_dir();
    cfg.port = 0;
    server_ = std::make_unique<serve::Server>(cfg);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->run(); });
  }
  ~TestServer() {
    server_->stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::unique_ptr<httplib::Client> client() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
    c->set_read_timeout(60);
    return c;
  }

 private:
  std::unique_ptr<serve::Server> server_;
  int port_ = 0;
  std::thread thread_;
};

struct SseEvent {
  std::string name;
  nlohmann::json data;
};

// "event: NAME\ndata: JSON\n\n" blocks; comments (": keep-alive") are skipped.
inline std::vector<SseEvent> parse_sse(const std::string& body) {
  std::vector<SseEvent> events;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find("\n\n", pos);
    if (end == std::string::npos) end = body.size();
    const std::string block = body.substr(pos, end - pos);
    pos = end + 2;
    SseEvent e;
    std::string data;
    size_t line_start = 0;
    while (line_start < block.size()) {
      size_t nl = block.find('\n', line_start);
      if (nl == std::string::npos) nl = block.size();
      const std::string line = block.substr(line_start, nl - line_start);
      if (line.rfind("event: ", 0) == 0) e.name = line.substr(7);
      if (line.rfind("data: ", 0) == 0) data += line.substr(6);
      line_start = nl + 1;
    }
    if (e.name.empty()) continue;
    e.data = nlohmann::json::parse(data);  // throws (fails the test) on a malformed event
    events.push_back(std::move(e));
  }
  return events;
}

inline std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// Every stream's bytes, joined from the "bytes" events.
inline std::vector<std::string> stream_texts(const std::vector<SseEvent>& events) {
  std::vector<std::string> texts;
  for (const auto& e : events) {
    if (e.name != "bytes") continue;
    const auto k = e.data["stream"].get<size_t>();
    if (texts.size() <= k) texts.resize(k + 1);
    texts[k] += from_hex(e.data["hex"].get<std::string>());
  }
  return texts;
}

// The one event named `name`; fails the test if there is not exactly one.
inline nlohmann::json only_event(const std::vector<SseEvent>& events, const std::string& name) {
  nlohmann::json found;
  int n = 0;
  for (const auto& e : events) {
    if (e.name == name) {
      found = e.data;
      ++n;
    }
  }
  EXPECT_EQ(n, 1) << "events named " << name;
  return found;
}

}  // namespace charrnn::testing
