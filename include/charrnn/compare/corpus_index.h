// CorpusIndex: the training corpus made searchable, so a generated sample can be checked for
// verbatim copying (suffix array) and for spelling (the corpus's word set, cached on disk).
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "charrnn/data/corpus.h"

namespace charrnn {

// Windows of this many bytes are "copied" when they occur anywhere in the corpus: long enough
// that a hit is rarely chance on English text, short enough that a 400-byte sample has many.
inline constexpr size_t kDefaultWindow = 20;

// The longest substring of a sample that occurs verbatim in the corpus.
struct CorpusMatch {
  size_t length = 0;      // bytes; 0 when the sample is empty or shares no byte with the corpus
  size_t sample_pos = 0;  // its leftmost start in the sample (0 when length == 0)
  size_t corpus_pos = 0;  // its leftmost start in the corpus (0 when length == 0)
};

// The corpus bytes plus their suffix array (libdivsufsort). Memory: 5 bytes per corpus byte.
// Build: O(n log n), seconds for 100 MB. Queries: O(log n) per probe, milliseconds per sample.
// The suffix array is not cached on disk: 4 bytes per corpus byte next to every model costs more
// than the seconds a rebuild takes.
class CorpusIndex {
 public:
  // Largest corpus accepted: 32-bit suffix-array entries.
  static constexpr size_t kMaxBytes = 0x7fffffffu - 1;

  // Copies the bytes and builds the suffix array. Throws InputError above kMaxBytes.
  explicit CorpusIndex(ByteView corpus);
  explicit CorpusIndex(std::string_view corpus);

  size_t size() const { return text_.size(); }
  std::string_view text() const { return text_; }

  // Number of occurrences of `pattern` in the corpus, overlaps counted ("aa" in "aaa": 2).
  // The empty pattern counts once per suffix: size().
  size_t count(std::string_view pattern) const;
  bool contains(std::string_view pattern) const { return count(pattern) > 0; }

  // The longest substring of `sample` found verbatim in the corpus; ties go to the leftmost
  // sample position, then the leftmost corpus position.
  CorpusMatch longest_copy(std::string_view sample) const;

  // Share of the sample's `window`-byte windows (every start 0..size-window) that occur in the
  // corpus. nullopt when the sample is shorter than one window. Throws InputError if window == 0.
  std::optional<double> window_share(std::string_view sample, size_t window = kDefaultWindow) const;

 private:
  // Suffix-array range [first, first + count) of the suffixes starting with `pattern`.
  struct Range {
    size_t first = 0;
    size_t count = 0;
  };
  Range find(std::string_view pattern) const;

  std::string text_;
  std::vector<int32_t> sa_;  // sa_[r] = start of the r-th smallest suffix
};

// The distinct words (text_metrics.h's for_each_word: lower-cased ASCII letter runs) of a corpus.
using WordSet = std::unordered_set<std::string>;

WordSet build_word_set(ByteView corpus);

// Share of `words` (with repeats) found in `corpus_words`: the spelling-error proxy.
// nullopt when `words` is empty.
std::optional<double> in_corpus_word_share(const std::vector<std::string>& words,
                                           const WordSet& corpus_words);

// What a word-set cache file is valid for: a corpus of this many bytes with this hash.
struct CorpusKey {
  uint64_t bytes = 0;
  uint64_t hash = 0;
  bool operator==(const CorpusKey& o) const { return bytes == o.bytes && hash == o.hash; }
};

// Size + a fast 64-bit hash of the bytes (not cryptographic: detects an edited or swapped
// corpus, not an adversary). Reads 8 bytes per step: well under a second for 100 MB.
CorpusKey corpus_key(ByteView corpus);

// Word-set cache file, text, one word per line after a versioned header:
//   charrnn-wordset 1\nbytes <n>\nhash <16 hex>\nwords <count>\n<word>\n...
// Written to a temporary file then renamed, so readers never see half a cache.
// Throws InputError when `path` cannot be written.
void save_word_set(const std::string& path, const WordSet& words, const CorpusKey& key);

// The cached set if `path` holds a complete version-1 cache for `key`; nullopt if the file is
// missing, stale (another key), of another version, or damaged. Never throws on bad content.
std::optional<WordSet> load_word_set(const std::string& path, const CorpusKey& key);

struct WordSetLoad {
  WordSet words;
  bool from_cache = false;     // read from the cache; false: built from the bytes
  bool cache_written = false;  // built and the cache (re)written; false if it could not be
};

// The corpus's word set from `cache_path` when that cache matches the corpus, otherwise built
// from the bytes and saved to `cache_path` (a stale or damaged cache is replaced). An unwritable
// cache is not an error: cache_written says so and the caller may warn. Empty path: no cache.
WordSetLoad load_or_build_word_set(ByteView corpus, const std::string& cache_path);

}  // namespace charrnn
