// Continuous batching: one thread per model steps every live stream together, byte by byte.
#include "charrnn/serve/batch_engine.h"

#include <ATen/Parallel.h>

#include "charrnn/model/stepper.h"
#include "charrnn/sample/sampler.h"

namespace charrnn::serve {

// A live stream: row i of the batch is rows[i], and Stepper row i holds its state.
struct BatchEngine::Row {
  explicit Row(std::shared_ptr<StreamJob> j)
      : job(std::move(j)), start(job->prime.empty() ? "\n" : job->prime), rng(job->sampling.seed) {}
  std::shared_ptr<StreamJob> job;
  std::string start;  // the bytes fed before the first draw (generate()'s rule)
  size_t fed = 0;     // of `start`
  int64_t drawn = 0;  // bytes drawn so far
  Rng rng;            // seeded as generate() seeds its stream
  uint8_t input = 0;  // the byte this row feeds at the next step
  bool done = false;  // leaves the batch before the next step
  bool finished = false;
};

BatchEngine::BatchEngine(const CharLSTM& model, int64_t max_rows, WeightFormat weights)
    : model_(model),
      max_rows_(max_rows),
      cpu_(model->device().is_cpu()),
      stepper_(std::make_unique<Stepper>(model_, max_rows_, weights)),
      thread_([this] { run(); }) {}

BatchEngine::~BatchEngine() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void BatchEngine::submit(const std::vector<std::shared_ptr<StreamJob>>& jobs) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& j : jobs) queue_.push_back(j);
  }
  wake_.notify_one();
}

int64_t BatchEngine::streams() const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_ + static_cast<int64_t>(queue_.size());
}

// Queued streams take the free rows, in arrival order, with a zero state.
void BatchEngine::admit_locked(std::vector<Row>& rows) {
  while (!queue_.empty() && static_cast<int64_t>(rows.size()) < max_rows_) {
    rows.emplace_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  running_ = static_cast<int64_t>(rows.size());
}

// A row's next input: its next prime byte, or a byte drawn from `z` (the logits the last step
// left in its row); marks it done when cancelled or when its last byte is drawn.
void BatchEngine::next_input(Row& row, const float* z) {
  if (row.job->cancelled.load(std::memory_order_relaxed)) {
    row.done = true;
  } else if (row.fed < row.start.size()) {
    row.input = static_cast<uint8_t>(row.start[row.fed++]);
  } else if (row.drawn == row.job->length) {
    row.done = row.finished = true;  // length 0
  } else {
    row.input = static_cast<uint8_t>(sample_byte(z, row.job->sampling, row.rng));
    ++row.drawn;
    row.job->on_byte(row.input, z);
    if (row.drawn == row.job->length) row.done = row.finished = true;
  }
}

// Rows [0, n) in groups on the intra-op threads, as generate() splits its streams: on the CPU,
// from 16 rows, groups of at least 8 (the matrix kernel's tile height); else one group.
void BatchEngine::for_groups(size_t n, const std::function<void(size_t, size_t)>& fn) const {
  constexpr size_t kMinRowsPerGroup = 8;
  const auto threads = static_cast<size_t>(at::get_num_threads());
  if (!cpu_ || n < 2 * kMinRowsPerGroup || threads < 2) {
    if (n > 0) fn(0, n);
    return;
  }
  const auto groups = static_cast<int64_t>(std::min(threads, n / kMinRowsPerGroup));
  at::parallel_for(0, groups, 1, [&](int64_t g0, int64_t g1) {
    for (int64_t g = g0; g < g1; ++g) {
      const size_t first = n * static_cast<size_t>(g) / static_cast<size_t>(groups);
      const size_t last = n * static_cast<size_t>(g + 1) / static_cast<size_t>(groups);
      fn(first, last - first);
    }
  });
}

void BatchEngine::run() {
  at::init_num_threads();  // this thread's OpenMP team: the --threads the process was given
  Stepper& stepper = *stepper_;
  std::vector<float> logits(static_cast<size_t>(max_rows_) * kVocab);  // (max_rows,256)
  std::vector<uint8_t> input(static_cast<size_t>(max_rows_));
  std::vector<Row> rows;
  rows.reserve(static_cast<size_t>(max_rows_));
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return stop_ || !queue_.empty() || !rows.empty(); });
      if (stop_) break;
      const size_t before = rows.size();
      admit_locked(rows);
      for (size_t r = before; r < rows.size(); ++r) stepper.reset_row(static_cast<int64_t>(r));
    }
    // 1. Every row's next input (a prime byte or a drawn byte), reading its logits in place.
    for_groups(rows.size(), [&](size_t first, size_t count) {
      for (size_t r = first; r < first + count; ++r)
        next_input(rows[r], logits.data() + r * kVocab);
    });
    // 2. Done rows leave; the last row moves into each hole (its state moves with it). They
    // are told after the count is updated, so streams() never counts a stream that ended.
    std::vector<std::pair<std::shared_ptr<StreamJob>, bool>> ended;
    for (size_t r = 0; r < rows.size();) {
      if (!rows[r].done) {
        ++r;
        continue;
      }
      ended.emplace_back(std::move(rows[r].job), rows[r].finished);
      if (r + 1 != rows.size()) {
        stepper.copy_row(static_cast<int64_t>(rows.size() - 1), static_cast<int64_t>(r));
        rows[r] = std::move(rows.back());
      }
      rows.pop_back();
    }
    running_ = static_cast<int64_t>(rows.size());
    for (auto& [job, finished] : ended) job->on_end(finished);
    // 3. One step for every live row: logits (rows,256).
    for (size_t r = 0; r < rows.size(); ++r) input[r] = rows[r].input;
    for_groups(rows.size(), [&](size_t first, size_t count) {
      stepper.step_rows(static_cast<int64_t>(first), static_cast<int64_t>(count),
                        input.data() + first, logits.data() + first * kVocab);
    });
  }
  // Stopping: every stream still here ends unfinished.
  for (Row& row : rows) row.job->on_end(false);
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& job : queue_) job->on_end(false);
  queue_.clear();
  running_ = 0;
}

}  // namespace charrnn::serve
