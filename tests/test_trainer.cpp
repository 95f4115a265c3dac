// Trainer robustness: never lose a run. SIGKILL at random moments, SIGTERM/SIGINT, a full or
// size-limited disk, NaN/Inf faults (roll back at half the rate), and two writers.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "charrnn/errors.h"
#include "charrnn/store/checkpoint.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace charrnn;
using charrnn::testing::exited;
using charrnn::testing::expect_clean_error;
using charrnn::testing::expect_no_temporaries;
using charrnn::testing::folder_files;
using charrnn::testing::q;
using charrnn::testing::read_file;
using charrnn::testing::run_cli;
using charrnn::testing::RunResult;
using charrnn::testing::spawn_cli;
using charrnn::testing::spawn_sh;
using charrnn::testing::TempDir;
using charrnn::testing::wait_for;
using charrnn::testing::wait_until;
using charrnn::testing::write_file;

namespace {

// Runs `sh -c SCRIPT` where the script may use $BIN; captures stdout and stderr.
RunResult run_sh(const std::string& script, const TempDir& dir) {
  const std::string out = dir / ".stdout", err = dir / ".stderr";
  const std::string cmd =
      "BIN=" + std::string(CHARRNN_BIN) + "; export BIN; (" + script + ") >" + out + " 2>" + err;
  const int raw = std::system(("/bin/bash -c " + q(cmd)).c_str());
  RunResult r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

size_t lines_in(const std::string& path) {
  const std::string s = read_file(path);
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

std::vector<int64_t> metric_steps(const std::string& path) {
  std::vector<int64_t> steps;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) steps.push_back(nlohmann::json::parse(line).at("step"));
  return steps;
}

// Steps 1..n, each once, in order.
void expect_every_step_once(const std::string& metrics, int64_t n) {
  const auto steps = metric_steps(metrics);
  ASSERT_EQ(static_cast<int64_t>(steps.size()), n);
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(steps[i], i + 1) << "record " << i;
}

void expect_finite(const Checkpoint& ck) {
  for (const auto& [name, t] : ck.tensors) {
    if (t.is_floating_point()) {
      EXPECT_TRUE(torch::isfinite(t).all().item<bool>()) << name;
    }
  }
}

// Weights, optimizer and carried state equal (the RNG and timings may differ).
void expect_same_training_state(const Checkpoint& a, const Checkpoint& b) {
  EXPECT_EQ(a.progress.step, b.progress.step);
  EXPECT_EQ(a.progress.epoch, b.progress.epoch);
  EXPECT_EQ(a.adam_steps, b.adam_steps);
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (const auto& [name, t] : a.tensors) {
    if (name.rfind("rng.", 0) == 0) continue;
    EXPECT_TRUE(torch::equal(t, b.tensors.at(name))) << name;
  }
}

class Robustness : public ::testing::Test {
 protected:
  void SetUp() override {
    corpus = dir / "corpus.txt";
    write_file(corpus, charrnn::testing::play_text(20000));
  }
  std::string train_args(const std::string& out, int64_t steps) const {
    return "train --data " + corpus + " --out " + out + " --max-steps " + std::to_string(steps) +
           " " + charrnn::testing::tiny_run_flags();
  }
  TempDir dir;
  std::string corpus;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// 1. SIGKILL at random moments; --resume each time until done. Same result as no kills.

TEST_F(Robustness, SurvivesRepeatedSigkill) {
  const int64_t kSteps = 400;
  const int kKills = 5;
  const auto t0 = std::chrono::steady_clock::now();
  const auto ref = run_cli("-q " + train_args(dir / "ref", kSteps), dir);
  ASSERT_EQ(ref.status, 0) << ref.err;
  // Kill moments scale with this machine's speed: together the attempts last about one
  // uninterrupted run, so the killed run cannot finish early (each resume also redoes the
  // steps since its last checkpoint), and the test stays near 3 runs long.
  const auto ref_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  std::mt19937 rng(::testing::UnitTest::GetInstance()->random_seed() + 1);
  std::uniform_int_distribution<int> delay_ms(
      50, static_cast<int>(std::max<int64_t>(300, 2 * ref_ms / kKills)));
  const std::string run = dir / "killed";
  int kills = 0, attempts = 0, status = -1;
  bool finished = false;
  while (kills < kKills && !finished) {
    ++attempts;
    const pid_t pid =
        spawn_cli("-q " + train_args(run, kSteps) + " --resume", dir / "out", dir / "err");
    const int ms = delay_ms(rng);
    if (wait_until([&] { return exited(pid, status); }, ms / 1000.0)) {
      finished = true;  // it ran to its end before the kill
      ASSERT_EQ(status, 0) << read_file(dir / "err");
    } else {
      ::kill(pid, SIGKILL);
      EXPECT_EQ(wait_for(pid), 128 + SIGKILL);
      ++kills;
      if (fs::exists(run + "/latest.ckpt")) {  // what a kill leaves always loads
        EXPECT_NO_THROW(load_checkpoint(run + "/latest.ckpt")) << "after kill " << kills;
      }
    }
  }
  if (!finished) {
    const auto last = run_cli("-q " + train_args(run, kSteps) + " --resume", dir);
    ASSERT_EQ(last.status, 0) << last.err;
  }
  std::cerr << "[          ] " << kills << " SIGKILLs over " << attempts
            << " attempts (reference run " << ref_ms << " ms)\n";
  EXPECT_GE(kills, 3);

  for (const auto& e : fs::directory_iterator(run)) {
    if (e.path().extension() == ".ckpt") {
      EXPECT_NO_THROW(load_checkpoint(e.path().string()));
    }
  }
  const auto a = load_checkpoint(dir / "ref/latest.ckpt");
  const auto b = load_checkpoint(run + "/latest.ckpt");
  EXPECT_EQ(b.progress.step, kSteps);
  expect_same_training_state(a, b);
  expect_same_training_state(load_checkpoint(dir / "ref/best.ckpt"),
                             load_checkpoint(run + "/best.ckpt"));
  expect_every_step_once(run + "/metrics.jsonl", kSteps);
  expect_no_temporaries(run);
}

TEST_F(Robustness, ResumeWithoutACheckpointStartsFromScratch) {
  // A folder a kill left with config.json but no checkpoint: --resume alone starts it again.
  const auto first = run_cli("-q " + train_args(dir / "a", 20), dir);
  ASSERT_EQ(first.status, 0) << first.err;
  fs::create_directories(dir / "b");
  fs::copy_file(dir / "a/config.json", dir / "b/config.json");
  write_file(dir / "b/metrics.jsonl", "{\"step\":1,\"train_loss\":5.0}\n{\"step\":2,");  // torn
  write_file(dir / "b/latest.ckpt.tmp.12345", "half a checkpoint");
  const auto again = run_cli("train --out " + dir / "b" + " --resume", dir);
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.err.find("no checkpoint in"), std::string::npos) << again.err;
  expect_same_training_state(load_checkpoint(dir / "a/latest.ckpt"),
                             load_checkpoint(dir / "b/latest.ckpt"));
  expect_every_step_once(dir / "b/metrics.jsonl", 20);
  expect_no_temporaries(dir / "b");
  // An empty folder (killed before config.json) with the flags: a new run, said so.
  fs::create_directories(dir / "c");
  const auto fresh = run_cli(train_args(dir / "c", 20) + " --resume", dir);
  ASSERT_EQ(fresh.status, 0) << fresh.err;
  EXPECT_NE(fresh.err.find("nothing to resume"), std::string::npos) << fresh.err;
  expect_same_training_state(load_checkpoint(dir / "a/latest.ckpt"),
                             load_checkpoint(dir / "c/latest.ckpt"));
  // Neither config nor flags: nothing to go on.
  fs::create_directories(dir / "d");
  expect_clean_error(run_cli("-q train --out " + dir / "d" + " --resume", dir), "nothing to resume",
                     "empty folder, no --data");
}

// ---------------------------------------------------------------------------------------------
// 2. SIGTERM and SIGINT: checkpoint, say how to resume, exit 128 + signal.

TEST_F(Robustness, SigtermCheckpointsAndResumes) {
  const std::string run = dir / "run";
  const pid_t pid = spawn_cli(train_args(run, 1000000), dir / "out", dir / "err");
  ASSERT_TRUE(wait_until([&] { return lines_in(run + "/metrics.jsonl") >= 15; }, 30))
      << read_file(dir / "err");
  ::kill(pid, SIGTERM);
  EXPECT_EQ(wait_for(pid), 143);
  const std::string err = read_file(dir / "err");
  EXPECT_NE(err.find("stopped by signal 15"), std::string::npos) << err;
  EXPECT_NE(err.find("Resume with: charrnn train --out " + run + " --resume"), std::string::npos)
      << err;
  const auto stopped = load_checkpoint(run + "/latest.ckpt");
  EXPECT_GE(stopped.progress.step, 15);
  expect_no_temporaries(run);
  const int64_t target = stopped.progress.step + 12;
  const auto resumed =
      run_cli("-q train --out " + run + " --resume --max-steps " + std::to_string(target), dir);
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_EQ(load_checkpoint(run + "/latest.ckpt").progress.step, target);
  expect_every_step_once(run + "/metrics.jsonl", target);
}

TEST_F(Robustness, SigintExits130WithACheckpoint) {
  const std::string run = dir / "run";
  const pid_t pid = spawn_cli(train_args(run, 1000000), dir / "out", dir / "err");
  ASSERT_TRUE(wait_until([&] { return lines_in(run + "/metrics.jsonl") >= 3; }, 30))
      << read_file(dir / "err");
  ::kill(pid, SIGINT);
  EXPECT_EQ(wait_for(pid), 130);
  EXPECT_NE(read_file(dir / "err").find("--resume"), std::string::npos);
  EXPECT_GE(load_checkpoint(run + "/latest.ckpt").progress.step, 3);
}

TEST_F(Robustness, FileSizeLimitIsRefusedBeforeTraining) {
  const auto first = run_cli("-q " + train_args(dir / "run", 20), dir);
  ASSERT_EQ(first.status, 0) << first.err;
  const auto before = folder_files(dir / "run");
  // 64 KiB: fine for config.json and the probe, too small for this model's checkpoint.
  const auto r = run_sh(
      "trap '' XFSZ; ulimit -f 64; $BIN -q train --out " + dir / "run" + " --resume --max-steps 40",
      dir);
  expect_clean_error(r, "ulimit -f", "ulimit -f 64 on resume");
  EXPECT_EQ(folder_files(dir / "run"), before);
}

TEST_F(Robustness, UnwritableRunFolderIsRefusedBeforeTraining) {
  write_file(dir / "file", "x");
  expect_clean_error(run_cli("-q " + train_args(dir / "file/run", 20), dir),
                     "cannot create run folder", "--out under a regular file");
  expect_clean_error(run_cli("-q " + train_args(dir / "file", 20), dir), "cannot create run folder",
                     "--out is a regular file");
  expect_clean_error(run_cli("-q " + train_args("/proc/charrnn-run", 20), dir), "run folder",
                     "--out in /proc");
}

// ---------------------------------------------------------------------------------------------
// 4. Numerical faults: roll back to the last good checkpoint at half the learning rate.

TEST_F(Robustness, InjectedNaNLossRollsBackAndFinishes) {
  const std::string run = dir / "run";
  const auto r = run_sh("CHARRNN_INJECT_FAULT=loss-nan@25 $BIN " + train_args(run, 40), dir);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("rolled back to the checkpoint at step 20"), std::string::npos) << r.err;
  const auto ck = load_checkpoint(run + "/latest.ckpt");
  EXPECT_EQ(ck.progress.step, 40);
  EXPECT_DOUBLE_EQ(ck.progress.lr_scale, 0.5);
  expect_finite(ck);
  expect_finite(load_checkpoint(run + "/best.ckpt"));
  expect_every_step_once(run + "/metrics.jsonl", 40);  // the redone steps replace the lost ones
  std::ifstream in(run + "/metrics.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_DOUBLE_EQ(j["lr"].get<double>(), j["step"].get<int64_t>() <= 20 ? 2e-3 : 1e-3) << line;
  }
  // The halved rate survives a resume.
  const auto more = run_cli("-q train --out " + run + " --resume --max-steps 45", dir);
  ASSERT_EQ(more.status, 0) << more.err;
  EXPECT_DOUBLE_EQ(load_checkpoint(run + "/latest.ckpt").progress.lr_scale, 0.5);
}

TEST_F(Robustness, InjectedInfGradientBeforeTheFirstValidationRollsBackToStepZero) {
  const std::string run = dir / "run";
  const auto r = run_sh("CHARRNN_INJECT_FAULT=grad-inf@4 $BIN " + train_args(run, 12), dir);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("gradient norm became inf"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("checkpoint at step 0"), std::string::npos) << r.err;
  const auto ck = load_checkpoint(run + "/latest.ckpt");
  EXPECT_EQ(ck.progress.step, 12);
  expect_finite(ck);
  expect_every_step_once(run + "/metrics.jsonl", 12);
}

TEST_F(Robustness, RepeatedNaNStopsWithAClearMessage) {
  const std::string run = dir / "run";
  const auto r = run_sh("CHARRNN_INJECT_FAULT=loss-nan@25x3 $BIN -q " + train_args(run, 40), dir);
  EXPECT_EQ(r.status, 2) << r.err;
  const std::string last = r.err.substr(r.err.rfind("charrnn: error: "));
  EXPECT_NE(last.find("training diverged"), std::string::npos) << r.err;
  EXPECT_NE(last.find("step 20"), std::string::npos) << r.err;
  EXPECT_NE(last.find("lower --lr"), std::string::npos) << r.err;
  const auto ck = load_checkpoint(run + "/latest.ckpt");  // the last good one, never a NaN one
  EXPECT_EQ(ck.progress.step, 20);
  expect_finite(ck);
  expect_finite(load_checkpoint(run + "/best.ckpt"));
  expect_no_temporaries(run);
}

TEST_F(Robustness, AbsurdLearningRateDivergesCleanly) {
  // Adam moves every weight by about --lr per step: at 2e37 the logits overflow float32 by
  // step 2, and still do at half and a quarter of that rate.
  const std::string run = dir / "run";
  const auto r = run_cli("-q " + train_args(run, 40) + " --lr 2e37", dir);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("training diverged"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("Exception raised from"), std::string::npos) << r.err;
  for (const char* f : {"/latest.ckpt", "/best.ckpt"}) {
    if (fs::exists(run + f)) expect_finite(load_checkpoint(run + f));
  }
}

// ---------------------------------------------------------------------------------------------
// 5. One writer per run folder.

TEST_F(Robustness, SecondWriterIsRefusedAndTheLockDiesWithItsProcess) {
  const std::string run = dir / "run";
  const pid_t pid = spawn_cli(train_args(run, 1000000), dir / "out", dir / "err");
  ASSERT_TRUE(wait_until([&] { return lines_in(run + "/metrics.jsonl") >= 3; }, 30))
      << read_file(dir / "err");
  expect_clean_error(run_cli("-q " + train_args(run, 50) + " --resume", dir), "in use",
                     "second writer with --resume");
  expect_clean_error(run_cli("-q " + train_args(run, 50), dir), "in use", "second writer, fresh");
  ::kill(pid, SIGKILL);
  EXPECT_EQ(wait_for(pid), 128 + SIGKILL);
  // The kernel dropped the lock with the process: the folder can be trained into again.
  const int64_t at = load_checkpoint(run + "/latest.ckpt").progress.step;
  const auto again =
      run_cli("-q train --out " + run + " --resume --max-steps " + std::to_string(at + 10), dir);
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(load_checkpoint(run + "/latest.ckpt").progress.step, at + 10);
  expect_no_temporaries(run);
}
