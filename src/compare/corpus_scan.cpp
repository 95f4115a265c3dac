// CorpusScan: generalised suffix automaton of the samples; the corpus streams through it.
#include "charrnn/compare/corpus_scan.h"

#include <algorithm>

#include "charrnn/errors.h"

namespace charrnn {

namespace {

constexpr uint64_t kEmpty = ~uint64_t{0};

uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  return x ^ (x >> 33);
}

}  // namespace

CorpusScan::CorpusScan(std::vector<std::string_view> samples) : samples_(std::move(samples)) {
  new_state(0, -1);  // the root
  for (std::string_view s : samples_) {
    int32_t last = 0;  // each sample starts again from the root
    for (char ch : s) last = extend(last, static_cast<uint8_t>(ch));
  }
  build_transition_table();
  best_.assign(len_.size(), 0);
  best_end_.assign(len_.size(), 0);
}

int32_t CorpusScan::new_state(int32_t len, int32_t link) {
  len_.push_back(len);
  link_.push_back(link);
  edges_.emplace_back();
  return static_cast<int32_t>(len_.size() - 1);
}

int32_t CorpusScan::edge(int32_t state, uint8_t c) const {
  for (const auto& [b, t] : edges_[static_cast<size_t>(state)]) {
    if (b == c) return t;
  }
  return -1;
}

void CorpusScan::set_edge(int32_t state, uint8_t c, int32_t target) {
  for (auto& e : edges_[static_cast<size_t>(state)]) {
    if (e.first == c) {
      e.second = target;
      return;
    }
  }
  edges_[static_cast<size_t>(state)].emplace_back(c, target);
}

int32_t CorpusScan::clone_state(int32_t q, int32_t len) {
  const int32_t clone = new_state(len, link_[static_cast<size_t>(q)]);
  edges_[static_cast<size_t>(clone)] = edges_[static_cast<size_t>(q)];
  link_[static_cast<size_t>(q)] = clone;
  return clone;
}

void CorpusScan::redirect(int32_t p, uint8_t c, int32_t from, int32_t to) {
  for (; p != -1 && edge(p, c) == from; p = link_[static_cast<size_t>(p)]) set_edge(p, c, to);
}

// The generalised automaton's extension (a suffix automaton's, plus the case where the text so
// far already stands in it because another sample began the same way).
int32_t CorpusScan::extend(int32_t last, uint8_t c) {
  const int32_t existing = edge(last, c);
  if (existing >= 0) {  // the text so far is already in the automaton (another sample)
    if (len_[static_cast<size_t>(last)] + 1 == len_[static_cast<size_t>(existing)]) {
      return existing;
    }
    const int32_t clone = clone_state(existing, len_[static_cast<size_t>(last)] + 1);
    redirect(last, c, existing, clone);
    return clone;
  }
  const int32_t cur = new_state(len_[static_cast<size_t>(last)] + 1, 0);
  int32_t p = last;
  for (; p != -1 && edge(p, c) < 0; p = link_[static_cast<size_t>(p)]) set_edge(p, c, cur);
  if (p != -1) {
    const int32_t q = edge(p, c);
    if (len_[static_cast<size_t>(p)] + 1 == len_[static_cast<size_t>(q)]) {
      link_[static_cast<size_t>(cur)] = q;
    } else {
      const int32_t clone = clone_state(q, len_[static_cast<size_t>(p)] + 1);
      redirect(p, c, q, clone);
      link_[static_cast<size_t>(cur)] = clone;
    }
  }
  return cur;
}

void CorpusScan::build_transition_table() {
  size_t edges = 0;
  for (const auto& e : edges_) edges += e.size();
  size_t cap = 16;
  while (cap < 2 * edges) cap *= 2;  // load <= 1/2: short probes
  table_keys_.assign(cap, kEmpty);
  table_vals_.assign(cap, -1);
  table_mask_ = cap - 1;
  for (size_t s = 0; s < edges_.size(); ++s) {
    for (const auto& [c, t] : edges_[s]) {
      const uint64_t key = (static_cast<uint64_t>(s) << 8) | c;
      uint64_t i = mix(key) & table_mask_;
      while (table_keys_[i] != kEmpty) i = (i + 1) & table_mask_;
      table_keys_[i] = key;
      table_vals_[i] = t;
    }
  }
  edges_.clear();
  edges_.shrink_to_fit();
}

