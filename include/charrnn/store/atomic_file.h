// AtomicFile: write a file so that readers see the old version or the new one, never a mix.
#pragma once
#include <string>

namespace charrnn {

// Writes go to "<path>.tmp.<pid>" in the same folder; commit() fsyncs it, renames it over
// `path` and fsyncs the folder. Destroyed uncommitted (an error, an exception), it removes the
// temporary file, so `path` keeps its previous contents. A process killed mid-write leaves a
// "*.tmp.*" file behind: RunDir removes those when it takes the folder's lock.
// Every failure throws InputError naming the file, the system's reason and a fix.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t n);
  void commit();

 private:
  [[noreturn]] void fail(const char* action, int err);
  std::string path_;
  std::string tmp_;
  int fd_ = -1;
};

// The whole of `text` to `path`, atomically.
void write_file_atomic(const std::string& path, const std::string& text);

// A hint for a write that failed with errno `err`: free space, permissions, or another --out.
std::string write_error_hint(int err);

}  // namespace charrnn
