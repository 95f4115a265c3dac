// Text metrics of one sample: hand-worked cases plus a brute-force cross-check.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "charrnn/compare/text_metrics.h"
#include "charrnn/errors.h"

namespace charrnn {
namespace {

using Words = std::vector<std::string>;

TEST(TextMetrics, WordsAreLowerCasedAsciiLetterRuns) {
  // Apostrophe, comma, digit and the two UTF-8 bytes of "é" all separate words.
  EXPECT_EQ(split_words("Don't STOP, 3rd caf\xc3\xa9!"), (Words{"don", "t", "stop", "rd", "caf"}));
  EXPECT_EQ(split_words(""), Words{});
  EXPECT_EQ(split_words("123 ... \n"), Words{});
  EXPECT_EQ(split_words("word"), Words{"word"});  // a word that ends the text
}

TEST(TextMetrics, DistinctNOverWords) {
  // the cat the cat the dog (6 words)
  //  bigrams:  the·cat cat·the the·cat cat·the the·dog         -> 3 distinct / 5 = 0.6
  //  trigrams: the·cat·the cat·the·cat the·cat·the cat·the·dog -> 3 distinct / 4 = 0.75
  //  4-grams:  three, all different                            -> 3 / 3 = 1
  const Words w = split_words("the cat the cat the dog");
  EXPECT_DOUBLE_EQ(distinct_n(w, 2).value(), 0.6);
  EXPECT_DOUBLE_EQ(distinct_n(w, 3).value(), 0.75);
  EXPECT_DOUBLE_EQ(distinct_n(w, 4).value(), 1.0);
  // unigrams: the, cat, dog distinct out of 6
  EXPECT_DOUBLE_EQ(distinct_n(w, 1).value(), 0.5);
}

TEST(TextMetrics, DistinctNIgnoresCase) {
  // the·cat cat·the the·cat: 2 / 3 (case-sensitively all three would differ: 1).
  EXPECT_DOUBLE_EQ(distinct_n(split_words("The CAT the cat"), 2).value(), 2.0 / 3.0);
}

TEST(TextMetrics, DistinctNKeepsWordBoundariesInsideNGrams) {
  // a·bc bc·ab ab·c: 3 distinct. Glued without a separator "abc" would appear twice (2 / 3).
  EXPECT_DOUBLE_EQ(distinct_n(Words{"a", "bc", "ab", "c"}, 2).value(), 1.0);
}

TEST(TextMetrics, DistinctNWithoutNGramsIsNullopt) {
  EXPECT_FALSE(distinct_n(Words{"alone"}, 2).has_value());
  EXPECT_FALSE(distinct_n(Words{}, 1).has_value());
  EXPECT_FALSE(distinct_n(Words{"a", "b", "c"}, 4).has_value());
  // exactly n words: one n-gram, trivially distinct
  EXPECT_DOUBLE_EQ(distinct_n(Words{"a", "a"}, 2).value(), 1.0);
}

TEST(TextMetrics, DistinctNRejectsNBelowOne) {
  EXPECT_THROW(distinct_n(Words{"a"}, 0), InputError);
  EXPECT_THROW(distinct_n(Words{"a"}, -1), InputError);
}

TEST(TextMetrics, LongestRepeatOverlaps) {
  // a b c a b c a b: "abcab" starts at 0 and 3 (sharing bytes 3..4); "abcabc" occurs once.
  const RepeatedSubstring r = longest_repeated_substring("abcabcab");
  EXPECT_EQ(r.length, 5u);
  EXPECT_EQ(r.text, "abcab");
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.second, 3u);
  // "aaaa": "aaa" at 0 and 1
  const RepeatedSubstring a = longest_repeated_substring("aaaa");
  EXPECT_EQ(a.length, 3u);
  EXPECT_EQ(a.text, "aaa");
  EXPECT_EQ(a.second, 1u);
}

TEST(TextMetrics, LongestRepeatTieGoesToLeftmostOccurrence) {
  // c d X a b Y c d Z a b: "cd" (0, 6) and "ab" (3, 9) both repeat, nothing longer does.
  // Suffix order lists "ab" first, and scanning text positions meets the "ab" pair first
  // (at 3, its partner "ab" at 9 sorts just before it); the leftmost occurrence is "cd" at 0.
  const RepeatedSubstring r = longest_repeated_substring("cdXabYcdZab");
  EXPECT_EQ(r.length, 2u);
  EXPECT_EQ(r.text, "cd");
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.second, 6u);
}

TEST(TextMetrics, LongestRepeatOfRepeatFreeTextIsEmpty) {
  for (const char* t : {"", "a", "abcd"}) {
    const RepeatedSubstring r = longest_repeated_substring(t);
    EXPECT_EQ(r.length, 0u) << t;
    EXPECT_EQ(r.text, "") << t;
    EXPECT_EQ(r.first, 0u) << t;
    EXPECT_EQ(r.second, 0u) << t;
  }
}

TEST(TextMetrics, LongestRepeatHandlesAnyByte) {
  // NUL and 0xFF are ordinary bytes: "\0\xff\0" at 0 and 2.
  const std::string t("\0\xff\0\xff\0", 5);
  const RepeatedSubstring r = longest_repeated_substring(t);
  EXPECT_EQ(r.text, std::string("\0\xff\0", 3));
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.second, 2u);
}

