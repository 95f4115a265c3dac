// --precision: names, the CUDA-only rule, the autocast scope, dynamic loss scaling (exactness,
// skip on overflow, growth and back-off), and mixed-precision training on a GPU (*_CUDA).
#include <ATen/autocast_mode.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <limits>

#include "charrnn/errors.h"
#include "charrnn/train/precision.h"
#include "charrnn/train/train.h"
#include "charrnn/train/train_step.h"
#include "test_util.h"

using namespace charrnn;
using charrnn::testing::TempDir;

namespace {

// LibTorch 2.4 deprecated the CUDA-only autocast queries for per-device ones (as in
// src/train/precision.cpp); read the state with whichever this LibTorch has as its main API.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool cuda_autocast_on() { return at::autocast::is_autocast_enabled(at::kCUDA); }
at::ScalarType cuda_autocast_dtype() { return at::autocast::get_autocast_dtype(at::kCUDA); }
#else
bool cuda_autocast_on() { return at::autocast::is_enabled(); }
at::ScalarType cuda_autocast_dtype() { return at::autocast::get_autocast_gpu_dtype(); }
#endif

// Parameters as plain copies, to compare before/after a step.
std::vector<torch::Tensor> snapshot(const CharLSTM& m) {
  std::vector<torch::Tensor> out;
  for (const auto& p : m->parameters()) out.push_back(p.detach().clone());
  return out;
}

bool same(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  for (size_t i = 0; i < a.size(); ++i)
    if (!torch::equal(a[i], b[i])) return false;
  return true;
}

struct StepRig {
  CharLSTM model{nullptr};
  std::unique_ptr<torch::optim::Adam> opt;
  torch::Tensor x, y;
  State state;
};

StepRig make_rig() {
  ModelConfig mc;
  mc.hidden = 24;
  mc.dropout = 0;
  torch::manual_seed(9);
  StepRig s;
  s.model = CharLSTM(mc);
  s.opt =
      std::make_unique<torch::optim::Adam>(s.model->parameters(), torch::optim::AdamOptions(1e-2));
  s.x = torch::randint(0, 256, {4, 12}, torch::kLong);
  s.y = torch::randint(0, 256, {4, 12}, torch::kLong);
  s.state = s.model->initial_state(4);
  return s;
}

}  // namespace

TEST(Precision, ParsesTheThreeNamesAndNamesThemInErrors) {
  EXPECT_EQ(parse_precision("fp32"), Precision::kFp32);
  EXPECT_EQ(parse_precision("bf16"), Precision::kBf16);
  EXPECT_EQ(parse_precision("fp16"), Precision::kFp16);
  for (Precision p : {Precision::kFp32, Precision::kBf16, Precision::kFp16})
    EXPECT_EQ(parse_precision(precision_name(p)), p);
  try {
    parse_precision("fp64");
    FAIL() << "fp64 accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("fp32, bf16 or fp16"), std::string::npos);
  }
}

TEST(Precision, MixedPrecisionNeedsCuda) {
  EXPECT_NO_THROW(check_precision(Precision::kFp32, c10::Device(c10::kCPU)));
  EXPECT_THROW(check_precision(Precision::kBf16, c10::Device(c10::kCPU)), InputError);
  EXPECT_THROW(check_precision(Precision::kFp16, c10::Device(c10::kCPU)), InputError);
  EXPECT_NO_THROW(check_precision(Precision::kFp16, c10::Device(c10::kCUDA, 0)));
}

TEST(Precision, CliRefusesMixedPrecisionOnTheCpuAndUnknownNames) {
  TempDir dir;
  charrnn::testing::write_file(dir / "c.txt", std::string(5000, 'a'));
  const std::string common = "train --data " + dir / "c.txt" + " --out " + dir / "run";
  charrnn::testing::expect_clean_error(
      charrnn::testing::run_cli(common + " --device cpu --precision bf16", dir), "needs a CUDA");
  charrnn::testing::expect_clean_error(charrnn::testing::run_cli(common + " --precision fp8", dir),
                                       "fp32, bf16 or fp16");
  EXPECT_FALSE(std::filesystem::exists(dir / "run/latest.ckpt"));  // nothing started
  charrnn::testing::expect_clean_error(
      charrnn::testing::run_cli("bench --device cpu --precision fp16", dir), "needs a CUDA");
}