int32_t CorpusScan::next(int32_t state, uint8_t c) const {
  const uint64_t key = (static_cast<uint64_t>(state) << 8) | c;
  for (uint64_t i = mix(key) & table_mask_;; i = (i + 1) & table_mask_) {
    if (table_keys_[i] == key) return table_vals_[i];
    if (table_keys_[i] == kEmpty) return -1;
  }
}

void CorpusScan::scan(ByteView corpus) {
  // Matching statistics of the corpus: after byte e, (v, l) = the longest suffix of corpus[..e]
  // that is a substring of some sample, and its state.
  int32_t v = 0;
  uint32_t l = 0;
  for (size_t e = 0; e < corpus.size; ++e) {
    const uint8_t c = corpus.data[e];
    while (true) {
      const int32_t t = next(v, c);
      if (t >= 0) {
        v = t;
        ++l;
        break;
      }
      if (v == 0) {
        l = 0;
        break;
      }
      v = link_[static_cast<size_t>(v)];
      l = static_cast<uint32_t>(len_[static_cast<size_t>(v)]);
    }
    if (l > best_[static_cast<size_t>(v)]) {
      best_[static_cast<size_t>(v)] = l;
      best_end_[static_cast<size_t>(v)] = e;
    }
  }
  // A match credited to a state also holds for every suffix: push it up the suffix links,
  // longest states first (counting sort by len).
  const size_t n = len_.size();
  int32_t max_len = 0;
  for (int32_t x : len_) max_len = std::max(max_len, x);
  std::vector<size_t> count(static_cast<size_t>(max_len) + 2, 0);
  for (int32_t x : len_) ++count[static_cast<size_t>(x)];
  for (size_t k = 1; k < count.size(); ++k) count[k] += count[k - 1];
  std::vector<int32_t> order(n);
  for (size_t s = n; s-- > 0;)
    order[--count[static_cast<size_t>(len_[s])]] = static_cast<int32_t>(s);
  for (size_t k = n; k-- > 1;) {  // order[0] is the root (len 0)
    const auto s = static_cast<size_t>(order[k]);
    const auto p = static_cast<size_t>(link_[s]);
    if (best_[s] == 0) continue;
    const uint32_t cand = std::min(best_[s], static_cast<uint32_t>(len_[p]));
    if (cand > best_[p]) {
      best_[p] = cand;
      best_end_[p] = best_end_[s];
    }
  }
}

std::vector<CorpusScan::Match> CorpusScan::matches(size_t sample) const {
  const std::string_view s = samples_.at(sample);
  std::vector<Match> out(s.size());
  int32_t v = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    v = next(v, static_cast<uint8_t>(s[i]));  // every prefix of a sample is in the automaton
    // The longest suffix of s[..i] credited with a corpus match: v's, else its nearest suffix's.
    int32_t u = v;
    while (u != 0 && best_[static_cast<size_t>(u)] == 0) u = link_[static_cast<size_t>(u)];
    out[i].length = std::min<uint32_t>(best_[static_cast<size_t>(u)], static_cast<uint32_t>(i + 1));
    out[i].corpus_end = best_end_[static_cast<size_t>(u)];
  }
  return out;
}

CorpusMatch CorpusScan::longest_copy(size_t sample) const {
  CorpusMatch m;
  const std::vector<Match> ms = matches(sample);
  for (size_t i = 0; i < ms.size(); ++i) {
    if (ms[i].length > m.length) {  // strictly longer: ties keep the leftmost sample position
      m.length = ms[i].length;
      m.sample_pos = i + 1 - m.length;
      m.corpus_pos = static_cast<size_t>(ms[i].corpus_end) + 1 - m.length;
    }
  }
  return m;
}

std::optional<double> CorpusScan::window_share(size_t sample, size_t window) const {
  if (window == 0) throw InputError("window length must be at least 1 byte, got 0");
  const std::vector<Match> ms = matches(sample);
  if (ms.size() < window) return std::nullopt;
  // The window ending at i is in the corpus iff the longest match ending at i covers it.
  size_t found = 0;
  for (size_t i = window - 1; i < ms.size(); ++i) found += ms[i].length >= window ? 1 : 0;
  return static_cast<double>(found) / static_cast<double>(ms.size() - window + 1);
}

}  // namespace charrnn
