// generate() with enough streams to split them over threads: every stream equals the same
// stream generated alone, and the byte callback sees each stream's bytes in order.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <mutex>
#include <string>
#include <vector>

#include "charrnn/model/model.h"
#include "charrnn/sample/generate.h"

using namespace charrnn;

TEST(Generate, StreamsSplitOverThreadsEqualEachStreamAlone) {
  ModelConfig c;
  c.hidden = 24;
  c.dropout = 0;
  torch::manual_seed(3);
  CharLSTM model(c);
  {
    torch::NoGradGuard guard;
    model->head->weight.mul_(6);  // peaked outputs, so wrong states show up as different text
  }
  model->eval();
  std::vector<SampleConfig> streams(19);  // not a multiple of the group size
  for (size_t i = 0; i < streams.size(); ++i) {
    streams[i].temperature = 0.3 + 0.1 * static_cast<double>(i % 7);
    streams[i].seed = 100 + i;
  }
  const int threads = at::get_num_threads();
  at::set_num_threads(2);  // at least two groups, also on a one-core machine
  std::mutex mu;
  std::vector<std::string> seen(streams.size());
  const auto together =
      generate(model, "The ", streams, 80, [&](size_t k, uint8_t b, const float*) {
        std::lock_guard<std::mutex> lock(mu);
        seen[k].push_back(static_cast<char>(b));
      });
  at::set_num_threads(threads);
  ASSERT_EQ(together.size(), streams.size());
  for (size_t k = 0; k < streams.size(); ++k) {
    const auto alone = generate(model, "The ", {streams[k]}, 80);
    EXPECT_EQ(together[k], alone[0]) << "stream " << k;
    EXPECT_EQ(seen[k], together[k]) << "callback order, stream " << k;
  }
}
