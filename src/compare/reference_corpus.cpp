// Loads the reference corpus for compare: bytes and word set.
#include "charrnn/compare/reference_corpus.h"

#include <chrono>

#include "charrnn/data/corpus.h"

namespace charrnn {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

ReferenceCorpus load_reference_corpus(const std::string& data, const std::string& word_cache) {
  ReferenceCorpus r;
  auto t0 = std::chrono::steady_clock::now();
  r.corpus = read_corpus(data);
  r.read_seconds = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  r.words = load_or_build_word_set(r.corpus.view(), word_cache);
  r.words_seconds = seconds_since(t0);
  return r;
}

}  // namespace charrnn
