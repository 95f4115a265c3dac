// RunDir (one writer per run folder, leftovers removed), RunPaths and MetricsLog.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "charrnn/errors.h"
#include "charrnn/store/checkpoint.h"
#include "charrnn/store/run_dir.h"
#include "charrnn/store/run_paths.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace charrnn;
using charrnn::testing::read_file;
using charrnn::testing::TempDir;
using charrnn::testing::write_file;

TEST(RunDirLock, OneWriterPerFolderInProcessToo) {
  TempDir dir;
  {
    RunDir a(dir / "run");
    EXPECT_THROW(RunDir b(dir / "run"), InputError);
  }
  EXPECT_NO_THROW(RunDir c(dir / "run"));  // released on destruction
}

TEST(RunDirLock, RemovesOnlyTheTemporariesADeadWriterLeft) {
  TempDir dir;
  fs::create_directories(dir / "run");
  for (const char* f : {"latest.ckpt.tmp.4242", "metrics.jsonl.tmp.7", ".write-test.tmp.99",
                        "notes.tmp.txt", "latest.ckpt"}) {
    write_file(dir / ("run/" + std::string(f)), "x");
  }
  RunDir run(dir / "run");
  std::set<std::string> left;
  for (const auto& e : fs::directory_iterator(dir / "run")) left.insert(e.path().filename());
  EXPECT_EQ(left, (std::set<std::string>{".lock", "latest.ckpt", "notes.tmp.txt"}));
}

TEST(MetricsLogTruncation, KeepsRecordsThroughTheResumedStepOnly) {
  TempDir dir;
  const std::string path = dir / "metrics.jsonl";
  write_file(path, "{\"step\":1}\n{\"step\":2}\n{\"step\":3}\n{\"step\":4}\n{\"st");
  MetricsLog log(path, 2);
  log.append({{"step", 3}});
  EXPECT_EQ(read_file(path), "{\"step\":1}\n{\"step\":2}\n{\"step\":3}\n");
  MetricsLog fresh(path, 0);
  EXPECT_EQ(read_file(path), "");
}

TEST(RunPaths, NamesARunsFilesWithoutTouchingTheFolder) {
  TempDir dir;
  const RunPaths run{dir / "never-made"};
  EXPECT_EQ(run.latest(), dir / "never-made/latest.ckpt");
  EXPECT_EQ(run.best(), dir / "never-made/best.ckpt");
  EXPECT_EQ(run.metrics(), dir / "never-made/metrics.jsonl");
  EXPECT_EQ(run.config(), dir / "never-made/config.json");
  EXPECT_EQ(run.lock(), dir / "never-made/.lock");
  EXPECT_EQ(RunPaths{"models/run/"}.best(), "models/run/best.ckpt");  // no doubled slash
  EXPECT_FALSE(fs::exists(dir / "never-made"));
}

TEST(RunPaths, ReadingARunDoesNotNeedTheWritersLock) {
  TempDir dir;
  RunDir writer(dir / "run");  // holds the lock, as a running train does
  write_file(writer.paths().best(), "x");
  EXPECT_EQ(resolve_checkpoint_path(dir / "run"), writer.paths().best());
  EXPECT_EQ(RunPaths{dir / "run"}.metrics(), writer.paths().metrics());
}
