// --lr-schedule: each schedule against hand-worked values, the budget fraction, and a cosine run
// whose logged rates follow the formula and which resumes onto the same weights.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "charrnn/errors.h"
#include "charrnn/store/checkpoint.h"
#include "charrnn/store/config_json.h"
#include "charrnn/train/lr_schedule.h"
#include "charrnn/train/train.h"
#include "test_util.h"

using namespace charrnn;
using charrnn::testing::TempDir;

namespace {

TrainConfig schedule(const std::string& name, int64_t warmup = 0, double floor = 0.1) {
  TrainConfig c;
  c.lr = 2e-3;
  c.lr_schedule = name;
  c.lr_warmup = warmup;
  c.lr_floor = floor;
  return c;
}

}  // namespace

TEST(LrSchedule, CharRnnDecaysPerEpochAfterTheGivenEpochs) {
  TrainConfig c = schedule("char-rnn");
  c.lr_decay = 0.97;
  c.lr_decay_after = 10;
  EXPECT_DOUBLE_EQ(lr_at(c, {0, 0, 0, 100}), 2e-3);
  EXPECT_DOUBLE_EQ(lr_at(c, {99, 9, 0, 100}), 2e-3);  // epochs 0-9; ignores steps and budget
  EXPECT_DOUBLE_EQ(lr_at(c, {0, 10, 0, 100}), 2e-3 * 0.97);
  EXPECT_DOUBLE_EQ(lr_at(c, {0, 12, 0, 100}), 2e-3 * 0.97 * 0.97 * 0.97);
}

TEST(LrSchedule, CosineWarmsUpThenFallsToTheFloorAtTheEndOfTheBudget) {
  const TrainConfig c = schedule("cosine", /*warmup=*/4, /*floor=*/0.1);
  EXPECT_DOUBLE_EQ(lr_at(c, {0, 0, 0, 100}), 2e-3 * 0.25 * (0.1 + 0.9 * 0.5 * (1 + 1)));
  EXPECT_NEAR(lr_at(c, {3, 0, 0, 100}), 2e-3 * (0.1 + 0.9 * 0.5 * (1 + std::cos(M_PI * 0.03))),
              1e-15);
  EXPECT_NEAR(lr_at(c, {25, 0, 0, 100}), 2e-3 * (0.1 + 0.9 * 0.5 * (1 + std::sqrt(0.5))), 1e-15);
  EXPECT_NEAR(lr_at(c, {50, 0, 0, 100}), 2e-3 * 0.55, 1e-15);
  EXPECT_NEAR(lr_at(c, {100, 0, 0, 100}), 2e-3 * 0.1, 1e-15);
  EXPECT_NEAR(lr_at(c, {150, 0, 0, 100}), 2e-3 * 0.1, 1e-15);  // past the budget: the floor
}

TEST(LrSchedule, LinearAndConstant) {
  EXPECT_NEAR(lr_at(schedule("linear", 0, 0.0), {25, 0, 0, 100}), 2e-3 * 0.75, 1e-15);
  EXPECT_NEAR(lr_at(schedule("linear", 0, 0.2), {100, 0, 0, 100}), 2e-3 * 0.2, 1e-15);
  EXPECT_DOUBLE_EQ(lr_at(schedule("constant", 10), {4, 0, 0, 100}), 2e-3 * 0.5);
  EXPECT_DOUBLE_EQ(lr_at(schedule("constant", 10), {90, 3, 500, 100}), 2e-3);
}

TEST(LrSchedule, TheBudgetIsWhicheverOfStepsAndTimeIsFurtherAlong) {
  TrainConfig c = schedule("linear", 0, 0.0);
  c.time_limit = 600;
  EXPECT_DOUBLE_EQ(budget_fraction(c, {10, 0, 300, 1000}), 0.5);   // time leads
  EXPECT_DOUBLE_EQ(budget_fraction(c, {800, 0, 300, 1000}), 0.8);  // steps lead
  EXPECT_DOUBLE_EQ(budget_fraction(c, {10, 0, 900, 1000}), 1.0);   // clamped
  EXPECT_NEAR(lr_at(c, {10, 0, 150, 1000}), 2e-3 * 0.75, 1e-15);
  c.time_limit = 0;  // no time limit: steps only
  EXPECT_DOUBLE_EQ(budget_fraction(c, {10, 0, 300, 1000}), 0.01);
}

