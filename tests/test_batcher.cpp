#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <vector>

#include "charrnn/data/batcher.h"
#include "charrnn/errors.h"

using namespace charrnn;

namespace {

// Byte i of the corpus is i mod 256, so every byte tells where it came from.
std::vector<uint8_t> counting_corpus(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i % 256);
  return v;
}

}  // namespace

TEST(Batcher, RowsAreContiguousAndTargetsAreShiftedByOne) {
  const auto data = counting_corpus(1000);
  StreamBatcher b({data.data(), data.size()}, 4, 7);
  // (1000-1)/4 = 249 bytes per stream, 249/7 = 35 batches.
  EXPECT_EQ(b.stream_len(), 249);
  EXPECT_EQ(b.batches_per_epoch(), 35);
  auto [x, y] = b.get(3);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{4, 7}));
  ASSERT_EQ(x.scalar_type(), at::kLong);
  for (int r = 0; r < 4; ++r) {
    for (int t = 0; t < 7; ++t) {
      const int64_t pos = r * 249 + 3 * 7 + t;
      EXPECT_EQ(x[r][t].item<int64_t>(), pos % 256);
      EXPECT_EQ(y[r][t].item<int64_t>(), (pos + 1) % 256);
    }
  }
}

TEST(Batcher, NextBatchContinuesEachStream) {
  const auto data = counting_corpus(5000);
  StreamBatcher b({data.data(), data.size()}, 5, 11);
  for (int64_t k = 0; k + 1 < b.batches_per_epoch(); ++k) {
    auto [x0, y0] = b.get(k);
    auto [x1, y1] = b.get(k + 1);
    for (int r = 0; r < 5; ++r) {
      // The last target of batch k is the first input of batch k+1.
      EXPECT_EQ(y0[r][10].item<int64_t>(), x1[r][0].item<int64_t>());
      EXPECT_EQ((x0[r][10].item<int64_t>() + 1) % 256, x1[r][0].item<int64_t>());
    }
  }
}

TEST(Batcher, LastBatchStaysInsideTheData) {
  // Exactly one batch fits: B*T + 1 bytes.
  const auto data = counting_corpus(3 * 4 + 1);
  StreamBatcher b({data.data(), data.size()}, 3, 4);
  EXPECT_EQ(b.batches_per_epoch(), 1);
  auto [x, y] = b.get(0);
  EXPECT_EQ(y[2][3].item<int64_t>(), 12);  // the very last byte is the last target
}

TEST(Batcher, TooSmallCorpusNamesTheSizeAndTheFlags) {
  const auto data = counting_corpus(100);
  try {
    StreamBatcher b({data.data(), data.size()}, 50, 50, "the training split");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("100 bytes"), std::string::npos) << msg;
    EXPECT_NE(msg.find("2501"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--batch"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--seq-len"), std::string::npos) << msg;
  }
}
