// Text metrics of one sample; see text_metrics.h for the definitions and edge cases.
#include "charrnn/compare/text_metrics.h"

#include <divsufsort.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <unordered_set>

#include "charrnn/errors.h"

namespace charrnn {

namespace {

bool is_ascii_letter(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

char to_lower_ascii(unsigned char c) {
  return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

template <typename Real>
double entropy_of(const Real* p, int n) {
  double h = 0.0;
  for (int i = 0; i < n; ++i) {
    const double pi = static_cast<double>(p[i]);
    if (pi > 0.0) h -= pi * std::log(pi);  // p <= 0 contributes 0 (0 log 0 = 0)
  }
  return h;
}

}  // namespace

void for_each_word(std::string_view text, const std::function<void(std::string_view)>& fn) {
  std::string word;  // reused: no allocation per word once it has grown
  for (size_t i = 0; i < text.size();) {
    if (!is_ascii_letter(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    word.clear();
    for (; i < text.size() && is_ascii_letter(static_cast<unsigned char>(text[i])); ++i) {
      word.push_back(to_lower_ascii(static_cast<unsigned char>(text[i])));
    }
    fn(word);
  }
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  for_each_word(text, [&](std::string_view w) { words.emplace_back(w); });
  return words;
}

std::optional<double> distinct_n(const std::vector<std::string>& words, int n) {
  if (n < 1) throw InputError("distinct-n needs n >= 1, got " + std::to_string(n));
  if (words.size() < static_cast<size_t>(n)) return std::nullopt;
  const size_t total = words.size() - static_cast<size_t>(n) + 1;
  // Words hold letters only, so a space joins an n-gram into one unambiguous key.
  std::unordered_set<std::string> seen;
  seen.reserve(total);
  std::string key;
  for (size_t i = 0; i < total; ++i) {
    key.clear();
    for (int k = 0; k < n; ++k) {
      if (k > 0) key.push_back(' ');
      key += words[i + static_cast<size_t>(k)];
    }
    seen.insert(key);
  }
  return static_cast<double>(seen.size()) / static_cast<double>(total);
}

RepeatedSubstring longest_repeated_substring(std::string_view text) {
  RepeatedSubstring best;
  const size_t n = text.size();
  if (n < 2) return best;
  if (n > 0x7fffffffu) throw InputError("text too long for longest_repeated_substring (> 2 GiB)");

  // sa: suffixes in sorted order; rank: inverse permutation; then Kasai's LCP in O(n).
  std::vector<int32_t> sa(n);
  const auto* bytes = reinterpret_cast<const sauchar_t*>(text.data());
  if (divsufsort(bytes, sa.data(), static_cast<saidx_t>(n)) != 0) {
    throw std::runtime_error("divsufsort failed on a sample of " + std::to_string(n) + " bytes");
  }
  std::vector<int32_t> rank(n);
  for (size_t r = 0; r < n; ++r) rank[static_cast<size_t>(sa[r])] = static_cast<int32_t>(r);

  // lcp[r] = common prefix of suffixes sa[r-1] and sa[r]. A longest repeat is a max lcp, and
  // every occurrence of it sits in an adjacent pair with that lcp, so the smallest start among
  // those pairs is its leftmost occurrence.
  size_t best_len = 0;
  size_t best_pos = 0;
  size_t h = 0;
  for (size_t i = 0; i < n; ++i) {
    const size_t r = static_cast<size_t>(rank[i]);
    if (r == 0) {
      h = 0;
      continue;
    }
    const size_t j = static_cast<size_t>(sa[r - 1]);
    while (i + h < n && j + h < n && text[i + h] == text[j + h]) ++h;
    const size_t left = std::min(i, j);
    if (h > best_len || (h == best_len && h > 0 && left < best_pos)) {
      best_len = h;
      best_pos = left;
    }
    if (h > 0) --h;
  }
  if (best_len == 0) return best;

  best.length = best_len;
  best.first = best_pos;
  best.text = std::string(text.substr(best_pos, best_len));
  best.second = text.find(best.text, best_pos + 1);  // exists: it occurs at least twice
  return best;
}

double entropy_nats(const double* p, int n) { return entropy_of(p, n); }
double entropy_nats(const float* p, int n) { return entropy_of(p, n); }

SampleMetrics measure_without_corpus(std::string_view sample) {
  SampleMetrics m;
  const std::vector<std::string> words = split_words(sample);
  m.bytes = sample.size();
  m.words = words.size();
  m.distinct_2 = distinct_n(words, 2);
  m.distinct_3 = distinct_n(words, 3);
  m.distinct_4 = distinct_n(words, 4);
  m.longest_repeat = longest_repeated_substring(sample);
  return m;
}

SampleMetrics measure_sample(std::string_view sample, const CorpusIndex& index,
                             const WordSet& corpus_words, size_t window) {
  SampleMetrics m = measure_without_corpus(sample);
  m.in_corpus_words = in_corpus_word_share(split_words(sample), corpus_words);
  m.longest_copy = index.longest_copy(sample);
  m.window_share = index.window_share(sample, window);
  return m;
}

}  // namespace charrnn
