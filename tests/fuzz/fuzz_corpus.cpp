// libFuzzer target: the corpus reader, on a single file (memory-mapped) and on a folder.
// The first input byte picks how the rest is cut into up to 4 files (some in a subfolder);
// read_corpus must return exactly their bytes in sorted-path order, or throw InputError for an
// empty corpus. split_corpus must cut at a valid point for any fraction.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "charrnn/data/corpus.h"
#include "charrnn/errors.h"

namespace fs = std::filesystem;

namespace {

const fs::path& scratch() {
  static const fs::path dir = [] {
    const fs::path base = fs::exists("/dev/shm") ? "/dev/shm" : fs::temp_directory_path();
    auto d = base / ("charrnn-fuzz-corpus-" + std::to_string(::getpid()));
    fs::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(scratch(), ec);
    });
    return d;
  }();
  return dir;
}

void put(const fs::path& p, const uint8_t* data, size_t n) {
  std::ofstream(p, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), n);
}

std::string got(const charrnn::Corpus& c) {
  return std::string(reinterpret_cast<const char*>(c.view().data), c.view().size);
}

void expect(const fs::path& path, const std::string& want) {
  try {
    const auto c = charrnn::read_corpus(path.string());
    if (want.empty() || got(c) != want) std::abort();
    const double frac = static_cast<double>(static_cast<uint8_t>(want[0])) / 256.0;
    const auto s = charrnn::split_corpus(c.view(), frac);
    if (s.train.size + s.val.size != c.size || s.train.data != c.view().data ||
        s.val.data != c.view().data + s.train.size) {
      std::abort();
    }
  } catch (const charrnn::InputError&) {
    if (!want.empty()) std::abort();  // only an empty corpus may be refused
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path& dir = scratch();
  std::error_code ec;
  // One file.
  const fs::path file = dir / "one.txt";
  put(file, data, size);
  expect(file, std::string(reinterpret_cast<const char*>(data), size));
  // A folder: file k holds the k-th of `parts` slices; names sort as a/0 < a/1 < b/2 < b/3.
  if (size == 0) return 0;
  const size_t parts = 1 + data[0] % 4;
  const uint8_t* rest = data + 1;
  const size_t n = size - 1;
  const fs::path folder = dir / "folder";
  fs::remove_all(folder, ec);
  fs::create_directories(folder / "a");
  fs::create_directories(folder / "b" / "sub");
  const char* names[] = {"a/0", "a/1", "b/2", "b/sub/3"};
  std::string want;
  for (size_t k = 0; k < parts; ++k) {
    const size_t from = n * k / parts, to = n * (k + 1) / parts;
    put(folder / names[k], rest + from, to - from);
    want.append(reinterpret_cast<const char*>(rest + from), to - from);
  }
  expect(folder, want);
  return 0;
}
