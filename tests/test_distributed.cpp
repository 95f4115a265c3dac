// Data-parallel training on loopback: the stream split, dropout keyed by global stream, the c10d
// wrapper, and end to end: N ranks (charrnn --nproc, or a torchrun environment set here) train
// the same run as one process; a killed rank stops the others; resume at any world size.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <torch/torch.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "charrnn/errors.h"
#include "charrnn/model/dropout.h"
#include "charrnn/store/checkpoint.h"
#include "charrnn/train/distributed.h"
#include "test_util.h"

using namespace charrnn;
using charrnn::testing::exited;
using charrnn::testing::expect_clean_error;
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

// A port free on loopback now, held open (bound, not listening) while `hold` is true.
int free_port(int* held_fd = nullptr) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  if (held_fd != nullptr) {
    *held_fd = fd;
  } else {
    ::close(fd);
  }
  return ntohs(a.sin_port);
}

// Weights agree to `rel` of each tensor's largest magnitude; Adam's moments and the carried
// state, which float32 rounding of the ranks' partial sums reaches first, to 10 x `rel`.
void expect_close(const Checkpoint& a, const Checkpoint& b, double rel) {
  EXPECT_EQ(a.progress.step, b.progress.step);
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (const auto& [name, t] : a.tensors) {
    if (name.rfind("rng.", 0) == 0 || !t.is_floating_point()) continue;
    const auto& u = b.tensors.at(name);
    const double scale = std::max(1e-12, t.abs().max().item<double>());
    const bool weight = name.rfind("adam.", 0) != 0 && name.rfind("state.", 0) != 0;
    EXPECT_LE((t - u).abs().max().item<double>() / scale, weight ? rel : 10 * rel) << name;
  }
  EXPECT_NEAR(a.progress.last_val, b.progress.last_val, 1e-5 * a.progress.last_val);
}

class DataParallel : public ::testing::Test {
 protected:
  void SetUp() override {
    corpus = dir / "corpus.txt";
    write_file(corpus, charrnn::testing::play_text(12000));
  }
  // The tiny run with dropout on (masks must not depend on the split) and 4 streams.
  std::string args(const std::string& out, int64_t steps) const {
    return "train --data " + corpus + " --out " + out + " --max-steps " + std::to_string(steps) +
           " " + charrnn::testing::tiny_run_flags() +
           " --dropout 0.2";  // tiny_run.flags: --batch 4
  }
  Checkpoint single(int64_t steps) {  // the reference: one process, trained once per test
    const std::string out = dir / ("single" + std::to_string(steps));
    if (!std::filesystem::exists(out)) {
      const auto r = run_cli("-q " + args(out, steps), dir);
      EXPECT_EQ(r.status, 0) << r.err;
    }
    return load_checkpoint(out + "/latest.ckpt");
  }
  TempDir dir;
  std::string corpus;
};

}  // namespace

TEST(DataParallelParts, ShardsCoverTheStreamsInOrder) {
  for (int world : {1, 2, 3, 4}) {
    int64_t next = 0;
    for (int r = 0; r < world; ++r) {
      const Shard s{r, world};
      EXPECT_EQ(s.begin(10), next);
      next = s.end(10);
    }
    EXPECT_EQ(next, 10);
  }
}

TEST(DataParallelParts, DropoutMasksFollowTheGlobalStreamInBothLayouts) {
  for (int64_t H : {5, 8}) {  // odd H: slices start at odd element indices
    const auto batch_major = torch::zeros({4, 3, H});
    const auto time_major = torch::zeros({3, 4, H}).transpose(0, 1);  // (B,T,H) view
    for (const auto& x : {batch_major, time_major}) {
      const auto whole = dropout_mask_streams(x, 0.3, 42, 0, 4);
      // offset 0 of B streams is the plain mask, element for element in storage order.
      EXPECT_TRUE(torch::equal(whole, dropout_mask(x, 0.3, 42)));
      for (int64_t lo : {0, 1, 2, 3}) {
        // One stream is both layouts at once; it is read as time-major, the fused LSTM's.
        if (lo == 3 && x.is_contiguous()) continue;
        const auto part = x.slice(0, lo, 4).contiguous();
        const auto part_tm =
            x.transpose(0, 1).slice(1, lo, 4).contiguous().transpose(0, 1);  // time-major
        const auto& like = x.is_contiguous() ? part : part_tm;
        const auto m = dropout_mask_streams(like, 0.3, 42, lo, 4);
        EXPECT_TRUE(torch::equal(m, whole.slice(0, lo, 4))) << "H " << H << " offset " << lo;
      }
    }
  }
}

