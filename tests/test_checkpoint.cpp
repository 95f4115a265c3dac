// Checkpoints: round trips, every kind of damage refused cleanly, and faults while saving.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <torch/torch.h>

#include <csignal>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>

#include "charrnn/errors.h"
#include "charrnn/store/checkpoint.h"
#include "charrnn/store/checkpoint_format.h"
#include "test_util.h"

using namespace charrnn;
using charrnn::testing::expect_no_temporaries;
using charrnn::testing::read_file;
using charrnn::testing::TempDir;

namespace {

Checkpoint small_checkpoint(CharLSTM& model) {
  Checkpoint ck;
  ck.model = model->config();
  ck.progress.step = 17;
  ck.progress.epoch = 2;
  ck.progress.best_val = 1.25;
  store_model(model, ck);
  return ck;
}

CharLSTM tiny_model() {
  ModelConfig c;
  c.layers = 1;
  c.hidden = 4;
  torch::manual_seed(3);
  return CharLSTM(c);
}

}  // namespace

TEST(Checkpoint, RoundTripGivesIdenticalLogits) {
  TempDir dir;
  ModelConfig c;
  c.layers = 2;
  c.hidden = 24;
  torch::manual_seed(5);
  CharLSTM model(c);
  model->eval();
  save_checkpoint(dir / "a.ckpt", small_checkpoint(model));
  const Checkpoint back = load_checkpoint(dir / "a.ckpt");
  EXPECT_EQ(back.progress.step, 17);
  EXPECT_EQ(back.progress.epoch, 2);
  EXPECT_EQ(back.progress.best_val, 1.25);
  EXPECT_EQ(back.model.hidden, 24);
  CharLSTM loaded = restore_model(back);
  loaded->eval();
  auto x = torch::randint(0, 256, {2, 9}, torch::kLong);
  torch::NoGradGuard ng;
  EXPECT_TRUE(torch::equal(model->forward(x, model->initial_state(2)).first,
                           loaded->forward(x, loaded->initial_state(2)).first));
}

TEST(Checkpoint, OptimizerStateRoundTrips) {
  TempDir dir;
  CharLSTM model = tiny_model();
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-2));
  for (int i = 0; i < 3; ++i) {
    opt.zero_grad();
    model->forward(torch::randint(0, 256, {2, 3}, torch::kLong), model->initial_state(2))
        .first.sum()
        .backward();
    opt.step();
  }
  Checkpoint ck = small_checkpoint(model);
  store_optimizer(opt, model, ck);
  save_checkpoint(dir / "o.ckpt", ck);
  const Checkpoint back = load_checkpoint(dir / "o.ckpt");
  CharLSTM model2 = restore_model(back);
  torch::optim::Adam opt2(model2->parameters(), torch::optim::AdamOptions(1e-2));
  restore_optimizer(back, model2, opt2);
  Checkpoint again;
  store_optimizer(opt2, model2, again);
  ASSERT_EQ(again.adam_steps.size(), model->parameters().size());
  for (const auto& [name, step] : again.adam_steps) EXPECT_EQ(step, 3) << name;
  for (const auto& [name, t] : again.tensors) EXPECT_TRUE(torch::equal(t, ck.tensors.at(name)));
}

TEST(Checkpoint, EveryTruncationIsACleanError) {
  TempDir dir;
  CharLSTM model = tiny_model();
  save_checkpoint(dir / "full.ckpt", small_checkpoint(model));
  const std::string bytes = charrnn::testing::read_file(dir / "full.ckpt");
  for (size_t n = 0; n < bytes.size(); ++n) {
    charrnn::testing::write_file(dir / "cut.ckpt", bytes.substr(0, n));
    EXPECT_THROW(load_checkpoint(dir / "cut.ckpt"), InputError) << "cut at " << n;
  }
}

TEST(Checkpoint, RandomBytesAndFlippedBytesAreCleanErrors) {
  TempDir dir;
  CharLSTM model = tiny_model();
  save_checkpoint(dir / "full.ckpt", small_checkpoint(model));
  const std::string good = charrnn::testing::read_file(dir / "full.ckpt");
  std::mt19937 rng(9);
  for (int i = 0; i < 200; ++i) {
    std::string bad = good;
    bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
    charrnn::testing::write_file(dir / "bad.ckpt", bad);
    EXPECT_THROW(load_checkpoint(dir / "bad.ckpt"), InputError);
  }
  std::string noise(4096, '\0');
  for (auto& ch : noise) ch = static_cast<char>(rng());
  charrnn::testing::write_file(dir / "noise.ckpt", noise);
  EXPECT_THROW(load_checkpoint(dir / "noise.ckpt"), InputError);
  EXPECT_THROW(load_checkpoint(dir / "missing.ckpt"), InputError);
}

