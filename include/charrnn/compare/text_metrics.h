// Text metrics of one generated sample: word diversity, self-repetition, entropy, and (with a
// CorpusIndex) how much of it is spelled like, or copied from, the training corpus.
//
// Ratios that have no denominator (a sample without word n-grams, without words, or shorter than
// one window) are std::nullopt rather than 0 or NaN: 0 would read as "maximally repetitive" and
// NaN poisons averages silently. Report them as JSON null.
#pragma once
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "charrnn/compare/corpus_index.h"

namespace charrnn {

// Calls `fn` on every word of `text`, in order. A word is a maximal run of ASCII letters (A-Z,
// a-z), lower-cased; every other byte (digits, apostrophes, UTF-8 bytes) separates words. The
// view is only valid during the call.
void for_each_word(std::string_view text, const std::function<void(std::string_view)>& fn);

// The words of `text` as for_each_word defines them: "Don't STOP" -> {"don", "t", "stop"}.
std::vector<std::string> split_words(std::string_view text);

// distinct-n: (number of distinct word n-grams) / (number of word n-grams), in (0, 1].
// nullopt when words.size() < n (no n-grams). Throws InputError when n < 1.
std::optional<double> distinct_n(const std::vector<std::string>& words, int n);

// The longest substring occurring at least twice in a text (occurrences may overlap).
struct RepeatedSubstring {
  size_t length = 0;  // bytes; 0 when no byte repeats (and for texts shorter than 2 bytes)
  size_t first = 0;   // start of its leftmost occurrence (0 when length == 0)
  size_t second = 0;  // start of its next occurrence after `first` (0 when length == 0)
  std::string text;   // the substring itself ("" when length == 0)
};

// Suffix array + LCP, O(n log n). Among several longest repeats, the one with the leftmost
// occurrence wins: "abcabcab" -> {5, 0, 3, "abcab"}.
RepeatedSubstring longest_repeated_substring(std::string_view text);

// Shannon entropy in nats of p[0..n): H = -sum p log p, with 0 log 0 = 0. Entries <= 0 count as 0;
// p is not renormalised (pass a distribution). n <= 0 -> 0.
double entropy_nats(const double* p, int n);
double entropy_nats(const float* p, int n);

// Every metric of one sample, for `charrnn compare`.
struct SampleMetrics {
  size_t bytes = 0;                       // sample length
  size_t words = 0;                       // number of words (for_each_word)
  std::optional<double> distinct_2;       // distinct_n(words, 2)
  std::optional<double> distinct_3;       // distinct_n(words, 3)
  std::optional<double> distinct_4;       // distinct_n(words, 4)
  RepeatedSubstring longest_repeat;       // within the sample
  std::optional<double> in_corpus_words;  // in_corpus_word_share
  CorpusMatch longest_copy;               // CorpusIndex::longest_copy
  std::optional<double> window_share;     // CorpusIndex::window_share
};

// The metrics that need no corpus (bytes, words, distinct-n, longest repeat); the rest stay empty.
SampleMetrics measure_without_corpus(std::string_view sample);

// All of the above for `sample` against one corpus (its index and its word set).
SampleMetrics measure_sample(std::string_view sample, const CorpusIndex& index,
                             const WordSet& corpus_words, size_t window = kDefaultWindow);

}  // namespace charrnn