TEST(DataParallelParts, EnvironmentIsReadLikeTorchrunsAndCheckedLoudly) {
  ::unsetenv("RANK");
  ::unsetenv("WORLD_SIZE");
  EXPECT_FALSE(dist_env_from_environment().distributed());
  ::setenv("RANK", "1", 1);
  EXPECT_THROW(dist_env_from_environment(), InputError);  // RANK without WORLD_SIZE
  ::setenv("WORLD_SIZE", "2", 1);
  ::setenv("MASTER_PORT", "70000", 1);
  EXPECT_THROW(dist_env_from_environment(), InputError);
  ::setenv("MASTER_PORT", "29999", 1);
  const DistEnv e = dist_env_from_environment();
  EXPECT_EQ(e.rank, 1);
  EXPECT_EQ(e.world, 2);
  EXPECT_EQ(e.master_port, 29999);
  ::setenv("RANK", "2", 1);  // out of range
  EXPECT_THROW(dist_env_from_environment(), InputError);
  for (const char* v : {"RANK", "WORLD_SIZE", "MASTER_PORT"}) ::unsetenv(v);
}

TEST(DataParallelParts, ProcessGroupCollectivesAcrossTwoRanks) {
  const int port = free_port();
  auto rank = [&](int r, torch::Tensor* sum, torch::Tensor* bcast, torch::Tensor* all) {
    DistEnv env;
    env.rank = r;
    env.world = 2;
    env.master_port = port;
    ProcessGroup g(env, DistOptions{"gloo", 20}, torch::kCPU);
    *sum = torch::tensor({1.0 + r, 10.0 * r}, torch::kFloat64);
    g.allreduce_sum(*sum);
    *bcast = torch::full({3}, static_cast<float>(r + 5));
    g.broadcast(*bcast, 1);
    *all = g.allgather(torch::full({1, 2}, static_cast<float>(r)), 0);
  };
  // A rank must outlive a dead peer's socket to report it: joining the group ignores SIGPIPE.
  ::signal(SIGPIPE, SIG_DFL);
  torch::Tensor s0, s1, b0, b1, a0, a1;
  std::thread t1(rank, 1, &s1, &b1, &a1);
  rank(0, &s0, &b0, &a0);
  t1.join();
  for (const auto& s : {s0, s1})
    EXPECT_TRUE(torch::equal(s, torch::tensor({3.0, 10.0}, torch::kFloat64)));
  for (const auto& b : {b0, b1}) EXPECT_TRUE(torch::equal(b, torch::full({3}, 6.f)));
  for (const auto& a : {a0, a1})
    EXPECT_TRUE(torch::equal(a, torch::tensor({{0.f, 0.f}, {1.f, 1.f}})));
  struct sigaction after {};
  ::sigaction(SIGPIPE, nullptr, &after);
  EXPECT_EQ(after.sa_handler, SIG_IGN);
}

// Equivalence: 2 and 4 ranks (on 2 cores) train the 1-process run's weights, dropout on.
TEST_F(DataParallel, TwoAndFourRanksTrainTheSameRunAsOneProcess) {
  const Checkpoint one = single(50);
  for (int n : {2, 4}) {
    const std::string out = dir / ("nproc" + std::to_string(n));
    const auto r = run_cli(args(out, 50) + " --nproc " + std::to_string(n), dir);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("[rank 0]"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(std::to_string(n) + " ranks (gloo)"), std::string::npos) << r.err;
    expect_close(one, load_checkpoint(out + "/latest.ckpt"), 1e-5);
  }
}

// Launched as torchrun launches it: the environment only, one process per rank.
TEST_F(DataParallel, TorchrunEnvironmentLaunchesRanks) {
  const int port = free_port();
  const std::string out = dir / "torchrun";
  std::vector<pid_t> ranks;
  for (int r = 0; r < 2; ++r) {
    const std::string env = "RANK=" + std::to_string(r) + " LOCAL_RANK=" + std::to_string(r) +
                            " WORLD_SIZE=2 LOCAL_WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" +
                            std::to_string(port);
    ranks.push_back(spawn_sh("env " + env + " $BIN -q " + args(out, 30),
                             dir / ("out" + std::to_string(r)), dir / ("err" + std::to_string(r))));
  }
  for (size_t r = 0; r < ranks.size(); ++r) {
    EXPECT_EQ(wait_for(ranks[r]), 0) << read_file(dir / ("err" + std::to_string(r)));
  }
  expect_close(single(30), load_checkpoint(out + "/latest.ckpt"), 1e-5);
  // generate reads the run like any other.
  const auto g = run_cli("-q generate --model " + out + " --length 20 --seed 3", dir);
  EXPECT_EQ(g.status, 0) << g.err;
}

// Resume at another world size continues the same run: 1 process then 2 ranks, and back.
TEST_F(DataParallel, ResumeWithADifferentWorldSize) {
  const std::string out = dir / "grow";
  ASSERT_EQ(run_cli("-q " + args(out, 20), dir).status, 0);
  const auto two = run_cli("-q train --out " + out + " --resume --max-steps 35 --nproc 2", dir);
  ASSERT_EQ(two.status, 0) << two.err;
  const auto back = run_cli("-q train --out " + out + " --resume --max-steps 50", dir);
  ASSERT_EQ(back.status, 0) << back.err;
  expect_close(single(50), load_checkpoint(out + "/latest.ckpt"), 1e-5);
}

