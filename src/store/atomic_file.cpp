#include "charrnn/store/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "charrnn/errors.h"

namespace fs = std::filesystem;

namespace charrnn {

std::string write_error_hint(int err) {
  switch (err) {
    case ENOSPC:
    case EDQUOT:
      return "free some disk space or choose another --out";
    case EFBIG:
      return "raise the file-size limit (ulimit -f) or choose another --out";
    case EACCES:
    case EPERM:
    case EROFS:
      return "fix the folder's permissions or choose another --out";
    default:
      return "check the disk and the folder, or choose another --out";
  }
}

AtomicFile::AtomicFile(std::string path)
    : path_(std::move(path)), tmp_(path_ + ".tmp." + std::to_string(::getpid())) {
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("create", errno);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!tmp_.empty()) ::unlink(tmp_.c_str());  // not committed: the old file stays
}

void AtomicFile::fail(const char* action, int err) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!tmp_.empty()) ::unlink(tmp_.c_str());
  tmp_.clear();
  throw InputError(std::string("cannot ") + action + " '" + path_ + "': " + std::strerror(err) +
                   " (" + write_error_hint(err) + "; the previous file is intact)");
}

void AtomicFile::write(const void* data, size_t n) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd_, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) fail("write", errno);
    if (w == 0) fail("write", ENOSPC);
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void AtomicFile::commit() {
  if (::fsync(fd_) != 0) fail("write", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("write", errno);
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) fail("replace", errno);
  tmp_.clear();
  // Make the rename itself durable.
  const auto dir = fs::path(path_).parent_path();
  const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void write_file_atomic(const std::string& path, const std::string& text) {
  AtomicFile f(path);
  f.write(text.data(), text.size());
  f.commit();
}

}  // namespace charrnn
