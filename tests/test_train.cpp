#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "charrnn/data/corpus.h"
#include "charrnn/errors.h"
#include "charrnn/store/checkpoint.h"
#include "charrnn/train/evaluate.h"
#include "charrnn/train/train.h"
#include "test_util.h"

using namespace charrnn;
using charrnn::testing::TempDir;

namespace {

TrainConfig small_run(const TempDir& dir, const std::string& name, int64_t steps) {
  TrainConfig t;
  t.data = dir / "corpus.txt";
  t.out = dir / name;
  t.batch = 4;
  t.seq_len = 16;
  t.max_steps = steps;
  t.eval_every = 5;
  t.log_every = 1;
  t.threads = 1;
  t.seed = 99;
  t.lr_decay_after = 1;  // exercise the decay schedule within the short run
  t.lr_decay = 0.9;
  return t;
}

ModelConfig small_model() {
  ModelConfig m;
  m.layers = 2;
  m.hidden = 16;
  m.dropout = 0.2;  // dropout draws random numbers: resume must restore the RNG too
  return m;
}

}  // namespace

TEST(Train, ResumeGivesTheSameWeightsAsAnUninterruptedRun) {
  TempDir dir;
  charrnn::testing::write_file(dir / "corpus.txt", charrnn::testing::play_text(3000));
  // 2700 train bytes / 4 streams / 16 = 42 steps per epoch: 60 steps cross an epoch boundary.
  train(small_model(), small_run(dir, "whole", 60));
  train(small_model(), small_run(dir, "split", 25));
  TrainConfig rest = small_run(dir, "split", 60);
  rest.resume = true;
  train(small_model(), rest);

  const auto a = load_checkpoint(dir / "whole/latest.ckpt");
  const auto b = load_checkpoint(dir / "split/latest.ckpt");
  EXPECT_EQ(a.progress.step, 60);
  EXPECT_EQ(b.progress.step, 60);
  EXPECT_EQ(a.progress.epoch, 1);
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (const auto& [name, t] : a.tensors) {
    if (name.rfind("rng.", 0) == 0) continue;
    EXPECT_TRUE(torch::equal(t, b.tensors.at(name))) << name;
  }
  // The metrics log has each step exactly once.
  std::ifstream in(dir / "split/metrics.jsonl");
  std::string line;
  int64_t expect = 1;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    const int64_t step = j["step"];
    if (step == expect - 1) continue;  // the final validation record repeats the last step
    EXPECT_EQ(step, expect++);
  }
  EXPECT_EQ(expect, 61);
}

TEST(Train, SmallModelOverfitsAShortText) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 40; ++i) text += "the quick brown fox jumps over the lazy dog. ";
  charrnn::testing::write_file(dir / "corpus.txt", text);
  TrainConfig t = small_run(dir, "fit", 400);
  t.val_frac = 0;
  t.lr = 1e-2;
  t.eval_every = 400;
  ModelConfig m = small_model();
  m.layers = 1;
  m.hidden = 64;
  m.dropout = 0;
  train(m, t);
  CharLSTM model = restore_model(load_checkpoint(dir / "fit/latest.ckpt"));
  Corpus corpus = read_corpus(dir / "corpus.txt");
  const auto r = evaluate(model, corpus.view(), 4, 16);
  // Uniform guessing is log(256) = 5.55 nats/byte; the sentence is fully predictable once seen.
  EXPECT_LT(r.nats_per_byte, 0.15);
}

TEST(Train, RefusesToOverwriteAnExistingRun) {
  TempDir dir;
  charrnn::testing::write_file(dir / "corpus.txt", charrnn::testing::play_text(3000));
  train(small_model(), small_run(dir, "r", 5));
  const std::string before = charrnn::testing::read_file(dir / "r/latest.ckpt");
  EXPECT_THROW(train(small_model(), small_run(dir, "r", 10)), InputError);
  EXPECT_EQ(charrnn::testing::read_file(dir / "r/latest.ckpt"), before);
}

TEST(Train, TimeLimitStopsTheRunAndStillCheckpoints) {
  TempDir dir;
  charrnn::testing::write_file(dir / "corpus.txt", charrnn::testing::play_text(3000));
  TrainConfig t = small_run(dir, "t", 0);
  t.epochs = 1000000;
  t.time_limit = 1.0;
  const auto s = train(small_model(), t);
  EXPECT_GE(s.elapsed, 1.0);
  EXPECT_LT(s.elapsed, 10.0);
  EXPECT_EQ(load_checkpoint(dir / "t/latest.ckpt").progress.step, s.steps);
  EXPECT_TRUE(std::filesystem::exists(dir / "t/best.ckpt"));
}

TEST(Train, ValidationUsesAtMostValMaxBytes) {
  TempDir dir;
  charrnn::testing::write_file(dir / "corpus.txt", charrnn::testing::play_text(30000));
  TrainConfig t = small_run(dir, "run", 5);
  t.val_max_bytes = 800;  // of 3000 held-out bytes
  train(small_model(), t);
  const auto ck = load_checkpoint(dir / "run/latest.ckpt");
  CharLSTM model = restore_model(ck);
  const Corpus corpus = read_corpus(t.data);
  const Split split = split_corpus(corpus.view(), t.val_frac);
  ASSERT_EQ(split.val.size, 3000u);
  ByteView prefix = split.val;
  prefix.size = 800;
  const double capped = evaluate(model, prefix, t.batch, t.seq_len).nats_per_byte;
  const double whole = evaluate(model, split.val, t.batch, t.seq_len).nats_per_byte;
  EXPECT_NEAR(ck.progress.last_val, capped, 1e-9);
  EXPECT_GT(std::abs(ck.progress.last_val - whole), 1e-6);  // the cap changed what was scored
}
