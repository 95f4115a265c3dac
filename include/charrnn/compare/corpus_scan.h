// CorpusScan: how much of each generated sample is copied from the corpus, found in ONE pass over
// the corpus through a suffix automaton of the samples — the copy metrics of CorpusIndex
// (longest_copy, window_share) without sorting the corpus's suffixes.
//
// Why: compare measures a few kilobytes of samples against a corpus of up to gigabytes. Sorting
// the corpus (CorpusIndex, ~10 s per 100 MB on a busy machine) costs more than generating and
// measuring together; streaming the corpus through an automaton of the samples costs about a
// second per 100 MB and memory proportional to the samples, not the corpus.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "charrnn/compare/corpus_index.h"
#include "charrnn/data/corpus.h"

namespace charrnn {

class CorpusScan {
 public:
  // Builds the generalised suffix automaton of `samples` (views must outlive the scan).
  explicit CorpusScan(std::vector<std::string_view> samples);

  // Streams the corpus through the automaton; call once, before the queries.
  void scan(ByteView corpus);

  // As CorpusIndex::longest_copy: length and leftmost sample position are identical; corpus_pos
  // is a start of that substring in the corpus (the first one the scan credited, not
  // necessarily the leftmost).
  CorpusMatch longest_copy(size_t sample) const;

  // As CorpusIndex::window_share: share of `window`-byte windows found in the corpus; nullopt
  // when the sample is shorter than one window. Throws InputError if window == 0.
  std::optional<double> window_share(size_t sample, size_t window = kDefaultWindow) const;

 private:
  // Building the automaton (the edge lists), one byte at a time.
  int32_t new_state(int32_t len, int32_t link);
  int32_t edge(int32_t state, uint8_t c) const;  // -1 when there is no edge
  void set_edge(int32_t state, uint8_t c, int32_t target);
  int32_t clone_state(int32_t q, int32_t len);  // q's copy of length len; q links to it
  int32_t extend(int32_t last, uint8_t c);      // appends c after state `last`; the new last
  void redirect(int32_t p, uint8_t c, int32_t from, int32_t to);  // along p's suffix links
  // Querying it (the hash table that replaces the edge lists).
  void build_transition_table();
  int32_t next(int32_t state, uint8_t c) const;  // -1 when there is no transition
  // Per sample position i: the longest substring ending at i that the corpus contains.
  struct Match {
    uint32_t length = 0;      // 0: not even the byte s[i] occurs in the corpus
    uint64_t corpus_end = 0;  // corpus position of its last byte (when length > 0)
  };
  std::vector<Match> matches(size_t sample) const;

  std::vector<std::string_view> samples_;
  std::vector<int32_t> len_, link_;
  std::vector<std::vector<std::pair<uint8_t, int32_t>>> edges_;  // per state, while building
  std::vector<uint64_t> table_keys_;  // open addressing: key = state << 8 | byte, ~0 = empty
  std::vector<int32_t> table_vals_;
  uint64_t table_mask_ = 0;
  std::vector<uint32_t> best_;      // longest corpus match credited to each state
  std::vector<uint64_t> best_end_;  // corpus position of that match's last byte
};

}  // namespace charrnn
