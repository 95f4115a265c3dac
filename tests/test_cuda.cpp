// Device handling. *_CUDA tests need a GPU and are skipped (reported as skipped) without one.
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include "charrnn/errors.h"
#include "charrnn/store/checkpoint.h"
#include "charrnn/train/train.h"
#include "charrnn/util/device.h"
#include "test_util.h"

using namespace charrnn;
using charrnn::testing::TempDir;

#define REQUIRE_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device visible to LibTorch"

namespace {

TrainConfig tiny_run(const TempDir& dir, const std::string& device, int64_t steps) {
  TrainConfig t;
  t.data = dir / "corpus.txt";
  t.out = dir / "run";
  t.batch = 4;
  t.seq_len = 16;
  t.max_steps = steps;
  t.eval_every = 5;
  t.threads = 1;
  t.device = device;
  return t;
}

ModelConfig tiny_model() {
  ModelConfig m;
  m.hidden = 32;
  return m;
}

}  // namespace

TEST(Device, AutoAndCpuResolve) {
  EXPECT_EQ(resolve_device("cpu"), c10::Device(c10::kCPU));
  const auto expect = torch::cuda::is_available() ? c10::kCUDA : c10::kCPU;
  EXPECT_EQ(resolve_device("auto").type(), expect);
  EXPECT_THROW(resolve_device("gpu"), InputError);
  EXPECT_THROW(resolve_device("cuda:x"), InputError);
  // One past the last visible GPU (0 of them on a CPU-only machine) is a clean error.
  const auto n = torch::cuda::device_count();
  EXPECT_THROW(resolve_device("cuda:" + std::to_string(n)), InputError);
}

TEST(Device, CudaForwardMatchesCpu_CUDA) {
  REQUIRE_CUDA();
  torch::manual_seed(1);
  CharLSTM cpu(tiny_model());
  cpu->eval();
  Checkpoint ck;
  ck.model = cpu->config();
  store_model(cpu, ck);
  CharLSTM gpu = restore_model(ck);
  gpu->to(torch::kCUDA);
  gpu->eval();
  torch::NoGradGuard ng;
  auto x = torch::randint(0, 256, {3, 20}, torch::kLong);
  auto a = cpu->forward(x, cpu->initial_state(3)).first;
  auto b = gpu->forward(x.cuda(), gpu->initial_state(3)).first.cpu();
  EXPECT_TRUE(torch::allclose(a, b, 1e-4, 1e-4));
}

TEST(Device, GpuCheckpointLoadsOnCpu_CUDA) {
  REQUIRE_CUDA();
  TempDir dir;
  charrnn::testing::write_file(dir / "corpus.txt", charrnn::testing::play_text(3000));
  train(tiny_model(), tiny_run(dir, "cuda", 10));
  const auto ck = load_checkpoint(dir / "run/latest.ckpt");
  for (const auto& [name, t] : ck.tensors) EXPECT_TRUE(t.device().is_cpu()) << name;
  CharLSTM m = restore_model(ck);  // on the CPU
  m->eval();
  torch::NoGradGuard ng;
  auto x = torch::randint(0, 256, {1, 8}, torch::kLong);
  EXPECT_TRUE(torch::isfinite(m->forward(x, m->initial_state(1)).first).all().item<bool>());
}

TEST(Device, CpuCheckpointResumesOnGpu_CUDA) {
  REQUIRE_CUDA();
  TempDir dir;
  charrnn::testing::write_file(dir / "corpus.txt", charrnn::testing::play_text(3000));
  train(tiny_model(), tiny_run(dir, "cpu", 5));
  TrainConfig more = tiny_run(dir, "cuda", 10);
  more.resume = true;
  const auto s = train(tiny_model(), more);
  EXPECT_EQ(s.steps, 10);
  EXPECT_EQ(load_checkpoint(dir / "run/latest.ckpt").progress.step, 10);
}
