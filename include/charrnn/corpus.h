// Corpus: a file or a folder read as raw bytes (1 byte per byte in memory), split in two.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace charrnn {

// A read-only window on bytes owned elsewhere.
struct ByteView {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

struct Corpus {
  std::vector<uint8_t> bytes;       // every file's bytes, concatenated
  std::vector<std::string> files;   // the files read, in the order read (sorted paths)
  ByteView view() const { return {bytes.data(), bytes.size()}; }
};

// Reads `path`: a regular file, or every regular file under a folder in sorted path order.
// Throws InputError (missing/unreadable path, folder without files, empty corpus).
Corpus read_corpus(const std::string& path);

// Contiguous split: the last `val_frac` of the bytes is validation.
struct Split {
  ByteView train;
  ByteView val;
};
Split split_corpus(ByteView all, double val_frac);

}  // namespace charrnn
