// CorpusScan against CorpusIndex: the same copy metrics, from one pass over the corpus.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "charrnn/compare/corpus_index.h"
#include "charrnn/compare/corpus_scan.h"
#include "charrnn/errors.h"

using namespace charrnn;

namespace {

ByteView view(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string random_text(std::mt19937& rng, size_t n, int alphabet) {
  std::uniform_int_distribution<int> pick(0, alphabet - 1);
  std::string s(n, ' ');
  for (char& c : s) c = static_cast<char>('a' + pick(rng));
  return s;
}

}  // namespace

TEST(CorpusScan, HandMadeCase) {
  const std::string corpus = "the cat sat on the mat";
  const std::vector<std::string> samples{"a cat on the mat!", "zzz", "", "the mat"};
  CorpusScan scan({samples[0], samples[1], samples[2], samples[3]});
  scan.scan(view(corpus));
  const CorpusMatch m = scan.longest_copy(0);
  EXPECT_EQ(m.length, 13u);  // "at on the mat", in "a cat on..." and in "...sat on the mat"
  EXPECT_EQ(samples[0].substr(m.sample_pos, m.length), corpus.substr(m.corpus_pos, m.length));
  EXPECT_EQ(scan.longest_copy(1).length, 0u);
  EXPECT_EQ(scan.longest_copy(2).length, 0u);
  EXPECT_EQ(scan.longest_copy(3).length, 7u);
  EXPECT_EQ(scan.window_share(3, 7), 1.0);
  EXPECT_EQ(scan.window_share(3, 8), std::nullopt);
  EXPECT_THROW(scan.window_share(0, 0), InputError);
}

TEST(CorpusScan, MatchesCorpusIndexOnRandomTexts) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    const int alphabet = 2 + trial % 4;
    const std::string corpus = random_text(rng, 1 + rng() % 300, alphabet);
    std::vector<std::string> samples;
    const size_t count = 1 + rng() % 5;
    for (size_t k = 0; k < count; ++k) {
      // Some samples share prefixes (as compare's greedy samples do) or are empty.
      samples.push_back(k > 0 && rng() % 3 == 0
                            ? samples[0].substr(0, rng() % (samples[0].size() + 1)) +
                                  random_text(rng, rng() % 20, alphabet)
                            : random_text(rng, rng() % 60, alphabet + 1));
    }
    std::vector<std::string_view> views(samples.begin(), samples.end());
    CorpusScan scan(views);
    scan.scan(view(corpus));
    const CorpusIndex index(corpus);
    for (size_t k = 0; k < samples.size(); ++k) {
      const CorpusMatch a = scan.longest_copy(k), b = index.longest_copy(samples[k]);
      ASSERT_EQ(a.length, b.length) << "trial " << trial << " sample " << samples[k];
      ASSERT_EQ(a.sample_pos, b.sample_pos) << "trial " << trial;
      ASSERT_EQ(samples[k].substr(a.sample_pos, a.length), corpus.substr(a.corpus_pos, a.length));
      for (size_t w : {1, 3, 5}) {
        ASSERT_EQ(scan.window_share(k, w), index.window_share(samples[k], w)) << "trial " << trial;
      }
    }
  }
}
