#include "charrnn/data/corpus.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "charrnn/errors.h"

namespace fs = std::filesystem;

namespace charrnn {
namespace {

[[noreturn]] void cannot_read(const std::string& path, int err) {
  throw InputError("cannot read '" + path + "': " + std::strerror(err) +
                   " (check the path and its permissions)");
}

// An open file descriptor, closed on every path out.
struct Fd {
  explicit Fd(const std::string& path) : fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd < 0) cannot_read(path, errno);
  }
  ~Fd() { ::close(fd); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int fd;
};

// Reads up to `n` bytes of `path` into `out`; returns how many it got (a file may shrink
// between listing and reading: the corpus is then what was there).
size_t read_into(const std::string& path, uint8_t* out, size_t n) {
  Fd f(path);
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::read(f.fd, out + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) cannot_read(path, errno);
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return got;
}

// A single regular file: mapped read-only, shared with the page cache.
void map_file(const std::string& path, Corpus& corpus) {
  Fd f(path);
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) cannot_read(path, errno);
  if (!S_ISREG(st.st_mode)) {
    throw InputError("corpus '" + path +
                     "' is not a regular file or folder (pass --data FILE_OR_FOLDER)");
  }
  const auto size = static_cast<size_t>(st.st_size);
  if (size == 0) return;
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, f.fd, 0);
  if (p == MAP_FAILED) {  // e.g. a file system without mmap: read it instead
    std::shared_ptr<uint8_t> buf(new uint8_t[size], std::default_delete<uint8_t[]>());
    corpus.size = read_into(path, buf.get(), size);
    corpus.data = buf;
    return;
  }
  corpus.data = std::shared_ptr<const uint8_t>(
      static_cast<const uint8_t*>(p),
      [size](const uint8_t* q) { ::munmap(const_cast<uint8_t*>(q), size); });
  corpus.size = size;
}

}  // namespace

Corpus read_corpus(const std::string& path) {
  Corpus corpus;
  std::error_code ec;
  const fs::path root(path);
  const auto status = fs::status(root, ec);
  if (path.empty() || !fs::exists(status)) {
    throw InputError("corpus '" + path + "' does not exist (pass --data FILE_OR_FOLDER)");
  }
  if (fs::is_directory(status)) {
    std::vector<fs::path> files;
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
    if (ec) throw InputError("cannot list folder '" + path + "': " + ec.message());
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) throw InputError("cannot list folder '" + path + "': " + ec.message());
      if (it->is_regular_file(ec)) files.push_back(it->path());
    }
    if (files.empty()) {
      throw InputError(
          "folder '" + path +
          "' holds no regular files (point --data at a text file or a folder of them)");
    }
    std::sort(files.begin(), files.end());
    std::vector<size_t> sizes;
    size_t total = 0;
    for (const auto& f : files) {
      const auto n = static_cast<size_t>(fs::file_size(f, ec));
      if (ec) cannot_read(f.string(), ec.value());
      sizes.push_back(n);
      total += n;
    }
    // One allocation of the exact total: no doubling, no second copy.
    std::shared_ptr<uint8_t> buf(new uint8_t[std::max<size_t>(total, 1)],
                                 std::default_delete<uint8_t[]>());
    for (size_t i = 0; i < files.size(); ++i) {
      corpus.size += read_into(files[i].string(), buf.get() + corpus.size, sizes[i]);
      corpus.files.push_back(files[i].string());
    }
    corpus.data = buf;
  } else if (fs::is_regular_file(status)) {
    map_file(path, corpus);
    corpus.files.push_back(root.string());
  } else {
    throw InputError("corpus '" + path +
                     "' is not a regular file or folder (pass --data FILE_OR_FOLDER)");
  }
  if (corpus.size == 0) {
    throw InputError("corpus '" + path + "' is empty (give it some text)");
  }
  return corpus;
}

Split split_corpus(ByteView all, double val_frac) {
  if (!(val_frac >= 0.0 && val_frac < 1.0)) {
    throw InputError("--val-frac must be in [0, 1), got " + std::to_string(val_frac));
  }
  const auto val = static_cast<size_t>(std::llround(static_cast<double>(all.size) * val_frac));
  const size_t train = all.size - val;
  return {{all.data, train}, {all.data + train, val}};
}

}  // namespace charrnn
