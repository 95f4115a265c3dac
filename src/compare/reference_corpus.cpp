// Loads the reference corpus for compare: bytes and word set.
#include "charrnn/compare/reference_corpus.h"

#include "charrnn/data/corpus.h"
#include "charrnn/util/clock.h"

namespace charrnn {

ReferenceCorpus load_reference_corpus(const std::string& data, const std::string& word_cache) {
  ReferenceCorpus r;
  auto t0 = Clock::now();
  r.corpus = read_corpus(data);
  r.read_seconds = seconds_since(t0);
  t0 = Clock::now();
  r.words = load_or_build_word_set(r.corpus.view(), word_cache);
  r.words_seconds = seconds_since(t0);
  return r;
}

}  // namespace charrnn