// O(n^3): the longest L with a substring at i occurring again at j > i; smallest i, then j.
RepeatedSubstring brute_longest_repeat(const std::string& t) {
  for (size_t len = t.size(); len >= 1; --len) {
    for (size_t i = 0; i + len <= t.size(); ++i) {
      for (size_t j = i + 1; j + len <= t.size(); ++j) {
        if (t.compare(i, len, t, j, len) == 0) return {len, i, j, t.substr(i, len)};
      }
    }
  }
  return {};
}

TEST(TextMetrics, LongestRepeatMatchesBruteForceOnRandomStrings) {
  std::mt19937 rng(12345);
  for (int trial = 0; trial < 3000; ++trial) {
    const int alphabet = 2 + trial % 3;  // {a,b}, {a,b,c}, {a,b,c,d}: many repeats and ties
    const size_t n = std::uniform_int_distribution<size_t>(0, 40)(rng);
    std::string t(n, 'a');
    for (char& c : t) c = static_cast<char>('a' + rng() % alphabet);
    const RepeatedSubstring want = brute_longest_repeat(t);
    const RepeatedSubstring got = longest_repeated_substring(t);
    ASSERT_EQ(got.length, want.length) << t;
    ASSERT_EQ(got.text, want.text) << t;
    ASSERT_EQ(got.first, want.first) << t;
    ASSERT_EQ(got.second, want.second) << t;
  }
}

TEST(TextMetrics, EntropyOfKnownDistributions) {
  const double uniform4[] = {0.25, 0.25, 0.25, 0.25};
  EXPECT_NEAR(entropy_nats(uniform4, 4), std::log(4.0), 1e-12);
  const double one_hot[] = {0.0, 1.0, 0.0};
  EXPECT_EQ(entropy_nats(one_hot, 3), 0.0);
  // 0 log 0 = 0: a zero entry changes nothing (log 0 would make it NaN).
  const double coin_and_zero[] = {0.5, 0.0, 0.5};
  EXPECT_NEAR(entropy_nats(coin_and_zero, 3), std::log(2.0), 1e-12);
  // 1/2, 1/4, 1/4: 1/2 ln 2 + 2 * 1/4 ln 4 = 1.5 ln 2
  const double skewed[] = {0.5, 0.25, 0.25};
  EXPECT_NEAR(entropy_nats(skewed, 3), 1.5 * std::log(2.0), 1e-12);
  EXPECT_EQ(entropy_nats(uniform4, 0), 0.0);
  const float uniform4f[] = {0.25f, 0.25f, 0.25f, 0.25f};
  EXPECT_NEAR(entropy_nats(uniform4f, 4), std::log(4.0), 1e-6);
}

TEST(TextMetrics, MeasureSampleFillsEveryField) {
  // corpus: "the cat sat on the mat. the dog"; its words: the cat sat on mat dog.
  const CorpusIndex index(std::string_view("the cat sat on the mat. the dog"));
  const WordSet corpus_words =
      build_word_set(ByteView{reinterpret_cast<const uint8_t*>(index.text().data()), index.size()});
  // sample (23 bytes): "the cat the cat the dgo"
  //  words: the cat the cat the dgo -> distinct 0.6 / 0.75 / 1 as in DistinctNOverWords;
  //         5 of 6 in the corpus ("dgo" is not).
  //  longest repeat: "the cat the " at 0 and 8; a 13th byte would be 'c' vs 'd'.
  //  longest copy: "the cat " (sample 0, corpus 0); the corpus continues "s", the sample "t".
  //  8-byte windows: starts 0..15 (16); only "the cat " (starts 0 and 8) is in the corpus.
  const std::string sample = "the cat the cat the dgo";
  const SampleMetrics m = measure_sample(sample, index, corpus_words, 8);
  EXPECT_EQ(m.bytes, 23u);
  EXPECT_EQ(m.words, 6u);
  EXPECT_DOUBLE_EQ(m.distinct_2.value(), 0.6);
  EXPECT_DOUBLE_EQ(m.distinct_3.value(), 0.75);
  EXPECT_DOUBLE_EQ(m.distinct_4.value(), 1.0);
  EXPECT_EQ(m.longest_repeat.text, "the cat the ");
  EXPECT_EQ(m.longest_repeat.second, 8u);
  EXPECT_DOUBLE_EQ(m.in_corpus_words.value(), 5.0 / 6.0);
  EXPECT_EQ(m.longest_copy.length, 8u);
  EXPECT_EQ(m.longest_copy.sample_pos, 0u);
  EXPECT_EQ(m.longest_copy.corpus_pos, 0u);
  EXPECT_DOUBLE_EQ(m.window_share.value(), 2.0 / 16.0);
}

TEST(TextMetrics, MeasureSampleOfEmptySampleHasNoRatios) {
  const CorpusIndex index(std::string_view("some corpus"));
  const SampleMetrics m = measure_sample("", index, WordSet{"some", "corpus"});
  EXPECT_EQ(m.bytes, 0u);
  EXPECT_EQ(m.words, 0u);
  EXPECT_FALSE(m.distinct_2.has_value());
  EXPECT_FALSE(m.in_corpus_words.has_value());
  EXPECT_FALSE(m.window_share.has_value());
  EXPECT_EQ(m.longest_repeat.length, 0u);
  EXPECT_EQ(m.longest_copy.length, 0u);
}

}  // namespace
}  // namespace charrnn
