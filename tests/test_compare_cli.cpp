// End-to-end: charrnn compare and charrnn plot on one tiny trained model.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "charrnn/util/plot.h"
#include "test_util.h"

using charrnn::testing::expect_clean_error;
using charrnn::testing::read_file;
using charrnn::testing::run_cli;
using charrnn::testing::RunResult;
using charrnn::testing::TempDir;
using charrnn::testing::write_file;

namespace {

// One tiny model for the whole suite (training is the slow part).
class CompareCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>();
    write_file(*dir_ / "corpus.txt", charrnn::testing::play_text(4000));
    const auto r = run_cli("-q train --data " + *dir_ / "corpus.txt" + " --out " + *dir_ / "run" +
                               " --max-steps 20 " + charrnn::testing::tiny_run_flags(),
                           *dir_);
    ASSERT_EQ(r.status, 0) << r.err;
  }
  static void TearDownTestSuite() { dir_.reset(); }
  static const TempDir& dir() { return *dir_; }
  static std::string model() { return " --model " + *dir_ / "run"; }

 private:
  static std::unique_ptr<TempDir> dir_;
};
std::unique_ptr<TempDir> CompareCli::dir_;

}  // namespace

TEST_F(CompareCli, PrintsSamplesSideBySideThenTheTable) {
  const auto r = run_cli("compare" + model() + " --prime 'ROMEO:' --length 80 --seed 5", dir());
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* t : {"T = 0.2 (seed 5)", "T = 0.5 (seed 5)", "T = 1 (seed 5)",
                        "T = 1.2 (seed 5)", "loglik", "entropy", "dist-2", "words-ok", "copy"}) {
    EXPECT_NE(r.out.find(t), std::string::npos) << t << " in:\n" << r.out;
  }
  // stdout is not a terminal here: 80 columns, too narrow for 4 columns of 24.
  EXPECT_NE(r.out.find("=== T = 0.2 (seed 5) ==="), std::string::npos);
  EXPECT_EQ(std::system(("COLUMNS=160 " + std::string(CHARRNN_BIN) + " -q compare" + model() +
                         " --length 80 --seed 5 > " + dir() / "wide.txt")
                            .c_str()),
            0);
  const std::string side = read_file(dir() / "wide.txt");
  EXPECT_NE(side.find("T = 0.2 (seed 5)"), std::string::npos);
  EXPECT_NE(side.find(" | T = 0.5 (seed 5)"), std::string::npos) << side;  // one header line
  EXPECT_TRUE(std::filesystem::exists(dir() / "run/words.cache"));         // built once, cached
}

