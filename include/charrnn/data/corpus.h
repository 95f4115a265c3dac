// Corpus: a file or a folder read as raw bytes (1 byte per byte in memory), split in two.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace charrnn {

// A read-only window on bytes owned elsewhere.
struct ByteView {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

struct Corpus {
  // Every file's bytes, concatenated. A single file is memory-mapped read-only (pages load on
  // first touch and the kernel may drop them again, so a 1 GB file starts training at once and
  // costs no heap); a folder's files are read into one buffer of exactly their total size.
  // Do not truncate a mapped file while training on it (the kernel would signal SIGBUS).
  std::shared_ptr<const uint8_t> data;
  size_t size = 0;
  std::vector<std::string> files;  // the files read, in the order read (sorted paths)
  ByteView view() const { return {data.get(), size}; }
};

// Reads `path`: a regular file, or every regular file under a folder in sorted path order.
// Throws InputError (missing/unreadable path, not a file or folder, folder without files,
// empty corpus).
Corpus read_corpus(const std::string& path);

// Contiguous split: the last `val_frac` of the bytes is validation.
struct Split {
  ByteView train;
  ByteView val;
};
Split split_corpus(ByteView all, double val_frac);

}  // namespace charrnn
