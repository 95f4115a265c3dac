// RunDir: a run folder models/<name>/ — its files, its lock, and its metrics log.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "charrnn/store/atomic_file.h"  // write_file_atomic
#include "charrnn/store/run_paths.h"

namespace charrnn {

class RunDir {
 public:
  // Creates the folder if needed, takes its lock (one writer per folder; the kernel releases
  // the lock when the process exits or dies), removes the temporary files a killed writer left
  // ("*.tmp.*"), and proves the folder writable. Throws InputError otherwise.
  explicit RunDir(const std::string& path);
  ~RunDir();
  RunDir(const RunDir&) = delete;
  RunDir& operator=(const RunDir&) = delete;

  const std::string& path() const { return paths_.dir; }
  const RunPaths& paths() const { return paths_; }

  // Throws InputError when fewer than `bytes` can be written here: free disk space, or the
  // process's file-size limit (ulimit -f) for one file of `largest_file` bytes.
  void require_space(uint64_t bytes, uint64_t largest_file) const;

 private:
  RunPaths paths_;
  int lock_fd_ = -1;
};

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
