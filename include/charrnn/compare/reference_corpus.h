// The training corpus as compare needs it: its bytes and its (cached) word set.
#pragma once
#include <string>

#include "charrnn/compare/compare.h"
#include "charrnn/compare/corpus_index.h"
#include "charrnn/data/corpus.h"

namespace charrnn {

struct ReferenceCorpus {
  Corpus corpus;
  WordSetLoad words;         // words.from_cache / cache_written say how it was obtained
  double read_seconds = 0;   // reading the file(s)
  double words_seconds = 0;  // loading (cache) or building the word set
  CorpusReference ref() const { return {corpus.view(), &words.words}; }
};

// Reads `data` (file or folder, as read_corpus does) and loads or builds its word set
// (load_or_build_word_set with `word_cache`; "" = no cache).
// Throws InputError for an unreadable or too large corpus.
ReferenceCorpus load_reference_corpus(const std::string& data, const std::string& word_cache);

}  // namespace charrnn
