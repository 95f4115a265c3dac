// CorpusIndex (copy detection) and the corpus word set with its cache: hand-worked cases,
// brute-force cross-checks, cache round trip and stale-cache rebuild.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "charrnn/compare/corpus_index.h"
#include "charrnn/compare/text_metrics.h"
#include "charrnn/errors.h"

namespace charrnn {
namespace {

ByteView bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// A fresh path in the test temp folder, removed with its object.
struct TempFile {
  std::string path;
  explicit TempFile(const std::string& name)
      : path(::testing::TempDir() + "charrnn_" + std::to_string(::getpid()) + "_" + name) {
    std::remove(path.c_str());
  }
  ~TempFile() { std::remove(path.c_str()); }
};

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_all(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// ---- CorpusIndex ----------------------------------------------------------------------------

TEST(CorpusIndex, CountsOverlappingOccurrences) {
  const CorpusIndex index(std::string_view("banana"));
  EXPECT_EQ(index.size(), 6u);
  EXPECT_EQ(index.count("ana"), 2u);  // b[ana]na and ban[ana]
  EXPECT_EQ(index.count("a"), 3u);
  EXPECT_EQ(index.count("banana"), 1u);
  EXPECT_EQ(index.count("nab"), 0u);
  EXPECT_EQ(index.count("bananas"), 0u);  // longer than the corpus
  EXPECT_EQ(index.count(""), 6u);
  EXPECT_TRUE(index.contains("nan"));
  EXPECT_FALSE(index.contains("x"));
}

TEST(CorpusIndex, LongestCopyFromKnownCorpus) {
  // corpus: t h e _ q u i c k _ b r o w n _ f o x     (" quick brown " = bytes 3..15)
  // sample: a _ q u i c k _ b r o w n _ d o g         (" quick brown " = bytes 1..13)
  // Neither side extends: 'a' vs 'e' before, 'd' vs 'f' after.
  const CorpusIndex index(std::string_view("the quick brown fox"));
  const CorpusMatch m = index.longest_copy("a quick brown dog");
  EXPECT_EQ(m.length, 13u);
  EXPECT_EQ(m.sample_pos, 1u);
  EXPECT_EQ(m.corpus_pos, 3u);
}

TEST(CorpusIndex, LongestCopyOfWholeSample) {
  const CorpusIndex index(std::string_view("hello world"));
  const CorpusMatch m = index.longest_copy("world");
  EXPECT_EQ(m.length, 5u);
  EXPECT_EQ(m.sample_pos, 0u);
  EXPECT_EQ(m.corpus_pos, 6u);
}

TEST(CorpusIndex, LongestCopyTiesGoToLeftmostSampleThenCorpusPosition) {
  // corpus: x y z - a b c - a b c      ("abc" at 4 and 8; suffix order puts 8 first)
  // sample: a b c Q x y z              ("abc" at 0 and "xyz" at 4 both copy 3 bytes; Q is new)
  const CorpusIndex index(std::string_view("xyz-abc-abc"));
  const CorpusMatch m = index.longest_copy("abcQxyz");
  EXPECT_EQ(m.length, 3u);
  EXPECT_EQ(m.sample_pos, 0u);
  EXPECT_EQ(m.corpus_pos, 4u);
}

TEST(CorpusIndex, LongestCopyWithNothingSharedIsZero) {
  const CorpusIndex index(std::string_view("aaa"));
  for (const char* sample : {"bbb", ""}) {
    const CorpusMatch m = index.longest_copy(sample);
    EXPECT_EQ(m.length, 0u) << sample;
    EXPECT_EQ(m.sample_pos, 0u) << sample;
    EXPECT_EQ(m.corpus_pos, 0u) << sample;
  }
  const CorpusIndex empty(std::string_view(""));
  EXPECT_EQ(empty.longest_copy("abc").length, 0u);
  EXPECT_EQ(empty.count("a"), 0u);
}

TEST(CorpusIndex, WindowShareCountsCopiedWindows) {
  // corpus "abcdef", sample "abcxdef", 3-byte windows:
  //   abc yes, bcx no, cxd no, xde no, def yes -> 2 / 5
  const CorpusIndex index(std::string_view("abcdef"));
  EXPECT_DOUBLE_EQ(index.window_share("abcxdef", 3).value(), 0.4);
  EXPECT_DOUBLE_EQ(index.window_share("abcxdef", 7).value(), 0.0);  // one window, not copied
  EXPECT_DOUBLE_EQ(index.window_share("abcdef", 6).value(), 1.0);
}

TEST(CorpusIndex, WindowShareWithoutWindowsIsNullopt) {
  const CorpusIndex index(std::string_view("abcdef"));
  EXPECT_FALSE(index.window_share("abcxdef", 8).has_value());
  EXPECT_FALSE(index.window_share("", 1).has_value());
  // Default window: 20 bytes. A 19-byte sample has none; a copied 20-byte one has one, found.
  const std::string text = "0123456789abcdefghijklmnop";
  const CorpusIndex digits(text);
  EXPECT_FALSE(digits.window_share(text.substr(0, 19)).has_value());
  EXPECT_DOUBLE_EQ(digits.window_share(text.substr(3, 20)).value(), 1.0);
}

TEST(CorpusIndex, WindowShareRejectsZeroWindow) {
  const CorpusIndex index(std::string_view("abc"));
  EXPECT_THROW(index.window_share("abc", 0), InputError);
}

// O(m^2 n): the longest L such that sample[i, i+L) is in the corpus; smallest i, then the
// smallest corpus position.
CorpusMatch brute_longest_copy(const std::string& corpus, const std::string& sample) {
  for (size_t len = sample.size(); len >= 1; --len) {
    for (size_t i = 0; i + len <= sample.size(); ++i) {
      const size_t at = corpus.find(sample.substr(i, len));
      if (at != std::string::npos) return {len, i, at};
    }
  }
  return {};
}

size_t brute_count(const std::string& corpus, const std::string& pattern) {
  size_t n = 0;
  for (size_t at = corpus.find(pattern); at != std::string::npos;
       at = corpus.find(pattern, at + 1)) {
    ++n;
  }
  return n;
}

TEST(CorpusIndex, MatchesBruteForceOnRandomStrings) {
  std::mt19937 rng(2024);
  auto random_text = [&](size_t max_len, int alphabet) {
    std::string t(std::uniform_int_distribution<size_t>(0, max_len)(rng), 'a');
    for (char& c : t) c = static_cast<char>('a' + rng() % alphabet);
    return t;
  };
  for (int trial = 0; trial < 2000; ++trial) {
    const std::string corpus = random_text(60, 3);              // a b c
    const std::string sample = random_text(25, 2 + trial % 3);  // may hold a d the corpus lacks
    const CorpusIndex index(corpus);

    const CorpusMatch want = brute_longest_copy(corpus, sample);
    const CorpusMatch got = index.longest_copy(sample);
    ASSERT_EQ(got.length, want.length) << corpus << " / " << sample;
    ASSERT_EQ(got.sample_pos, want.sample_pos) << corpus << " / " << sample;
    ASSERT_EQ(got.corpus_pos, want.corpus_pos) << corpus << " / " << sample;

    const size_t window = 1 + trial % 5;
    if (sample.size() >= window) {
      size_t found = 0;
      for (size_t i = 0; i + window <= sample.size(); ++i) {
        found += brute_count(corpus, sample.substr(i, window)) > 0 ? 1 : 0;
      }
      const double want_share =
          static_cast<double>(found) / static_cast<double>(sample.size() - window + 1);
      ASSERT_DOUBLE_EQ(index.window_share(sample, window).value(), want_share);
    }
    const std::string pattern = sample.substr(0, std::min<size_t>(sample.size(), 3));
    if (!pattern.empty()) {
      ASSERT_EQ(index.count(pattern), brute_count(corpus, pattern));
    }
  }
}

// ---- Word set -------------------------------------------------------------------------------

TEST(CorpusWords, WordSetHoldsDistinctLowerCasedWords) {
  const std::string corpus = "The cat sat on the mat.";
  EXPECT_EQ(build_word_set(bytes_of(corpus)), (WordSet{"the", "cat", "sat", "on", "mat"}));
}

TEST(CorpusWords, InCorpusWordShareCountsRepeats) {
  // corpus words: the cat sat on mat. Sample words: the cat sat on a hat the
  // -> the, cat, sat, on, the found; a, hat not: 5 / 7. "CAT" counts (case-insensitive).
  const WordSet corpus_words = build_word_set(bytes_of("The cat sat on the mat."));
  EXPECT_DOUBLE_EQ(
      in_corpus_word_share(split_words("the CAT sat on a hat, the"), corpus_words).value(),
      5.0 / 7.0);
  EXPECT_FALSE(in_corpus_word_share({}, corpus_words).has_value());
  EXPECT_DOUBLE_EQ(in_corpus_word_share({"dog"}, corpus_words).value(), 0.0);
}

TEST(CorpusWords, CorpusKeyChangesWithAnyByte) {
  const std::string base = "the quick brown fox jumps";  // 25 bytes: 3 words + a 1-byte tail
  const CorpusKey key = corpus_key(bytes_of(base));
  EXPECT_EQ(key.bytes, base.size());
  EXPECT_EQ(corpus_key(bytes_of(std::string(base))), key);
  for (size_t i : {size_t{0}, size_t{12}, base.size() - 1}) {  // first, middle, tail byte
    std::string edited = base;
    edited[i] = 'X';
    EXPECT_NE(corpus_key(bytes_of(edited)).hash, key.hash) << i;
  }
  // Appending a zero byte changes the hash too, not only the size.
  EXPECT_NE(corpus_key(bytes_of(std::string("abc\0", 4))).hash, corpus_key(bytes_of("abc")).hash);
}

TEST(CorpusWords, CacheRoundTrip) {
  TempFile cache("roundtrip.words");
  const WordSet words{"alpha", "beta", "gamma"};
  const CorpusKey key{1234, 0xdeadbeefcafef00dULL};
  save_word_set(cache.path, words, key);
  EXPECT_EQ(load_word_set(cache.path, key), words);
  // The file is the documented format, words sorted.
  EXPECT_EQ(read_all(cache.path),
            "charrnn-wordset 1\nbytes 1234\nhash deadbeefcafef00d\nwords 3\n"
            "alpha\nbeta\ngamma\nend\n");
}

TEST(CorpusWords, CacheForAnotherCorpusIsStale) {
  TempFile cache("stale.words");
  const CorpusKey key{1234, 42};
  save_word_set(cache.path, WordSet{"alpha"}, key);
  EXPECT_FALSE(load_word_set(cache.path, CorpusKey{1235, 42}).has_value());  // other size
  EXPECT_FALSE(load_word_set(cache.path, CorpusKey{1234, 43}).has_value());  // other bytes
  EXPECT_FALSE(load_word_set(cache.path + ".missing", key).has_value());
}

TEST(CorpusWords, DamagedOrOtherVersionCacheIsRejected) {
  TempFile cache("damaged.words");
  const CorpusKey key{1234, 42};
  const std::string good =
      "charrnn-wordset 1\nbytes 1234\nhash 000000000000002a\nwords 2\n"
      "alpha\nbeta\nend\n";
  write_all(cache.path, good);
  ASSERT_EQ(load_word_set(cache.path, key), (WordSet{"alpha", "beta"}));  // the baseline loads
  write_all(cache.path, good.substr(0, good.size() - 4));                 // "end" cut off
  EXPECT_FALSE(load_word_set(cache.path, key).has_value());
  write_all(cache.path, good.substr(0, good.size() - 2));  // cut inside "end"
  EXPECT_FALSE(load_word_set(cache.path, key).has_value());
  write_all(cache.path,
            "charrnn-wordset 1\nbytes 1234\nhash 000000000000002a\nwords 2\n"
            "alpha\nbeta\ngamma\nend\n");  // more words than the header says
  EXPECT_FALSE(load_word_set(cache.path, key).has_value());
  write_all(cache.path, good.substr(0, good.size() - 7));  // cut inside "beta"
  EXPECT_FALSE(load_word_set(cache.path, key).has_value());
  std::string v2 = good;
  v2[16] = '2';  // "charrnn-wordset 2"
  write_all(cache.path, v2);
  EXPECT_FALSE(load_word_set(cache.path, key).has_value());
  write_all(cache.path, "garbage");
  EXPECT_FALSE(load_word_set(cache.path, key).has_value());
}

TEST(CorpusWords, LoadOrBuildWritesThenReadsTheCache) {
  TempFile cache("cycle.words");
  const std::string corpus = "The cat sat on the mat.";
  const WordSetLoad first = load_or_build_word_set(bytes_of(corpus), cache.path);
  EXPECT_FALSE(first.from_cache);
  EXPECT_TRUE(first.cache_written);
  EXPECT_EQ(first.words, (WordSet{"the", "cat", "sat", "on", "mat"}));
  const WordSetLoad second = load_or_build_word_set(bytes_of(corpus), cache.path);
  EXPECT_TRUE(second.from_cache);
  EXPECT_EQ(second.words, first.words);
}

TEST(CorpusWords, LoadOrBuildTrustsAMatchingCache) {
  // A cache keyed to this corpus but holding other words: returning them proves the cache was
  // read rather than the corpus re-scanned.
  TempFile cache("trusted.words");
  const std::string corpus = "the cat";
  save_word_set(cache.path, WordSet{"zebra"}, corpus_key(bytes_of(corpus)));
  const WordSetLoad got = load_or_build_word_set(bytes_of(corpus), cache.path);
  EXPECT_TRUE(got.from_cache);
  EXPECT_EQ(got.words, WordSet{"zebra"});
}

TEST(CorpusWords, LoadOrBuildRebuildsAStaleCache) {
  // Same size (7 bytes), other bytes: the key's hash must catch it.
  TempFile cache("rebuild.words");
  const std::string old_corpus = "the cat";
  const std::string new_corpus = "the dog";
  ASSERT_TRUE(load_or_build_word_set(bytes_of(old_corpus), cache.path).cache_written);
  const WordSetLoad got = load_or_build_word_set(bytes_of(new_corpus), cache.path);
  EXPECT_FALSE(got.from_cache);
  EXPECT_TRUE(got.cache_written);
  EXPECT_EQ(got.words, (WordSet{"the", "dog"}));
  // ...and the file now serves the new corpus.
  EXPECT_EQ(load_word_set(cache.path, corpus_key(bytes_of(new_corpus))), got.words);
}

TEST(CorpusWords, LoadOrBuildRebuildsADamagedCache) {
  TempFile cache("redamaged.words");
  write_all(cache.path, "charrnn-wordset 1\nbytes 7\n");
  const WordSetLoad got = load_or_build_word_set(bytes_of(std::string("the cat")), cache.path);
  EXPECT_FALSE(got.from_cache);
  EXPECT_TRUE(got.cache_written);
  EXPECT_EQ(got.words, (WordSet{"the", "cat"}));
}

TEST(CorpusWords, UnwritableCacheStillGivesTheWords) {
  const std::string path = ::testing::TempDir() + "charrnn_no_such_dir/x/words";
  const WordSetLoad got = load_or_build_word_set(bytes_of(std::string("the cat")), path);
  EXPECT_FALSE(got.from_cache);
  EXPECT_FALSE(got.cache_written);
  EXPECT_EQ(got.words, (WordSet{"the", "cat"}));
  EXPECT_THROW(save_word_set(path, got.words, CorpusKey{}), InputError);
  // No cache path: built, nothing written.
  const WordSetLoad plain = load_or_build_word_set(bytes_of(std::string("the cat")), "");
  EXPECT_FALSE(plain.cache_written);
  EXPECT_EQ(plain.words, (WordSet{"the", "cat"}));
}

}  // namespace
}  // namespace charrnn
