// StreamSession: one request's streams between the engine thread (which appends bytes) and the
// HTTP thread (which sends what is new). It owns the jobs, so it can cancel them.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "charrnn/serve/batch_engine.h"

namespace charrnn::serve {

class StreamSession {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // One job per SampleConfig, all from the same prime; `keep_text` keeps every stream's whole
  // text for text() (compare measures it at the end). on_byte, if given, sees each byte too
  // (on the engine thread, before it is published).
  StreamSession(const std::string& prime, const std::vector<SampleConfig>& streams, int64_t length,
                bool keep_text,
                std::function<void(size_t stream, uint8_t byte, const float* logits)> on_byte = {});
  ~StreamSession();  // cancels what is still running

  // Hands every stream to the engine (once); they join its batch between two bytes.
  void submit_to(BatchEngine& engine);

  struct Update {
    std::vector<std::string> fresh;  // per stream: bytes not taken before
    bool ended = false;              // every stream has left the engine
    bool finished = false;           // ... each with all its bytes
  };
  // Waits until some stream has new bytes or ended, or `until`; takes what is new. After the
  // first bytes, takes come at least `gap` apart (unless every stream ended): bytes are sent a
  // few at a time instead of one event per byte per stream.
  Update take(TimePoint until, std::chrono::milliseconds gap = std::chrono::milliseconds(20));
  void cancel();  // every stream leaves the engine before its next byte
  // After take() returned ended: stream k's whole text (keep_text only).
  const std::string& text(size_t k) const { return text_[k]; }
  // When the first byte of any stream was drawn (the first-byte latency), if one was.
  bool first_byte_at(TimePoint& at) const;

 private:
  std::vector<std::shared_ptr<StreamJob>> jobs_;
  bool keep_text_;
  bool submitted_ = false;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::string> fresh_, text_;
  size_t ended_ = 0, finished_ = 0;
  bool any_byte_ = false, dirty_ = false;
  bool waiting_for_bytes_ = false;  // take() waits for bytes (not just for the end)
  TimePoint first_byte_;
  TimePoint last_take_{};  // of a take that returned bytes
};

}  // namespace charrnn::serve
