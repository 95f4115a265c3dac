// A request's streams: bytes handed from the engine thread to the HTTP thread.
#include "charrnn/serve/stream_session.h"

namespace charrnn::serve {

StreamSession::StreamSession(
    const std::string& prime, const std::vector<SampleConfig>& streams, int64_t length,
    bool keep_text, std::function<void(size_t stream, uint8_t byte, const float* logits)> on_byte)
    : keep_text_(keep_text), fresh_(streams.size()), text_(streams.size()) {
  for (size_t k = 0; k < streams.size(); ++k) {
    auto job = std::make_shared<StreamJob>();
    job->prime = prime;
    job->sampling = streams[k];
    job->length = length;
    // The jobs live in the engine until they end, the session as long as the HTTP response:
    // the callbacks must not keep the session alive, nor outlive it (the destructor cancels
    // and the engine calls nothing after on_end).
    job->on_byte = [this, k, on_byte](uint8_t byte, const float* logits) {
      if (on_byte) on_byte(k, byte, logits);
      std::lock_guard<std::mutex> lock(mu_);
      fresh_[k].push_back(static_cast<char>(byte));
      if (keep_text_) text_[k].push_back(static_cast<char>(byte));
      if (!any_byte_) first_byte_ = std::chrono::steady_clock::now();
      any_byte_ = dirty_ = true;
      // Wake the HTTP thread only if it waits for bytes: during its gap between sends it
      // waits for the end alone, and a wake-up per byte would cost more than the byte.
      if (waiting_for_bytes_) changed_.notify_all();
    };
    job->on_end = [this](bool finished) {
      std::lock_guard<std::mutex> lock(mu_);
      ++ended_;
      if (finished) ++finished_;
      dirty_ = true;
      changed_.notify_all();
    };
    jobs_.push_back(std::move(job));
  }
}

void StreamSession::submit_to(BatchEngine& engine) {
  submitted_ = true;
  engine.submit(jobs_);
}

StreamSession::~StreamSession() {
  // The engine may still be inside a callback of ours: wait until every job has ended.
  cancel();
  if (!submitted_) return;
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] { return ended_ == jobs_.size(); });
}

StreamSession::Update StreamSession::take(TimePoint until, std::chrono::milliseconds gap) {
  std::unique_lock<std::mutex> lock(mu_);
  waiting_for_bytes_ = true;
  changed_.wait_until(lock, until, [&] { return dirty_; });
  waiting_for_bytes_ = false;
  const TimePoint next = std::min(until, last_take_ + gap);
  changed_.wait_until(lock, next, [&] { return ended_ == jobs_.size(); });
  Update u;
  u.fresh.resize(fresh_.size());
  for (size_t k = 0; k < fresh_.size(); ++k) u.fresh[k].swap(fresh_[k]);
  u.ended = ended_ == jobs_.size();
  u.finished = finished_ == jobs_.size();
  dirty_ = false;
  for (const auto& f : u.fresh) {
    if (!f.empty()) last_take_ = std::chrono::steady_clock::now();
  }
  return u;
}

void StreamSession::cancel() {
  for (auto& job : jobs_) job->cancelled = true;
}

bool StreamSession::first_byte_at(TimePoint& at) const {
  std::lock_guard<std::mutex> lock(mu_);
  at = first_byte_;
  return any_byte_;
}

}  // namespace charrnn::serve
