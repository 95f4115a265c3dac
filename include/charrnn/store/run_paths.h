// RunPaths: the names of a run folder's files. Naming them takes no lock, so readers (generate,
// eval, plot, --resume's config check) use RunPaths; only the writer opens a RunDir.
#pragma once
#include <filesystem>
#include <string>

namespace charrnn {

struct RunPaths {
  std::string dir;  // the run folder, e.g. models/shakespeare

  std::string file(const char* name) const { return (std::filesystem::path(dir) / name).string(); }
  std::string latest() const { return file("latest.ckpt"); }      // every --eval-every steps
  std::string best() const { return file("best.ckpt"); }          // lowest validation loss
  std::string metrics() const { return file("metrics.jsonl"); }   // one record per line
  std::string config() const { return file("config.json"); }      // written before step 1
  std::string lock() const { return file(".lock"); }              // the writer's flock
  std::string write_test() const { return file(".write-test"); }  // RunDir's writability probe
  std::string loss_plot() const { return file("loss.png"); }      // charrnn plot's default
};

}  // namespace charrnn
