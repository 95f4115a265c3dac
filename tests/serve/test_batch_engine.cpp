// Continuous batching: streams that join and leave a shared Stepper between bytes draw exactly
// what generate() draws for each of them alone; a cancelled stream leaves at once.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "charrnn/errors.h"
#include "charrnn/model/stepper.h"
#include "charrnn/sample/generate.h"
#include "charrnn/serve/batch_engine.h"

using namespace charrnn;
using namespace charrnn::serve;

namespace {

CharLSTM peaked_model() {
  ModelConfig c;
  c.hidden = 24;
  c.dropout = 0;
  torch::manual_seed(5);
  CharLSTM model(c);
  {
    torch::NoGradGuard guard;
    model->head->weight.mul_(6);  // peaked outputs, so wrong states show up as different text
  }
  model->eval();
  return model;
}

// A job that records its bytes and signals its end.
struct Recorder {
  std::mutex mu;
  std::condition_variable cv;
  std::string text;
  int ended = 0;
  bool finished = false;
  std::shared_ptr<StreamJob> job(const std::string& prime, SampleConfig s, int64_t length) {
    auto j = std::make_shared<StreamJob>();
    j->prime = prime;
    j->sampling = s;
    j->length = length;
    j->on_byte = [this](uint8_t b, const float*) {
      std::lock_guard<std::mutex> lock(mu);
      text.push_back(static_cast<char>(b));
      cv.notify_all();
    };
    j->on_end = [this](bool f) {
      std::lock_guard<std::mutex> lock(mu);
      ++ended;
      finished = f;
      cv.notify_all();
    };
    return j;
  }
  void wait_end() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return ended > 0; });
  }
};

}  // namespace

TEST(Stepper, StepRowsLeavesTheOtherRowsAndMatchesAFullStep) {
  const CharLSTM model = peaked_model();
  Stepper full(model, 4), part(model, 4);
  std::vector<float> a(4 * kVocab), b(4 * kVocab);
  const uint8_t in1[4] = {'a', 'b', 'c', 'd'}, in2[4] = {'e', 'f', 'g', 'h'};
  full.step(in1, a.data());
  part.step(in1, b.data());
  part.step_rows(0, 2, in2, b.data());  // rows 2, 3 keep their state
  part.copy_row(1, 3);
  part.reset_row(0);
  // Row 3 now holds row 1's state: both step 'x' to the same logits.
  const uint8_t in3[4] = {'x', 'x', 'x', 'x'};
  part.step(in3, b.data());
  for (int v = 0; v < kVocab; ++v) EXPECT_EQ(b[1 * kVocab + v], b[3 * kVocab + v]);
  // Row 2 skipped a step: it continues from 'c' like the full stepper's row 2 given 'x' next.
  full.step(in3, a.data());
  for (int v = 0; v < kVocab; ++v) EXPECT_EQ(a[2 * kVocab + v], b[2 * kVocab + v]);
  // Row 0 restarted from zero: as a fresh stepper's first step on 'x'.
  Stepper fresh(model, 1);
  std::vector<float> f(kVocab);
  fresh.step(in3, f.data());
  for (int v = 0; v < kVocab; ++v) EXPECT_EQ(f[v], b[v]);
}

TEST(Stepper, StepRowsOfARangeEqualsThoseRowsOfAFullStep) {
  const CharLSTM model = peaked_model();
  Stepper full(model, 5), part(model, 5);
  std::vector<float> a(5 * kVocab), b(2 * kVocab);
  const uint8_t in[5] = {'a', 'b', 'c', 'd', 'e'};
  for (int t = 0; t < 3; ++t) {
    full.step(in, a.data());
    part.step_rows(2, 2, in + 2, b.data());  // rows 2, 3 only: logits (2,256)
  }
  for (int v = 0; v < 2 * kVocab; ++v) EXPECT_EQ(a[2 * kVocab + v], b[v]);
}

