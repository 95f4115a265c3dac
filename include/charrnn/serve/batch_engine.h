// BatchEngine: continuous batching for one model. Every stream of every request is a row of one
// shared Stepper; streams join (their prime is fed byte by byte like any other row) and leave
// (finished or cancelled) between bytes, so concurrent users share each matrix product. A row
// draws exactly what generate() draws for the same prime and SampleConfig (byte-identical).
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "charrnn/config.h"
#include "charrnn/model/model.h"
#include "charrnn/model/stepper.h"
#include "charrnn/model/weight_format.h"

namespace charrnn::serve {

// One stream to generate. The callbacks run on the engine's thread: keep them short.
struct StreamJob {
  std::string prime;      // warms the state; "" starts from a newline, as generate() does
  SampleConfig sampling;  // validated by the caller
  int64_t length = 0;     // bytes to draw
  // Each drawn byte and the raw logits (256) it was drawn from.
  std::function<void(uint8_t byte, const float* logits)> on_byte;
  // Once, when the stream leaves: finished = all `length` bytes drawn (false: cancelled).
  std::function<void(bool finished)> on_end;
  std::atomic<bool> cancelled{false};  // set by any thread; the row leaves before its next byte
};

class BatchEngine {
 public:
  // At most `max_rows` streams step together; more wait, in order, for a row to free up.
  // The Stepper keeps the weights in `weights` (bf16, int8: CPU models only; checked by the
  // caller).
  BatchEngine(const CharLSTM& model, int64_t max_rows, WeightFormat weights = WeightFormat::fp32);
  ~BatchEngine();  // ends every stream still queued or running (on_end(false)) and joins
  BatchEngine(const BatchEngine&) = delete;
  BatchEngine& operator=(const BatchEngine&) = delete;

  void submit(const std::vector<std::shared_ptr<StreamJob>>& jobs);
  int64_t streams() const;  // running + queued, for tests and the load figures

 private:
  struct Row;
  void run();
  void admit_locked(std::vector<Row>& rows);
  static void next_input(Row& row, const float* z);
  void for_groups(size_t n, const std::function<void(size_t first, size_t count)>& fn) const;

  CharLSTM model_;
  int64_t max_rows_;
  bool cpu_;  // groups of rows step on the intra-op threads (CPU only)
  // Built by the constructor, so that a model it cannot hold (int8 of a non-finite weight) is an
  // InputError for the caller rather than an exception that ends the engine thread (and the
  // process); used by the engine thread only.
  std::unique_ptr<Stepper> stepper_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<StreamJob>> queue_;
  std::atomic<int64_t> running_{0};
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace charrnn::serve
