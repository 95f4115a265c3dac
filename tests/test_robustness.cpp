// Robustness: never lose a run, never crash on bad input.
// SIGKILL at random moments, SIGTERM/SIGINT, a full or size-limited disk, NaN/Inf faults, two
// writers, and bad inputs of every kind (each: exit 2, one line naming the problem and the fix).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
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

#include "charrnn/data/corpus.h"
#include "charrnn/errors.h"
#include "charrnn/store/checkpoint.h"
#include "charrnn/store/checkpoint_format.h"
#include "charrnn/store/run_dir.h"
#include "charrnn/train/fault_injection.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace charrnn;
using charrnn::testing::expect_clean_error;
using charrnn::testing::read_file;
using charrnn::testing::RunResult;
using charrnn::testing::TempDir;
using charrnn::testing::write_file;

namespace {

// The kill test's run: small enough that an uninterrupted run takes a few seconds.
const char* kRun =
    "--layers 2 --hidden 32 --batch 4 --seq-len 32 --threads 1 --eval-every 10 --log-every 1 "
    "--seed 7";

// `s` single-quoted for the shell.
std::string q(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Starts `sh -c "exec LINE"` without waiting, where LINE may use $BIN (the charrnn binary)
// and start with VAR=value assignments; the pid is charrnn's own.
pid_t spawn_sh(const std::string& line, const std::string& out, const std::string& err) {
  const std::string cmd =
      "BIN=" + std::string(CHARRNN_BIN) + "; exec " + line + " >" + out + " 2>" + err;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

pid_t spawn_cli(const std::string& args, const std::string& out, const std::string& err) {
  return spawn_sh("$BIN " + args, out, err);
}

// Exit status, or 128 + signal.
int wait_for(pid_t pid) {
  int raw = 0;
  while (::waitpid(pid, &raw, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
}

// Whether `pid` has exited; reaps it and stores its status if so.
bool exited(pid_t pid, int& status) {
  int raw = 0;
  if (::waitpid(pid, &raw, WNOHANG) != pid) return false;
  status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  return true;
}

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

RunResult cli(const std::string& args, const TempDir& dir) { return run_sh("$BIN " + args, dir); }

// Polls until `pred` holds or `seconds` pass.
template <typename Pred>
bool wait_until(Pred pred, double seconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
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

void expect_no_temporaries(const std::string& folder) {
  for (const auto& e : fs::directory_iterator(folder)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
  }
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

// Every file in the folder, name → bytes.
std::map<std::string, std::string> snapshot(const std::string& folder) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::directory_iterator(folder)) {
    if (e.is_regular_file()) files[e.path().filename().string()] = read_file(e.path().string());
  }
  return files;
}

class Robustness : public ::testing::Test {
 protected:
  void SetUp() override {
    corpus = dir / "corpus.txt";
    write_file(corpus, charrnn::testing::play_text(20000));
  }
  std::string train_args(const std::string& out, int64_t steps) const {
    return "train --data " + corpus + " --out " + out + " --max-steps " + std::to_string(steps) +
           " " + kRun;
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
  const auto ref = cli("-q " + train_args(dir / "ref", kSteps), dir);
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
    const auto last = cli("-q " + train_args(run, kSteps) + " --resume", dir);
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
  const auto first = cli("-q " + train_args(dir / "a", 20), dir);
  ASSERT_EQ(first.status, 0) << first.err;
  fs::create_directories(dir / "b");
  fs::copy_file(dir / "a/config.json", dir / "b/config.json");
  write_file(dir / "b/metrics.jsonl", "{\"step\":1,\"train_loss\":5.0}\n{\"step\":2,");  // torn
  write_file(dir / "b/latest.ckpt.tmp.12345", "half a checkpoint");
  const auto again = cli("train --out " + dir / "b" + " --resume", dir);
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.err.find("no checkpoint in"), std::string::npos) << again.err;
  expect_same_training_state(load_checkpoint(dir / "a/latest.ckpt"),
                             load_checkpoint(dir / "b/latest.ckpt"));
  expect_every_step_once(dir / "b/metrics.jsonl", 20);
  expect_no_temporaries(dir / "b");
  // An empty folder (killed before config.json) with the flags: a new run, said so.
  fs::create_directories(dir / "c");
  const auto fresh = cli(train_args(dir / "c", 20) + " --resume", dir);
  ASSERT_EQ(fresh.status, 0) << fresh.err;
  EXPECT_NE(fresh.err.find("nothing to resume"), std::string::npos) << fresh.err;
  expect_same_training_state(load_checkpoint(dir / "a/latest.ckpt"),
                             load_checkpoint(dir / "c/latest.ckpt"));
  // Neither config nor flags: nothing to go on.
  fs::create_directories(dir / "d");
  expect_clean_error(cli("-q train --out " + dir / "d" + " --resume", dir), "nothing to resume",
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
      cli("-q train --out " + run + " --resume --max-steps " + std::to_string(target), dir);
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

// ---------------------------------------------------------------------------------------------
// 3. Faults while saving.

TEST(SaveFaults, FileSizeLimitLeavesThePreviousCheckpointIntact) {
  TempDir dir;
  ModelConfig c;
  c.layers = 1;
  c.hidden = 8;
  torch::manual_seed(1);
  CharLSTM model(c);
  Checkpoint ck;
  ck.model = c;
  store_model(model, ck);
  save_checkpoint(dir / "a.ckpt", ck);
  const std::string before = read_file(dir / "a.ckpt");
  ASSERT_GT(before.size(), 8192u);

  // Like `ulimit -f 8`: writes past 8 KiB fail with EFBIG once SIGXFSZ is ignored.
  struct rlimit old {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old;
  small.rlim_cur = 8192;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  std::string message;
  try {
    ck.progress.step = 99;
    save_checkpoint(dir / "a.ckpt", ck);
  } catch (const InputError& e) {
    message = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);

  EXPECT_NE(message.find("File too large"), std::string::npos) << message;
  EXPECT_NE(message.find("ulimit -f"), std::string::npos) << message;
  EXPECT_NE(message.find("a.ckpt"), std::string::npos) << message;
  EXPECT_EQ(read_file(dir / "a.ckpt"), before);
  EXPECT_EQ(load_checkpoint(dir / "a.ckpt").progress.step, 0);
  expect_no_temporaries(dir.path());
}

TEST_F(Robustness, FileSizeLimitIsRefusedBeforeTraining) {
  const auto first = cli("-q " + train_args(dir / "run", 20), dir);
  ASSERT_EQ(first.status, 0) << first.err;
  const auto before = snapshot(dir / "run");
  // 64 KiB: fine for config.json and the probe, too small for this model's checkpoint.
  const auto r = run_sh(
      "trap '' XFSZ; ulimit -f 64; $BIN -q train --out " + dir / "run" + " --resume --max-steps 40",
      dir);
  expect_clean_error(r, "ulimit -f", "ulimit -f 64 on resume");
  EXPECT_EQ(snapshot(dir / "run"), before);
}

TEST_F(Robustness, UnwritableRunFolderIsRefusedBeforeTraining) {
  write_file(dir / "file", "x");
  expect_clean_error(cli("-q " + train_args(dir / "file/run", 20), dir), "cannot create run folder",
                     "--out under a regular file");
  expect_clean_error(cli("-q " + train_args(dir / "file", 20), dir), "cannot create run folder",
                     "--out is a regular file");
  expect_clean_error(cli("-q " + train_args("/proc/charrnn-run", 20), dir), "run folder",
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
  const auto more = cli("-q train --out " + run + " --resume --max-steps 45", dir);
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
  const auto r = cli("-q " + train_args(run, 40) + " --lr 2e37", dir);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("training diverged"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("Exception raised from"), std::string::npos) << r.err;
  for (const char* f : {"/latest.ckpt", "/best.ckpt"}) {
    if (fs::exists(run + f)) expect_finite(load_checkpoint(run + f));
  }
}

TEST(FaultInjectionSpec, ParsesAndRefusesMalformedSpecs) {
  FaultInjection none;
  EXPECT_FALSE(none.fire(FaultInjection::Kind::kLossNaN, 1));
  FaultInjection twice("loss-nan@5x2");
  EXPECT_FALSE(twice.fire(FaultInjection::Kind::kLossNaN, 4));
  EXPECT_FALSE(twice.fire(FaultInjection::Kind::kGradInf, 5));
  EXPECT_TRUE(twice.fire(FaultInjection::Kind::kLossNaN, 5));
  EXPECT_TRUE(twice.fire(FaultInjection::Kind::kLossNaN, 5));
  EXPECT_FALSE(twice.fire(FaultInjection::Kind::kLossNaN, 5));
  EXPECT_TRUE(FaultInjection("grad-inf@1").fire(FaultInjection::Kind::kGradInf, 1));
  for (const char* bad : {"nan", "loss-nan@", "loss-nan@0", "loss-nan@3x0", "loss-nan@3y",
                          "weights-nan@3", "loss-nan@-1"}) {
    EXPECT_THROW(FaultInjection{bad}, InputError) << bad;
  }
}

// ---------------------------------------------------------------------------------------------
// 5. One writer per run folder.

TEST_F(Robustness, SecondWriterIsRefusedAndTheLockDiesWithItsProcess) {
  const std::string run = dir / "run";
  const pid_t pid = spawn_cli(train_args(run, 1000000), dir / "out", dir / "err");
  ASSERT_TRUE(wait_until([&] { return lines_in(run + "/metrics.jsonl") >= 3; }, 30))
      << read_file(dir / "err");
  expect_clean_error(cli("-q " + train_args(run, 50) + " --resume", dir), "in use",
                     "second writer with --resume");
  expect_clean_error(cli("-q " + train_args(run, 50), dir), "in use", "second writer, fresh");
  ::kill(pid, SIGKILL);
  EXPECT_EQ(wait_for(pid), 128 + SIGKILL);
  // The kernel dropped the lock with the process: the folder can be trained into again.
  const int64_t at = load_checkpoint(run + "/latest.ckpt").progress.step;
  const auto again =
      cli("-q train --out " + run + " --resume --max-steps " + std::to_string(at + 10), dir);
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(load_checkpoint(run + "/latest.ckpt").progress.step, at + 10);
  expect_no_temporaries(run);
}

TEST(RunDirLock, OneWriterPerFolderInProcessToo) {
  TempDir dir;
  {
    RunDir a(dir / "run");
    EXPECT_THROW(RunDir b(dir / "run"), InputError);
  }
  EXPECT_NO_THROW(RunDir c(dir / "run"));  // released on destruction
}

TEST(RunDirLock, RemovesOnlyTheTemporariesADeadWriterLeft) {
  TempDir dir;
  fs::create_directories(dir / "run");
  for (const char* f : {"latest.ckpt.tmp.4242", "metrics.jsonl.tmp.7", ".write-test.tmp.99",
                        "notes.tmp.txt", "latest.ckpt"}) {
    write_file(dir / ("run/" + std::string(f)), "x");
  }
  RunDir run(dir / "run");
  std::set<std::string> left;
  for (const auto& e : fs::directory_iterator(dir / "run")) left.insert(e.path().filename());
  EXPECT_EQ(left, (std::set<std::string>{".lock", "latest.ckpt", "notes.tmp.txt"}));
}

TEST(MetricsLogTruncation, KeepsRecordsThroughTheResumedStepOnly) {
  TempDir dir;
  const std::string path = dir / "metrics.jsonl";
  write_file(path, "{\"step\":1}\n{\"step\":2}\n{\"step\":3}\n{\"step\":4}\n{\"st");
  MetricsLog log(path, 2);
  log.append({{"step", 3}});
  EXPECT_EQ(read_file(path), "{\"step\":1}\n{\"step\":2}\n{\"step\":3}\n");
  MetricsLog fresh(path, 0);
  EXPECT_EQ(read_file(path), "");
}

// ---------------------------------------------------------------------------------------------
// 6. Bad input: exit 2, one line naming the problem and the fix, nothing overwritten.

TEST(CorpusReader, SingleFileAndFolderGiveTheirBytes) {
  TempDir dir;
  write_file(dir / "one.txt", "hello\n");
  const Corpus one = read_corpus(dir / "one.txt");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(one.view().data), one.size), "hello\n");
  fs::create_directories(dir / "f/b");
  write_file(dir / "f/b/2.txt", "two");
  write_file(dir / "f/a.txt", "one");
  write_file(dir / "f/c.txt", "");
  const Corpus folder = read_corpus(dir / "f");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(folder.view().data), folder.size), "onetwo");
  EXPECT_EQ(folder.files.size(), 3u);
}

TEST(CorpusReader, UnreadableAndSpecialFilesAreCleanErrors) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  EXPECT_THROW(read_corpus(dir / "fifo"), InputError);  // would block forever if opened
  EXPECT_THROW(read_corpus("/dev/null"), InputError);
  fs::create_directories(dir / "only-fifo");
  ASSERT_EQ(::mkfifo((dir / "only-fifo/f").c_str(), 0600), 0);
  EXPECT_THROW(read_corpus(dir / "only-fifo"), InputError);
  fs::create_directories(dir / "empties");
  write_file(dir / "empties/a", "");
  write_file(dir / "empties/b", "");
  EXPECT_THROW(read_corpus(dir / "empties"), InputError);

  // chmod 000 does not stop root: read it as "nobody" in a child process.
  write_file(dir / "secret.txt", "text");
  ::chmod((dir / "secret.txt").c_str(), 0);
  ::chmod(dir.path().c_str(), 0755);
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    try {
      read_corpus(dir / "secret.txt");
    } catch (const InputError& e) {
      ::_exit(std::string(e.what()).find("Permission denied") != std::string::npos ? 0 : 1);
    }
    ::_exit(2);
  }
  EXPECT_EQ(wait_for(pid), 0) << "1: wrong message, 2: no error, 3: could not drop privileges";
}

class BadInputs : public Robustness {
 protected:
  void SetUp() override {
    Robustness::SetUp();
    const auto r = cli("-q " + train_args(dir / "run", 20), dir);
    ASSERT_EQ(r.status, 0) << r.err;
    before = snapshot(dir / "run");
  }
  void TearDown() override { EXPECT_EQ(snapshot(dir / "run"), before) << "a bad input changed it"; }
  void expect(const std::string& args, const std::string& needle) {
    expect_clean_error(cli("-q " + args, dir), needle, args);
    ++count;
  }
  std::map<std::string, std::string> before;
  int count = 0;
};

TEST_F(BadInputs, TrainCorpora) {
  const std::string flags = " --out " + dir / "new" + " " + kRun;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  expect("train --data " + dir / "fifo" + flags, "not a regular file");
  expect("train --data /dev/null" + flags, "not a regular file");
  fs::create_directories(dir / "empties");
  write_file(dir / "empties/a.txt", "");
  expect("train --data " + dir / "empties" + flags, "empty");
  fs::create_directories(dir / "fifos");
  ASSERT_EQ(::mkfifo((dir / "fifos/f").c_str(), 0600), 0);
  expect("train --data " + dir / "fifos" + flags, "no regular files");
  write_file(dir / "tiny.txt", std::string(100, 'a'));
  expect("train --data " + dir / "tiny.txt" + flags, "one batch needs 129");
  write_file(dir / "noval.txt", charrnn::testing::play_text(200));
  expect("train --val-frac 0.1 --data " + dir / "noval.txt" + " --out " + dir / "new" +
             " --batch 1 --seq-len 64",
         "--val-frac");
  expect("train --data " + dir / "missing.txt" + flags, "does not exist");
  expect("train --data " + corpus + " --out " + dir / "corpus.txt/run " + kRun,
         "cannot create run folder");
  EXPECT_FALSE(fs::exists(dir / "new"));
  std::cerr << "[          ] " << count << " bad corpus inputs\n";
}

TEST_F(BadInputs, TrainResume) {
  const std::string run = " --out " + dir / "run";
  expect("train --resume --layers 3" + run, "--layers");
  expect("train --resume --hidden 64" + run, "--hidden");
  expect("train --resume --dropout 0.5" + run, "--dropout");
  expect("train --resume --batch 8" + run, "--batch");
  expect("train --resume --seq-len 8" + run, "--seq-len");
  expect("train --resume --seed 8" + run, "--seed");
  expect("train --resume --lr 0.1" + run, "--lr");
  expect("train --data " + corpus + run + " " + kRun, "already holds a run");
  fs::create_directories(dir / "hollow");
  expect("train --resume --out " + dir / "hollow", "nothing to resume");
  // A damaged latest.ckpt: each refused, the file left as it is.
  const std::string good = read_file(dir / "run/latest.ckpt");
  fs::create_directories(dir / "bad");
  auto with_latest = [&](const std::string& bytes, const std::string& needle) {
    write_file(dir / "bad/latest.ckpt", bytes);
    expect("train --resume --out " + dir / "bad", needle);
    EXPECT_EQ(read_file(dir / "bad/latest.ckpt"), bytes);
  };
  with_latest(good.substr(0, good.size() / 2), "truncated");
  with_latest(good.substr(0, 10), "not a charrnn checkpoint");
  with_latest(std::string(5000, '\x5a'), "not a charrnn checkpoint");
  std::string newer = good;
  newer[8] = static_cast<char>(kCheckpointVersion + 1);
  with_latest(newer, "upgrade charrnn");
  std::string flipped = good;
  flipped[good.size() / 3] ^= 0x10;
  with_latest(flipped, "checksum");
  std::cerr << "[          ] " << count << " bad resume inputs\n";
}

TEST_F(BadInputs, TrainFlagValues) {
  const std::string base = "train --data " + corpus + " --out " + dir / "new";
  for (const auto& [flag, needle] : std::vector<std::pair<std::string, std::string>>{
           {"--lr nan", "--lr"},
           {"--lr inf", "--lr"},
           {"--lr 0", "--lr"},
           {"--lr 1e38", "--lr"},
           {"--hidden abc", "abc"},
           {"--hidden 0", "--hidden"},
           {"--dropout 1.5", "--dropout"},
           {"--max-steps -5", "--max-steps"},
           {"--max-steps 1x", "1x"},
           {"--eval-every 0", "--eval-every"},
           {"--log-every 0", "--log-every"},
           {"--seq-len 0", "--seq-len"},
           {"--batch 0", "--batch"},
           {"--batch -3", "--batch"},
           {"--epochs 0", "--epochs"},
           {"--grad-clip -1", "--grad-clip"},
           {"--time-limit -1", "--time-limit"},
           {"--lr-decay 0", "--lr-decay"},
           {"--lr-decay-after -1", "--lr-decay-after"},
           {"--val-frac -0.1", "--val-frac"},
           {"--val-max-bytes -5", "--val-max-bytes"},
           {"--precision fp64", "--precision"},
           {"--seed banana", "banana"},
           {"--bogus 3", "--bogus"},
       }) {
    expect(base + " " + flag, needle);
  }
  expect("train --data", "--data");  // a flag without its value
  expect("", "subcommand");
  expect("fly", "unknown command 'fly'");
  EXPECT_FALSE(fs::exists(dir / "new"));
  std::cerr << "[          ] " << count << " bad train flag values\n";
}

TEST_F(BadInputs, GenerateAndEval) {
  const std::string m = " --model " + dir / "run";
  const std::string good = read_file(dir / "run/best.ckpt");
  // Truncated at bytes inside each part: magic, version, length, header, payload, CRC.
  for (size_t cut : {size_t{0}, size_t{3}, size_t{8}, size_t{12}, size_t{20}, size_t{200},
                     good.size() / 2, good.size() - 4, good.size() - 1}) {
    write_file(dir / "cut.ckpt", good.substr(0, cut));
    expect("generate --model " + dir / "cut.ckpt", cut < 24 ? "not a charrnn" : "truncated");
  }
  std::mt19937 rng(3);
  std::string noise(1 << 16, '\0');
  for (auto& c : noise) c = static_cast<char>(rng());
  write_file(dir / "noise.ckpt", noise);
  expect("generate --model " + dir / "noise.ckpt", "not a charrnn");
  write_file(dir / "magic.ckpt", good.substr(0, 12) + noise);  // right magic and version
  expect("generate --model " + dir / "magic.ckpt", "corrupt");
  std::string newer = good;
  newer[8] = static_cast<char>(kCheckpointVersion + 3);
  write_file(dir / "newer.ckpt", newer);
  expect("generate --model " + dir / "newer.ckpt", "upgrade charrnn");
  Checkpoint wrong = load_checkpoint(dir / "run/best.ckpt");
  wrong.model.hidden = 16;  // the weights are for 32
  save_checkpoint(dir / "wrong.ckpt", wrong);
  expect("generate --model " + dir / "wrong.ckpt", "disagrees");
  expect("eval --model " + dir / "wrong.ckpt --data " + corpus, "disagrees");
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  expect("generate --model " + dir / "fifo", "not a regular file");
  fs::create_directories(dir / "nothing");
  expect("generate --model " + dir / "nothing", "no best.ckpt");
  expect("generate --model " + dir / "absent.ckpt", "does not exist");
  expect("generate" + m + " -t -0.5", "--temperature");
  expect("generate" + m + " -t nan", "--temperature");
  expect("generate" + m + " -t inf", "--temperature");
  expect("generate" + m + " -t hot", "hot");
  expect("generate" + m + " --top-k -2", "--top-k");
  expect("generate" + m + " --top-k many", "many");
  expect("generate" + m + " --top-p 0", "--top-p");
  expect("generate" + m + " --top-p 1.01", "--top-p");
  expect("generate" + m + " --top-p nan", "--top-p");
  expect("generate" + m + " --length -1", "--length");
  expect("generate" + m + " --length ten", "ten");
  expect("generate" + m + " --num-samples 0", "--num-samples");
  expect("generate" + m + " --prime-file " + dir / "none.txt", "none.txt");
  expect("generate" + m + " --prime-file " + dir / "nothing", "not a regular file");
  expect("generate" + m + " --prime-file " + dir / "fifo", "not a regular file");
  expect("generate" + m + " --prime x --prime-file " + corpus, "excludes");
  expect("generate" + m + " --bogus", "--bogus");
  expect("generate", "--model");
  expect("eval" + m + " --data " + dir / "none.txt", "does not exist");
  expect("eval" + m + " --data " + dir / "fifo", "not a regular file");
  expect("eval" + m + " --data " + corpus + " --seq-len -4", "--seq-len");
  std::cerr << "[          ] " << count << " bad generate/eval inputs\n";
}