TEST(BatchEngine, StreamsJoiningAtDifferentTimesEqualGenerateAlone) {
  const CharLSTM model = peaked_model();
  BatchEngine engine(model, 4);  // fewer rows than streams: some wait their turn
  std::vector<std::unique_ptr<Recorder>> recs;
  std::vector<SampleConfig> cfgs;
  std::vector<std::string> primes;
  std::vector<int64_t> lengths;
  for (int i = 0; i < 9; ++i) {
    SampleConfig s;
    s.temperature = 0.4 + 0.15 * i;
    s.seed = 50 + i;
    s.top_k = i % 3 == 0 ? 10 : 0;
    cfgs.push_back(s);
    primes.push_back(i % 2 ? "The " : std::string(i, 'q'));
    lengths.push_back(i == 4 ? 0 : 20 + 17 * i);
    recs.push_back(std::make_unique<Recorder>());
    engine.submit({recs.back()->job(primes[i], s, lengths[i])});
    if (i % 3 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));  // join mid-way
  }
  for (int i = 0; i < 9; ++i) {
    recs[i]->wait_end();
    EXPECT_TRUE(recs[i]->finished);
    EXPECT_EQ(recs[i]->text, generate(model, primes[i], {cfgs[i]}, lengths[i])[0])
        << "stream " << i;
  }
  EXPECT_EQ(engine.streams(), 0);
}

TEST(BatchEngine, ManyStreamsSteppedInGroupsOnTwoThreadsEqualGenerateAlone) {
  const CharLSTM model = peaked_model();
  const int threads = at::get_num_threads();
  at::set_num_threads(2);  // at least two groups, also on a one-core machine
  std::vector<std::unique_ptr<Recorder>> recs;
  std::vector<SampleConfig> cfgs(21);
  {
    BatchEngine engine(model, 64);
    for (size_t i = 0; i < cfgs.size(); ++i) {
      cfgs[i].temperature = 0.3 + 0.1 * static_cast<double>(i % 7);
      cfgs[i].seed = 300 + i;
      recs.push_back(std::make_unique<Recorder>());
      engine.submit({recs.back()->job("The ", cfgs[i], 60 + static_cast<int64_t>(i))});
    }
    for (auto& r : recs) r->wait_end();
  }
  at::set_num_threads(threads);
  for (size_t i = 0; i < cfgs.size(); ++i) {
    EXPECT_EQ(recs[i]->text, generate(model, "The ", {cfgs[i]}, 60 + static_cast<int64_t>(i))[0])
        << "stream " << i;
  }
}

TEST(BatchEngine, ACancelledStreamLeavesBeforeItsNextByte) {
  const CharLSTM model = peaked_model();
  BatchEngine engine(model, 8);
  Recorder long_one, other;
  auto job = long_one.job("x", SampleConfig{}, 10000000);
  engine.submit({job, other.job("y", SampleConfig{}, 50)});
  other.wait_end();
  job->cancelled = true;
  long_one.wait_end();
  EXPECT_FALSE(long_one.finished);
  EXPECT_LT(long_one.text.size(), 10000000u);
  EXPECT_EQ(engine.streams(), 0);
}

TEST(BatchEngine, StoppingEndsEveryStreamUnfinished) {
  const CharLSTM model = peaked_model();
  Recorder a, b;
  {
    BatchEngine engine(model, 1);
    engine.submit({a.job("x", SampleConfig{}, 10000000), b.job("y", SampleConfig{}, 10)});
  }
  EXPECT_EQ(a.ended, 1);
  EXPECT_EQ(b.ended, 1);
  EXPECT_FALSE(a.finished);
}

// A model int8 cannot hold (a weight that is not finite) is the caller's InputError, raised by
// the constructor (the registry then skips the model), not an error on the engine's own thread,
// which would end the server.
TEST(BatchEngine, AModelItsWeightFormatCannotHoldIsAnErrorForTheCaller) {
  CharLSTM model = peaked_model();
  {
    torch::NoGradGuard guard;
    model->lstm->named_parameters()["weight_hh_l1"][3][5] = std::nan("");
  }
  EXPECT_THROW(BatchEngine(model, 4, WeightFormat::int8), InputError);
  BatchEngine fp32(model, 4);  // fp32 carries the NaN as trained: no error
}