TEST(Precision, AutocastScopeSetsAndRestoresCudaAutocast) {
  ASSERT_FALSE(cuda_autocast_on());
  const auto dtype_before = cuda_autocast_dtype();
  {
    AutocastScope none(Precision::kFp32);
    EXPECT_FALSE(cuda_autocast_on());
  }
  {
    AutocastScope bf16(Precision::kBf16);
    EXPECT_TRUE(cuda_autocast_on());
    EXPECT_EQ(cuda_autocast_dtype(), at::kBFloat16);
    {
      AutocastScope fp16(Precision::kFp16);
      EXPECT_EQ(cuda_autocast_dtype(), at::kHalf);
    }
    EXPECT_TRUE(cuda_autocast_on());  // the inner scope restored the outer one
    EXPECT_EQ(cuda_autocast_dtype(), at::kBFloat16);
  }
  EXPECT_FALSE(cuda_autocast_on());
  EXPECT_EQ(cuda_autocast_dtype(), dtype_before);
}

TEST(LossScaler, DisabledIsTheIdentity) {
  LossScaler off(false);
  EXPECT_EQ(off.scale(), 1.0);
  const auto loss = torch::tensor(3.5);
  EXPECT_TRUE(off.scale_loss(loss).is_same(loss));
  off.update(false);
  EXPECT_EQ(off.scale(), 1.0);
}

TEST(LossScaler, BacksOffOnOverflowGrowsAfterCleanSteps) {
  LossScaler s(true, 1024.0, 3);
  s.update(false);
  EXPECT_EQ(s.scale(), 512.0);
  s.update(true);
  s.update(true);
  EXPECT_EQ(s.scale(), 512.0);
  s.update(true);  // third clean step in a row
  EXPECT_EQ(s.scale(), 1024.0);
  s.update(true);
  s.update(false);  // an overflow resets the run of clean steps
  s.update(true);
  s.update(true);
  EXPECT_EQ(s.scale(), 512.0);
  LossScaler low(true, 2.0, 100);
  low.update(false);
  low.update(false);
  EXPECT_EQ(low.scale(), 1.0);  // floor
}

TEST(LossScaler, ScaledStepEqualsUnscaledStep) {
  // Power-of-two scaling commutes exactly with every linear op of backward: same update.
  StepRig a = make_rig(), b = make_rig();
  LossScaler scaler(true, 65536.0);
  const auto oa = train_step(a.model, *a.opt, a.x, a.y, a.state, 5.0);
  const auto ob =
      train_step(b.model, *b.opt, b.x, b.y, b.state, 5.0, {}, Precision::kFp32, &scaler);
  ASSERT_TRUE(oa.stepped() && ob.stepped());
  EXPECT_FALSE(ob.overflow);
  EXPECT_NEAR(oa.loss, ob.loss, 1e-12);  // the reported loss is unscaled
  EXPECT_NEAR(oa.grad_norm, ob.grad_norm, 1e-6 * oa.grad_norm);
  const auto pa = snapshot(a.model), pb = snapshot(b.model);
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::allclose(pa[i], pb[i], 1e-6, 1e-7));
}

TEST(LossScaler, OverflowSkipsTheUpdateHalvesTheScaleAndAdvancesTheState) {
  StepRig s = make_rig();
  LossScaler scaler(true, 65536.0);
  const auto before = snapshot(s.model);
  const auto h_before = s.state.h.clone();
  const auto out =
      train_step(s.model, *s.opt, s.x, s.y, s.state, 5.0, {false, true}, Precision::kFp32, &scaler);
  EXPECT_TRUE(out.overflow);
  EXPECT_FALSE(out.stepped());
  EXPECT_EQ(scaler.scale(), 32768.0);
  EXPECT_TRUE(same(before, snapshot(s.model)));     // weights untouched
  EXPECT_FALSE(torch::equal(h_before, s.state.h));  // the stream moved on
  // At the floor an overflow is a real fault: no skip, the caller rolls back.
  LossScaler floor(true, 1.0);
  const auto fault =
      train_step(s.model, *s.opt, s.x, s.y, s.state, 5.0, {false, true}, Precision::kFp32, &floor);
  EXPECT_FALSE(fault.overflow);
  EXPECT_FALSE(fault.stepped());
}

TEST(Precision, MixedPrecisionTrainsNearFp32_CUDA) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device visible to LibTorch";
  TempDir dir;
  charrnn::testing::write_file(dir / "corpus.txt", charrnn::testing::play_text(200000));
  double val[3] = {0, 0, 0};
  const char* names[3] = {"fp32", "bf16", "fp16"};
  for (int i = 0; i < 3; ++i) {
    TrainConfig t;
    t.data = dir / "corpus.txt";
    t.out = dir / (std::string("run-") + names[i]);
    t.max_steps = 300;
    t.eval_every = 300;
    t.device = "cuda";
    t.precision = names[i];
    ModelConfig m;
    m.hidden = 256;
    val[i] = train(m, t).val_loss;
  }
  // Same seed, same data: mixed precision ends within noise of float32 (a few hundredths).
  EXPECT_NEAR(val[1], val[0], 0.05) << "bf16";
  EXPECT_NEAR(val[2], val[0], 0.05) << "fp16";
}