TEST(Checkpoint, NewerFormatVersionNamesTheUpgrade) {
  TempDir dir;
  CharLSTM model = tiny_model();
  save_checkpoint(dir / "a.ckpt", small_checkpoint(model));
  std::string bytes = charrnn::testing::read_file(dir / "a.ckpt");
  bytes[8] = static_cast<char>(kCheckpointVersion + 1);  // u32 version after the 8-byte magic
  charrnn::testing::write_file(dir / "a.ckpt", bytes);
  try {
    load_checkpoint(dir / "a.ckpt");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("upgrade charrnn"), std::string::npos) << e.what();
  }
}

TEST(Checkpoint, HeaderIntegersThatAreFloatsOrOutOfRangeAreRefused) {
  // Found by the fuzzer: get<int>() on 1e300 is undefined behaviour, and 2^40 truncates.
  TempDir dir;
  CharLSTM model = tiny_model();
  save_checkpoint(dir / "a.ckpt", small_checkpoint(model));
  const std::string good = charrnn::testing::read_file(dir / "a.ckpt");
  uint64_t header_len = 0;
  std::memcpy(&header_len, good.data() + 12, sizeof header_len);  // magic(8) version(4) len(8)
  const auto header = nlohmann::json::parse(good.substr(20, header_len));
  const std::string payload = good.substr(20 + header_len, good.size() - 20 - header_len - 4);
  // The header with one value replaced, re-encoded with a correct checksum.
  auto with = [&](const nlohmann::json::json_pointer& at, const nlohmann::json& value) {
    nlohmann::json h = header;
    h[at] = value;
    std::string bytes = encode_checkpoint_prefix(h) + payload;
    const uint32_t crc = crc32_update(0, bytes.data(), bytes.size());
    bytes.append(reinterpret_cast<const char*>(&crc), sizeof crc);
    return std::vector<char>(bytes.begin(), bytes.end());
  };
  ASSERT_NO_THROW(parse_checkpoint(with(nlohmann::json::json_pointer("/train/epochs"), 7)));
  for (const auto& [where, value] :
       std::vector<std::pair<std::string, nlohmann::json>>{{"/train/epochs", 1e300},
                                                           {"/train/batch", int64_t{1} << 40},
                                                           {"/train/seed", -1},
                                                           {"/model/hidden", 4.5},
                                                           {"/progress/step", 1e300},
                                                           {"/tensors/0/bytes", -3},
                                                           {"/tensors/0/shape", {1.5}},
                                                           {"/tensors/0/shape", 4}}) {
    SCOPED_TRACE(where + " = " + value.dump());
    EXPECT_THROW(parse_checkpoint(with(nlohmann::json::json_pointer(where), value)), InputError);
  }
}

TEST(Checkpoint, TensorsThatDisagreeWithTheConfigAreRefused) {
  TempDir dir;
  CharLSTM model = tiny_model();
  Checkpoint ck = small_checkpoint(model);
  ck.model.hidden = 8;  // the weights are for hidden 4
  save_checkpoint(dir / "a.ckpt", ck);
  const Checkpoint back = load_checkpoint(dir / "a.ckpt");
  EXPECT_THROW(restore_model(back), InputError);
}

TEST(Checkpoint, FailedWriteLeavesThePreviousFileIntact) {
  TempDir dir;
  CharLSTM model = tiny_model();
  save_checkpoint(dir / "a.ckpt", small_checkpoint(model));
  const std::string before = charrnn::testing::read_file(dir / "a.ckpt");
  // A target inside a path whose parent is a regular file cannot be created.
  EXPECT_THROW(save_checkpoint(dir / "a.ckpt/x.ckpt", small_checkpoint(model)), InputError);
  EXPECT_EQ(charrnn::testing::read_file(dir / "a.ckpt"), before);
  size_t files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) files += e.is_regular_file();
  EXPECT_EQ(files, 1u);  // no temporary file left behind
}

TEST(Checkpoint, RunFolderMeansItsBestCheckpoint) {
  TempDir dir;
  CharLSTM model = tiny_model();
  std::filesystem::create_directories(dir / "run");
  EXPECT_THROW(resolve_checkpoint_path(dir / "run"), InputError);
  save_checkpoint(dir / "run/latest.ckpt", small_checkpoint(model));
  EXPECT_EQ(resolve_checkpoint_path(dir / "run"), dir / "run/latest.ckpt");
  save_checkpoint(dir / "run/best.ckpt", small_checkpoint(model));
  EXPECT_EQ(resolve_checkpoint_path(dir / "run"), dir / "run/best.ckpt");
}

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
