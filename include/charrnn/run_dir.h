// RunDir: a run folder models/<name>/ — its files, its lock, and its metrics log.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace charrnn {

class RunDir {
 public:
  // Creates the folder if needed, proves it writable, and takes its lock (one writer per
  // folder; the kernel releases the lock if the process dies). Throws InputError otherwise.
  explicit RunDir(const std::string& path);
  ~RunDir();
  RunDir(const RunDir&) = delete;
  RunDir& operator=(const RunDir&) = delete;

  const std::string& path() const { return path_; }
  std::string latest() const { return path_ + "/latest.ckpt"; }
  std::string best() const { return path_ + "/best.ckpt"; }
  std::string metrics() const { return path_ + "/metrics.jsonl"; }
  std::string config() const { return path_ + "/config.json"; }

 private:
  std::string path_;
  int lock_fd_ = -1;
};

// Writes `text` to `path` atomically (temporary file in the same folder, then rename).
void write_file_atomic(const std::string& path, const std::string& text);

// metrics.jsonl: one JSON object per line, each with a "step".
class MetricsLog {
 public:
  // Keeps only records with step <= keep_through (drops what a crash or rollback left after
  // the checkpoint being resumed), then appends from there.
  MetricsLog(const std::string& path, int64_t keep_through);
  void append(const nlohmann::json& record);

 private:
  std::string path_;
};

}  // namespace charrnn