TEST(LrSchedule, UnknownNamesAndBadValuesAreRefusedWithTheChoices) {
  try {
    parse_lr_schedule("cosin");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("char-rnn, constant, linear or cosine"),
              std::string::npos);
  }
}

TEST(LrSchedule, ConfigJsonCarriesTheScheduleAndOldRunsReadAsCharRnn) {
  TrainConfig c = schedule("cosine", 7, 0.25);
  const TrainConfig back = train_config_from_json(to_json(c));
  EXPECT_EQ(back.lr_schedule, "cosine");
  EXPECT_EQ(back.lr_warmup, 7);
  EXPECT_DOUBLE_EQ(back.lr_floor, 0.25);
  nlohmann::json old = to_json(c);
  for (const char* k : {"lr_schedule", "lr_warmup", "lr_floor"}) old.erase(k);
  EXPECT_EQ(train_config_from_json(old).lr_schedule, "char-rnn");
}

// A real run: each step's logged rate is the cosine formula's, and a run stopped part-way (as by
// Ctrl-C) and resumed with the same budget ends with the same weights as an uninterrupted one.
TEST(LrSchedule, CosineRunLogsTheFormulasRatesAndResumesExactly) {
  TempDir dir;
  charrnn::testing::write_file(dir / "corpus.txt", charrnn::testing::play_text(3000));
  ModelConfig m;
  m.hidden = 16;
  auto config = [&](const std::string& name, bool resume) {
    TrainConfig t = schedule("cosine", /*warmup=*/5, /*floor=*/0.2);
    t.data = dir / "corpus.txt";
    t.out = dir / name;
    t.batch = 4;
    t.seq_len = 16;
    t.max_steps = 120;  // the budget; 42 steps per epoch, so it crosses epochs too
    t.eval_every = 10;
    t.log_every = 1;
    t.threads = 1;
    t.resume = resume;
    return t;
  };
  train(m, config("whole", false));

  std::ifstream in(dir / "whole/metrics.jsonl");
  std::string line;
  int checked = 0;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    const int64_t step = j["step"];
    if (j["train_loss"].is_null()) continue;
    const double k = static_cast<double>(step - 1);  // the record's step ran at step index k
    const double warm = std::min(1.0, (k + 1) / 5);
    const double want = 2e-3 * warm * (0.2 + 0.8 * 0.5 * (1 + std::cos(M_PI * k / 120)));
    EXPECT_NEAR(j["lr"].get<double>(), want, 1e-12) << line;
    ++checked;
  }
  EXPECT_GE(checked, 120);

  // Stop the second run from another thread once it is past step 10, then resume it.
  std::atomic<bool> done{false};
  std::thread stopper([&] {
    while (!done) {
      std::ifstream log(dir / "split/metrics.jsonl");
      std::string last, l;
      while (std::getline(log, l)) last = l;
      const auto j = nlohmann::json::parse(last, nullptr, /*allow_exceptions=*/false);
      if (j.is_object() && j.value("step", 0) >= 10) {
        request_stop(SIGTERM);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  const TrainSummary first = train(m, config("split", false));
  done = true;
  stopper.join();
  request_stop(0);  // the flag is process-wide: clear it for the resumed run
  ASSERT_EQ(first.stop_signal, SIGTERM) << "the run ended before it could be stopped";
  ASSERT_LT(first.steps, 120);
  train(m, config("split", true));

  const auto a = load_checkpoint(dir / "whole/latest.ckpt");
  const auto b = load_checkpoint(dir / "split/latest.ckpt");
  ASSERT_EQ(b.progress.step, 120);
  for (const auto& [name, t] : a.tensors) {
    if (name.rfind("rng.", 0) == 0) continue;
    EXPECT_TRUE(torch::equal(t, b.tensors.at(name))) << name;
  }
}