TEST_F(CompareCli, GenerateReproducesEachTemperaturesSamples) {
  // -t, as in generate: the short name of --temperatures.
  const auto c = run_cli("-q compare --json" + model() +
                             " --prime 'ROMEO:' --length 60 --seed 9 -n 2 -t 0,1.3",
                         dir());
  ASSERT_EQ(c.status, 0) << c.err;
  const auto j = nlohmann::json::parse(c.out);  // stdout is one JSON object, nothing else
  EXPECT_TRUE(j["has_corpus"].get<bool>());     // the checkpoint's corpus is still there
  ASSERT_EQ(j["temperatures"].size(), 2u);
  // (temperature index, sample index) checked against `generate --seed 9+i -t T`.
  for (auto [t, i] : {std::pair{0, 0}, {1, 0}, {1, 1}}) {
    const auto& temp = j["temperatures"][t];
    ASSERT_EQ(temp["samples"].size(), 2u);
    const auto g = run_cli("-q generate" + model() + " --prime 'ROMEO:' --length 60 --seed " +
                               std::to_string(9 + i) + " -t " +
                               std::to_string(temp["temperature"].get<double>()),
                           dir());
    ASSERT_EQ(g.status, 0) << g.err;
    const std::string text = g.out.substr(6, 60);  // after the prime, before the newline
    // compare's JSON replaces invalid UTF-8 as dump_json does; apply the same to generate's.
    const auto expected = nlohmann::json::parse(
        nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    EXPECT_EQ(temp["samples"][i]["text"], expected) << "T=" << temp["temperature"] << " i=" << i;
    EXPECT_EQ(temp["samples"][i]["seed"], 9 + i);
    EXPECT_FALSE(temp["summary"]["log_likelihood"].is_null());
  }
}

// --weights bf16|int8 reaches the sampler: compare's samples are generate --weights's, and the
// model's log-likelihood of them is the rounded model's, not the fp32 one's (a tiny model's
// rounding rarely moves a draw, but it always moves the logits).
TEST_F(CompareCli, LowPrecisionWeightsGiveGeneratesSamplesFromTheRoundedModel) {
  const std::string args = " --prime 'ROMEO:' --length 200 --seed 3";
  auto compare = [&](const std::string& weights) {
    const auto c = run_cli(
        "-q compare --json --temperatures 1.5 --weights " + weights + model() + args, dir());
    EXPECT_EQ(c.status, 0) << c.err;
    return nlohmann::json::parse(c.out);
  };
  const auto fp32 = compare("fp32");
  EXPECT_EQ(fp32["config"]["weights"], "fp32");
  for (const std::string format : {"bf16", "int8"}) {
    SCOPED_TRACE(format);
    const auto low = compare(format);
    EXPECT_EQ(low["config"]["weights"], format);
    const auto& b = low["temperatures"][0]["samples"][0];
    const auto& f = fp32["temperatures"][0]["samples"][0];
    EXPECT_NE(b["log_likelihood"], f["log_likelihood"]);
    EXPECT_NEAR(b["log_likelihood"].get<double>(), f["log_likelihood"].get<double>(),
                format == "bf16" ? 1e-2 : 1e-1);
    const auto g = run_cli("-q generate -t 1.5 --weights " + format + model() + args, dir());
    ASSERT_EQ(g.status, 0) << g.err;
    const std::string text = g.out.substr(6, 200);
    EXPECT_EQ(b["text"], nlohmann::json::parse(nlohmann::json(text).dump(
                             -1, ' ', false, nlohmann::json::error_handler_t::replace)));
  }
  expect_clean_error(run_cli("-q compare --weights int4" + model(), dir()), "--weights");
}

TEST_F(CompareCli, SweepPrintsTheTableAndWritesAReport) {
  const std::string rep = dir() / "report";
  const auto r = run_cli(
      "-q compare" + model() + " --sweep 0.5:1.5:0.5 --length 50 --seed 1 " + "--report " + rep,
      dir());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.find("==="), std::string::npos);  // no samples for a sweep
  EXPECT_NE(r.out.find("means over 4 samples"), std::string::npos) << r.out;  // sweep default
  const std::string csv = read_file(rep + "/metrics.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4) << csv;  // header + 0.5, 1, 1.5
  EXPECT_NE(csv.find("\n1.5,4,"), std::string::npos) << csv;
  EXPECT_EQ(nlohmann::json::parse(read_file(rep + "/metrics.json"))["temperatures"].size(), 3u);
  EXPECT_NE(read_file(rep + "/report.md").find("### T = 1.5"), std::string::npos);
  if (charrnn::find_gnuplot()) {
    EXPECT_TRUE(std::filesystem::exists(rep + "/entropy.png"));
    EXPECT_TRUE(std::filesystem::exists(rep + "/window_share.png"));
  }
}

TEST_F(CompareCli, MissingTrainingCorpusSkipsCorpusMetricsWithOneWarning) {
  // --data on a missing file is the user's error; a checkpoint's vanished corpus is not.
  expect_clean_error(run_cli("-q compare" + model() + " --data " + dir() / "nope.txt", dir()),
                     "nope.txt");
  std::filesystem::rename(dir() / "corpus.txt", dir() / "moved.txt");
  const auto r = run_cli("-q compare --json --length 30 --seed 1" + model(), dir());
  std::filesystem::rename(dir() / "moved.txt", dir() / "corpus.txt");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(nlohmann::json::parse(r.out)["has_corpus"].get<bool>());
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("--data"), std::string::npos) << r.err;
  // --data points elsewhere.
  const auto d = run_cli(
      "-q compare --json --length 30 --seed 1 --data " + dir() / "corpus.txt" + model(), dir());
  EXPECT_EQ(nlohmann::json::parse(d.out)["data"], dir() / "corpus.txt");
}

TEST_F(CompareCli, BadInputsExitTwoWithOneLine) {
  const std::string m = model();
  const auto bad = [&](const std::string& args, const std::string& needle) {
    expect_clean_error(run_cli("-q compare" + m + " " + args, dir()), needle);
  };
  // (Every rejected list and sweep is covered in test_compare.cpp; here: the CLI's path.)
  bad("--temperatures ''", "--temperatures");
  bad("--temperatures 1.0,0.5", "increasing");
  bad("--temperatures -1", "--temperatures");
  bad("--temperatures nan", "--temperatures");
  bad("--num-samples 0", "--num-samples");
  bad("--length -1", "--length");
  bad("--sweep 1:2", "FROM:TO:STEP");
  bad("--sweep 0.1:2:0", "STEP");
  bad("--sweep 0:1:0.5 --temperatures 0.5", "--sweep");
  expect_clean_error(run_cli("-q compare --model " + dir() / "missing.ckpt", dir()),
                     "does not exist");
}

TEST_F(CompareCli, PlotDrawsTheLossCurve) {
  expect_clean_error(run_cli("-q plot " + dir() / "no-run", dir()), "no-run");
  if (!charrnn::find_gnuplot()) GTEST_SKIP() << "gnuplot not installed";
  const auto r = run_cli("-q plot " + dir() / "run", dir());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_file(dir() / "run/loss.png").rfind("\x89PNG", 0), 0u);
}

TEST_F(CompareCli, PlotComparesRunsAgainstTime) {
  const std::string run = dir() / "run";
  expect_clean_error(run_cli("-q plot " + run + " " + run, dir()), "needs --out");
  expect_clean_error(run_cli("-q plot " + run + " --x epochs", dir()), "--x");
  if (!charrnn::find_gnuplot()) GTEST_SKIP() << "gnuplot not installed";
  const auto r =
      run_cli("-q plot " + run + " " + run + " --x time --out " + dir() / "v.png", dir());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_file(dir() / "v.png").rfind("\x89PNG", 0), 0u);
  EXPECT_NE(read_file(dir() / "v.gp").find("seconds of training"), std::string::npos);
}
