#include "charrnn/run_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "charrnn/errors.h"

namespace fs = std::filesystem;

namespace charrnn {

RunDir::RunDir(const std::string& path) : path_(path.empty() ? "." : path) {
  std::error_code ec;
  fs::create_directories(path_, ec);
  if (!fs::is_directory(path_, ec)) {
    throw InputError("cannot create run folder '" + path_ + "'" +
                     (ec ? ": " + ec.message() : "") + " (choose another --out)");
  }
  const std::string lock = path_ + "/.lock";
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) {
    throw InputError("run folder '" + path_ + "' is not writable: " + std::strerror(errno) +
                     " (fix its permissions or choose another --out)");
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd_);
    lock_fd_ = -1;
    throw InputError("run folder '" + path_ +
                     "' is in use by another charrnn train (wait for it, or choose another --out)");
  }
  // Prove we can create files here before hours of training depend on it.
  const std::string probe = path_ + "/.write-test." + std::to_string(::getpid());
  std::ofstream(probe) << "ok";
  const bool ok = fs::file_size(probe, ec) == 2 && !ec;
  fs::remove(probe, ec);
  if (!ok) {
    throw InputError("run folder '" + path_ +
                     "' is not writable (fix its permissions or free disk space, or choose another "
                     "--out)");
  }
}

RunDir::~RunDir() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // closing releases the flock
}

void write_file_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw InputError("cannot write '" + path + "' (free some disk space or choose another --out)");
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw InputError("cannot replace '" + path + "': " + ec.message());
  }
}

MetricsLog::MetricsLog(const std::string& path, int64_t keep_through) : path_(path) {
  std::ifstream in(path);
  std::ostringstream kept;
  std::string line;
  bool dropped = false;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    // A torn last line from a crash is not valid JSON: drop it with the rest.
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
  out << record.dump() << '\n';
  out.flush();
  if (!out) throw InputError("cannot append to '" + path_ + "' (free some disk space)");
}

}  // namespace charrnn