// A rank killed mid-run: the others stop with an error within the timeout, the run keeps its
// last checkpoint, and --resume goes on from it.
TEST_F(DataParallel, KilledRankStopsTheOthersAndTheRunResumes) {
  const std::string out = dir / "killed";
  const pid_t launcher =
      spawn_cli(args(out, 100000) + " --nproc 2 --dist-timeout 15", dir / "kout", dir / "kerr");
  ASSERT_TRUE(wait_until(
      [&] {
        return std::filesystem::exists(out + "/latest.ckpt") &&
               read_file(out + "/metrics.jsonl").find("\"step\":20,") != std::string::npos;
      },
      60))
      << read_file(dir / "kerr");
  // The launcher's children are the ranks, in rank order.
  std::ifstream children("/proc/" + std::to_string(launcher) + "/task/" + std::to_string(launcher) +
                         "/children");
  pid_t rank0 = 0, rank1 = 0;
  children >> rank0 >> rank1;
  ASSERT_GT(rank1, 0);
  ::kill(rank1, SIGKILL);
  int status = -1;
  ASSERT_TRUE(wait_until([&] { return exited(launcher, status); }, 40)) << "ranks hung";
  EXPECT_NE(status, 0);
  const std::string err = read_file(dir / "kerr");
  EXPECT_NE(err.find("[rank 0] charrnn: error: rank 0 lost the process group"), std::string::npos)
      << err;
  const int64_t kept = load_checkpoint(out + "/latest.ckpt").progress.step;
  const auto resumed = run_cli(
      "-q train --out " + out + " --resume --max-steps " + std::to_string(kept + 10) + " --nproc 2",
      dir);
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_EQ(load_checkpoint(out + "/latest.ckpt").progress.step, kept + 10);
}

// SIGTERM to the launcher: every rank stops at the same step, rank 0 checkpoints it, and the
// launcher exits 143 like a single process would.
TEST_F(DataParallel, SigtermToTheLauncherStopsEveryRankWithACheckpoint) {
  const std::string out = dir / "stopped";
  const pid_t launcher = spawn_cli(args(out, 100000) + " --nproc 2", dir / "sout", dir / "serr");
  ASSERT_TRUE(wait_until(
      [&] { return read_file(out + "/metrics.jsonl").find("\"step\":15,") != std::string::npos; },
      60))
      << read_file(dir / "serr");
  ::kill(launcher, SIGTERM);
  int status = -1;
  ASSERT_TRUE(wait_until([&] { return exited(launcher, status); }, 30)) << "did not stop";
  EXPECT_EQ(status, 143) << read_file(dir / "serr");
  const std::string err = read_file(dir / "serr");
  EXPECT_NE(err.find("stopped by signal 15"), std::string::npos) << err;
  // The checkpoint is the step the ranks stopped at: the log's last record is not past it.
  const int64_t kept = load_checkpoint(out + "/latest.ckpt").progress.step;
  EXPECT_GE(kept, 15);
  const auto resumed = run_cli(
      "-q train --out " + out + " --resume --max-steps " + std::to_string(kept + 5) + " --nproc 2",
      dir);
  ASSERT_EQ(resumed.status, 0) << resumed.err;
}

TEST_F(DataParallel, MisconfigurationIsOneErrorAndWritesNothing) {
  // B not divisible by the ranks.
  expect_clean_error(run_cli("-q " + args(dir / "odd", 5) + " --nproc 3", dir),
                     "does not split evenly over 3 ranks");
  EXPECT_FALSE(std::filesystem::exists(dir / "odd"));
  // Ranks started with different flags.
  const int port = free_port();
  std::vector<pid_t> ranks;
  for (int r = 0; r < 2; ++r) {
    const std::string env =
        "RANK=" + std::to_string(r) +
        " WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port);
    ranks.push_back(
        spawn_sh("env " + env + " $BIN -q " + args(dir / "mixed", 5) + (r == 1 ? " --lr 0.01" : ""),
                 dir / ("mo" + std::to_string(r)), dir / ("me" + std::to_string(r))));
  }
  for (int r = 0; r < 2; ++r) {
    EXPECT_EQ(wait_for(ranks[r]), 2);
    RunResult res{2, read_file(dir / ("mo" + std::to_string(r))),
                  read_file(dir / ("me" + std::to_string(r)))};
    expect_clean_error(res, "different configuration or corpus than rank 0");
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "mixed"));
  // The port is taken: rank 0 cannot serve the store; rank 1 gives up after the timeout.
  int held = -1;
  const int busy = free_port(&held);
  ::listen(held, 1);
  ::setenv("MASTER_PORT", std::to_string(busy).c_str(), 1);
  const auto r = run_cli("-q " + args(dir / "busy", 5) + " --nproc 2 --dist-timeout 3", dir);
  ::unsetenv("MASTER_PORT");
  ::close(held);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("could not meet the others at 127.0.0.1:" + std::to_string(busy)),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "busy"));
}
