#include "charrnn/corpus.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "charrnn/errors.h"

namespace fs = std::filesystem;

namespace charrnn {
namespace {

void append_file(const fs::path& path, std::vector<uint8_t>& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError("cannot read '" + path.string() + "': " + std::strerror(errno) +
                     " (check the path and its permissions)");
  }
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  const size_t old = out.size();
  if (!ec) out.reserve(old + size);
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    out.insert(out.end(), buf, buf + in.gcount());
  }
  if (in.bad()) throw InputError("error while reading '" + path.string() + "'");
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
      throw InputError("folder '" + path +
                       "' holds no regular files (point --data at a text file or a folder of them)");
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      append_file(f, corpus.bytes);
      corpus.files.push_back(f.string());
    }
  } else if (fs::is_regular_file(status)) {
    append_file(root, corpus.bytes);
    corpus.files.push_back(root.string());
  } else {
    throw InputError("corpus '" + path + "' is not a regular file or folder");
  }
  if (corpus.bytes.empty()) {
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
