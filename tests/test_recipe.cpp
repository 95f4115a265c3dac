// --recipe: a recipe sets what the user did not give, flags win, the run's config.json records the
// result, and --resume refuses a recipe that disagrees with the run.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "charrnn/errors.h"
#include "charrnn/train/recipe.h"
#include "test_util.h"

using namespace charrnn;
using charrnn::testing::expect_clean_error;
using charrnn::testing::read_file;
using charrnn::testing::run_cli;
using charrnn::testing::TempDir;
using charrnn::testing::tiny_run_flags;
using charrnn::testing::write_file;

TEST(Recipe, FastSetsItsOptionsButNotTheOnesGiven) {
  ModelConfig m;
  TrainConfig t;
  const std::vector<std::string> set = apply_recipe(
      find_recipe("fast"), m, t, [](const char* flag) { return std::string(flag) == "--hidden"; });
  EXPECT_EQ(m.hidden, ModelConfig{}.hidden);  // given by the user: untouched
  EXPECT_EQ(t.lr_schedule, "cosine");
  EXPECT_GT(t.lr_warmup, 0);
  EXPECT_EQ(std::set<std::string>(set.begin(), set.end()).count("--hidden"), 0u);
  EXPECT_EQ(std::set<std::string>(set.begin(), set.end()).count("--lr-schedule"), 1u);
}

// The README's measured runs used these flags spelled out: --recipe fast must be exactly them.
TEST(Recipe, FastIsTheMeasuredConfiguration) {
  ModelConfig m;
  TrainConfig t;
  apply_recipe(find_recipe("fast"), m, t, [](const char*) { return false; });
  EXPECT_EQ(m.layers, 2);
  EXPECT_EQ(m.hidden, 192);
  EXPECT_DOUBLE_EQ(m.dropout, 0.15);
  EXPECT_EQ(t.batch, 20);
  EXPECT_EQ(t.seq_len, 50);
  EXPECT_DOUBLE_EQ(t.lr, 5e-3);
  EXPECT_EQ(t.lr_schedule, "cosine");
  EXPECT_EQ(t.lr_warmup, 100);
  EXPECT_DOUBLE_EQ(t.lr_floor, 0.02);
  EXPECT_DOUBLE_EQ(t.grad_clip, 5.0);
}

TEST(Recipe, CharRnnRestoresTheClassicDefaults) {
  ModelConfig m;
  TrainConfig t;
  m.hidden = 999;
  t.lr_schedule = "cosine";
  apply_recipe(find_recipe("char-rnn"), m, t, [](const char*) { return false; });
  EXPECT_EQ(m.hidden, 128);
  EXPECT_EQ(m.layers, 2);
  EXPECT_DOUBLE_EQ(m.dropout, 0.1);
  EXPECT_EQ(t.lr_schedule, "char-rnn");
  EXPECT_DOUBLE_EQ(t.lr, 2e-3);
}

TEST(Recipe, UnknownNameListsTheRecipes) {
  try {
    find_recipe("fastest");
    FAIL() << "no error";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("char-rnn"), std::string::npos) << what;
    EXPECT_NE(what.find("fast"), std::string::npos) << what;
  }
}

TEST(Recipe, CliAppliesItUnderTheFlagsAndResumeChecksIt) {
  TempDir dir;
  write_file(dir / "c.txt", charrnn::testing::play_text(4000));
  const std::string run = dir / "run";
  // The tiny run's flags give --hidden and --batch: they win over the recipe's.
  const auto r = run_cli("-q train --data " + dir / "c.txt" + " --out " + run + " " +
                             tiny_run_flags() + " --max-steps 3 --recipe fast",
                         dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto config = nlohmann::json::parse(read_file(run + "/config.json"));
  EXPECT_EQ(config["model"]["hidden"], 32);
  EXPECT_EQ(config["train"]["lr_schedule"], "cosine");
  EXPECT_EQ(config["train"]["lr_warmup"], 100);
  EXPECT_EQ(config["train"]["batch"], 4);  // given by the tiny run's flags
  EXPECT_DOUBLE_EQ(config["model"]["dropout"].get<double>(), 0.15);
  // A resumed run keeps its configuration, whatever recipe is named.
  const auto resumed =
      run_cli("train --out " + run + " --resume --max-steps 4 --recipe char-rnn", dir);
  EXPECT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("keeps the configuration it started with"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(read_file(run + "/config.json"))["train"]["lr_schedule"],
            "cosine");
  expect_clean_error(
      run_cli("-q train --data " + dir / "c.txt" + " --out " + dir / "x" + " --recipe fastest",
              dir),
      "unknown --recipe 'fastest'");
}
