// CorpusIndex (suffix array over the corpus) and the corpus word set with its on-disk cache.
#include "charrnn/compare/corpus_index.h"

#include <divsufsort.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <stdexcept>

#include "charrnn/compare/text_metrics.h"
#include "charrnn/errors.h"

namespace charrnn {

namespace {

constexpr const char* kWordSetMagic = "charrnn-wordset";
constexpr int kWordSetVersion = 1;

std::string_view as_chars(ByteView bytes) {
  return {reinterpret_cast<const char*>(bytes.data), bytes.size};
}

uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

// splitmix64's finaliser: every input bit flips each output bit with probability ~1/2.
uint64_t avalanche(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

// ---- CorpusIndex ----------------------------------------------------------------------------

CorpusIndex::CorpusIndex(ByteView corpus) : CorpusIndex(as_chars(corpus)) {}

CorpusIndex::CorpusIndex(std::string_view corpus) {
  if (corpus.size() > kMaxBytes) {
    throw InputError("corpus of " + std::to_string(corpus.size()) +
                     " bytes is too large to index (max " + std::to_string(kMaxBytes) +
                     "); compare against a smaller corpus");
  }
  text_.assign(corpus.data(), corpus.size());
  sa_.resize(text_.size());
  if (text_.empty()) return;
  const auto* t = reinterpret_cast<const sauchar_t*>(text_.data());
  if (divsufsort(t, sa_.data(), static_cast<saidx_t>(text_.size())) != 0) {
    throw std::runtime_error("divsufsort failed on a corpus of " + std::to_string(text_.size()) +
                             " bytes (out of memory?)");
  }
}

CorpusIndex::Range CorpusIndex::find(std::string_view pattern) const {
  if (pattern.empty()) return {0, text_.size()};
  if (text_.empty() || pattern.size() > text_.size()) return {0, 0};
  // sa_search: binary search with the longest-common-prefix trick, O(|P| + log n) per query.
  saidx_t left = -1;
  const saidx_t n = static_cast<saidx_t>(text_.size());
  const saidx_t count = sa_search(reinterpret_cast<const sauchar_t*>(text_.data()), n,
                                  reinterpret_cast<const sauchar_t*>(pattern.data()),
                                  static_cast<saidx_t>(pattern.size()), sa_.data(), n, &left);
  if (count <= 0) return {0, 0};
  return {static_cast<size_t>(left), static_cast<size_t>(count)};
}

size_t CorpusIndex::count(std::string_view pattern) const { return find(pattern).count; }

CorpusMatch CorpusIndex::longest_copy(std::string_view sample) const {
  // Only the maximum of the matching statistics is needed, so each position is asked one
  // question, "does the sample copy best+1 bytes from here?", and extended while the answer is
  // yes: len(sample) + best searches in all, never a per-position walk down the suffix array
  // (which a corpus repeating itself, like a concatenated one, would make slow).
  CorpusMatch best;
  const size_t m = sample.size();
  for (size_t i = 0; i + best.length < m; ++i) {
    while (i + best.length < m && contains(sample.substr(i, best.length + 1))) {
      ++best.length;
      best.sample_pos = i;
    }
  }
  if (best.length == 0) return best;
  const Range r = find(sample.substr(best.sample_pos, best.length));
  const auto first = sa_.begin() + static_cast<std::ptrdiff_t>(r.first);
  best.corpus_pos = static_cast<size_t>(*std::min_element(first, first + r.count));
  return best;
}

std::optional<double> CorpusIndex::window_share(std::string_view sample, size_t window) const {
  if (window == 0) throw InputError("window length must be at least 1 byte, got 0");
  if (sample.size() < window) return std::nullopt;
  const size_t windows = sample.size() - window + 1;
  size_t found = 0;
  for (size_t i = 0; i < windows; ++i) found += contains(sample.substr(i, window)) ? 1 : 0;
  return static_cast<double>(found) / static_cast<double>(windows);
}

// ---- Word set -------------------------------------------------------------------------------

WordSet build_word_set(ByteView corpus) {
  WordSet words;
  for_each_word(as_chars(corpus), [&](std::string_view w) {
    std::string key(w);  // short words stay in the small-string buffer: no allocation
    if (words.find(key) == words.end()) words.insert(std::move(key));
  });
  return words;
}

std::optional<double> in_corpus_word_share(const std::vector<std::string>& words,
                                           const WordSet& corpus_words) {
  if (words.empty()) return std::nullopt;
  size_t found = 0;
  for (const std::string& w : words) found += corpus_words.count(w);
  return static_cast<double>(found) / static_cast<double>(words.size());
}

CorpusKey corpus_key(ByteView corpus) {
  // Eight bytes per step, each word mixed murmur-style; the length goes into the seed so that
  // trailing zero bytes change the hash.
  uint64_t h = avalanche(corpus.size ^ 0x9e3779b97f4a7c15ULL);
  size_t i = 0;
  for (; i + 8 <= corpus.size; i += 8) {
    uint64_t w;
    std::memcpy(&w, corpus.data + i, 8);
    h = rotl(h ^ (w * 0x87c37b91114253d5ULL), 31) * 0x4cf5ad432745937fULL;
  }
  uint64_t tail = 0;
  if (corpus.size > i) std::memcpy(&tail, corpus.data + i, corpus.size - i);
  h = rotl(h ^ (tail * 0x87c37b91114253d5ULL), 31) * 0x4cf5ad432745937fULL;
  return {static_cast<uint64_t>(corpus.size), avalanche(h)};
}

void save_word_set(const std::string& path, const WordSet& words, const CorpusKey& key) {
  // Sorted, so the same corpus always gives the same file.
  std::vector<const std::string*> sorted;
  sorted.reserve(words.size());
  for (const std::string& w : words) sorted.push_back(&w);
  std::sort(sorted.begin(), sorted.end(),
            [](const std::string* a, const std::string* b) { return *a < *b; });

  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      throw InputError("cannot write word-set cache " + tmp + "; check the folder exists and " +
                       "is writable");
    }
    char hash_hex[17];
    std::snprintf(hash_hex, sizeof hash_hex, "%016llx", static_cast<unsigned long long>(key.hash));
    out << kWordSetMagic << ' ' << kWordSetVersion << '\n'
        << "bytes " << key.bytes << '\n'
        << "hash " << hash_hex << '\n'
        << "words " << words.size() << '\n';
    for (const std::string* w : sorted) out << *w << '\n';
    out << "end\n";  // a truncated file lacks it
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      throw InputError("cannot write word-set cache " + tmp + " (disk full?)");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw InputError("cannot replace word-set cache " + path + "; check the folder is writable");
  }
}

std::optional<WordSet> load_word_set(const std::string& path, const CorpusKey& key) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string magic, field_bytes, field_hash, field_words, hash_hex;
  int version = 0;
  uint64_t bytes = 0;
  size_t count = 0;
  if (!(in >> magic >> version >> field_bytes >> bytes >> field_hash >> hash_hex >> field_words >>
        count)) {
    return std::nullopt;
  }
  if (magic != kWordSetMagic || version != kWordSetVersion || field_bytes != "bytes" ||
      field_hash != "hash" || field_words != "words") {
    return std::nullopt;
  }
  char expected_hex[17];
  std::snprintf(expected_hex, sizeof expected_hex, "%016llx",
                static_cast<unsigned long long>(key.hash));
  if (bytes != key.bytes || hash_hex != expected_hex) return std::nullopt;  // stale
  in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');

  WordSet words;
  // A count larger than the file is damage, not a reason to reserve gigabytes.
  words.reserve(std::min<size_t>(count, 1u << 20));
  std::string line;
  for (size_t k = 0; k < count; ++k) {
    if (!std::getline(in, line) || line.empty()) return std::nullopt;
    words.insert(line);
  }
  if (!std::getline(in, line) || line != "end" || words.size() != count) return std::nullopt;
  return words;
}

WordSetLoad load_or_build_word_set(ByteView corpus, const std::string& cache_path) {
  WordSetLoad result;
  if (cache_path.empty()) {
    result.words = build_word_set(corpus);
    return result;
  }
  const CorpusKey key = corpus_key(corpus);
  if (std::optional<WordSet> cached = load_word_set(cache_path, key)) {
    result.words = std::move(*cached);
    result.from_cache = true;
    return result;
  }
  result.words = build_word_set(corpus);
  try {
    save_word_set(cache_path, result.words, key);
    result.cache_written = true;
  } catch (const InputError&) {
    // A read-only model folder still gets its metrics, only slower next time.
  }
  return result;
}

}  // namespace charrnn
