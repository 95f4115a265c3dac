#include "charrnn/store/run_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "charrnn/errors.h"
#include "charrnn/util/json_writer.h"

namespace fs = std::filesystem;

namespace charrnn {
namespace {

std::string megabytes(uint64_t bytes) {
  return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MB";
}

// Files only a killed writer leaves: AtomicFile's temporaries and the writability probe.
// Both end in ".tmp.<pid>".
bool is_leftover(const std::string& name) {
  const auto at = name.rfind(".tmp.");
  if (at == std::string::npos || at + 5 == name.size()) return false;
  return name.find_first_not_of("0123456789", at + 5) == std::string::npos;
}

}  // namespace

RunDir::RunDir(const std::string& path) : paths_{path.empty() ? "." : path} {
  const std::string& dir = paths_.dir;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir, ec)) {
    throw InputError("cannot create run folder '" + dir + "'" + (ec ? ": " + ec.message() : "") +
                     " (choose another --out)");
  }
  const std::string lock = paths_.lock();
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) {
    throw InputError("run folder '" + dir + "' is not writable: " + std::strerror(errno) +
                     " (fix its permissions or choose another --out)");
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd_);
    lock_fd_ = -1;
    throw InputError("run folder '" + dir +
                     "' is in use by another charrnn train (wait for it, or choose another --out)");
  }
  // We are the only writer now: whatever temporary files exist, a dead writer left them.
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && is_leftover(it->path().filename().string())) {
      std::error_code rm;
      fs::remove(it->path(), rm);
    }
  }
  // Prove we can create, write and sync a file here before hours of training depend on it.
  try {
    AtomicFile probe(paths_.write_test());
    probe.write("ok", 2);
  } catch (const InputError& e) {
    ::close(lock_fd_);
    lock_fd_ = -1;
    throw InputError("run folder '" + dir + "' is not writable: " + e.what());
  }
}

RunDir::~RunDir() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // closing releases the flock
}

void RunDir::require_space(uint64_t bytes, uint64_t largest_file) const {
  const std::string& dir = paths_.dir;
  struct statvfs fs_info {};
  if (::statvfs(dir.c_str(), &fs_info) == 0) {
    const uint64_t avail = static_cast<uint64_t>(fs_info.f_bavail) * fs_info.f_frsize;
    if (avail < bytes) {
      throw InputError("run folder '" + dir + "' has " + megabytes(avail) + " free but its " +
                       "checkpoints need about " + megabytes(bytes) +
                       " (free some disk space or choose another --out)");
    }
  }
  struct rlimit lim {};
  if (::getrlimit(RLIMIT_FSIZE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
      lim.rlim_cur < largest_file) {
    throw InputError("the file-size limit (ulimit -f) is " + std::to_string(lim.rlim_cur) +
                     " bytes but a checkpoint needs " + std::to_string(largest_file) +
                     " (raise it with ulimit -f unlimited)");
  }
}

MetricsLog::MetricsLog(const std::string& path, int64_t keep_through) : path_(path) {
  std::ifstream in(path);
  std::ostringstream kept;
  std::string line;
  bool dropped = false;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    // A torn last line from a crash is not valid JSON: drop it with the rest. So are records
    // a killed run wrote after its last checkpoint: the resumed run writes them again.
    if (!j.is_object() || !j.contains("step") || !j["step"].is_number_integer() ||
        j["step"].get<int64_t>() > keep_through) {
      dropped = true;
      continue;
    }
    kept << line << '\n';
  }
  std::error_code ec;
  if (dropped || !fs::exists(path, ec)) write_file_atomic(path, kept.str());
}

void MetricsLog::append(const nlohmann::json& record) {
  std::ofstream out(path_, std::ios::app);
  out << dump_json(record) << '\n';
  out.flush();
  if (!out) {
    throw InputError("cannot append to '" + path_ + "': " + std::strerror(errno) + " (" +
                     write_error_hint(errno) + ")");
  }
}

}  // namespace charrnn
