// The runs under --models: names resolved inside the folder only, models loaded once per
// checkpoint version, each with its BatchEngine.
#include "charrnn/serve/model_registry.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>

#include "charrnn/errors.h"
#include "charrnn/serve/request.h"
#include "charrnn/store/checkpoint.h"
#include "charrnn/store/run_paths.h"
#include "charrnn/util/device.h"

namespace charrnn::serve {
namespace fs = std::filesystem;
namespace {

// The folder `name` names under `dir`, or "" when it names nothing directly inside it. The
// real paths decide: "..", absolute paths and symlinks that lead out of `dir` name nothing.
std::string run_folder(const std::string& dir, const std::string& name) {
  if (name.empty() || name == "." || name == ".." ||
      name.find_first_of(std::string("/\\\0", 3)) != std::string::npos) {
    return "";
  }
  std::error_code ec;
  const fs::path root = fs::canonical(dir, ec);
  if (ec) return "";
  const fs::path real = fs::canonical(root / name, ec);
  if (ec || real.parent_path() != root || !fs::is_directory(real, ec)) return "";
  return (fs::path(dir) / name).string();
}

// The checkpoint a run folder serves (best, else latest), or "" when it has none yet.
std::string checkpoint_of(const std::string& folder) {
  const RunPaths run{folder};
  std::error_code ec;
  for (const std::string& p : {run.best(), run.latest()}) {
    if (fs::is_regular_file(p, ec)) return p;
  }
  return "";
}

}  // namespace

ServedModel::ServedModel(ModelInfo info, CharLSTM model, int64_t max_rows, WeightFormat weights)
    : info_(std::move(info)),
      model_(std::move(model)),
      engine_(std::make_unique<BatchEngine>(model_, max_rows, weights)) {}

std::string ServedModel::corpus_path() const {
  std::error_code ec;
  if (info_.corpus.empty() || !fs::exists(info_.corpus, ec)) return "";
  return info_.corpus;
}

const ReferenceCorpus* ServedModel::corpus() {
  std::lock_guard<std::mutex> lock(corpus_mu_);
  if (corpus_tried_) return corpus_.get();
  corpus_tried_ = true;
  const std::string data = corpus_path();
  if (data.empty()) return nullptr;
  // The word cache where `charrnn compare` keeps it: beside the checkpoint.
  const std::string cache = (fs::path(info_.checkpoint).parent_path() / "words.cache").string();
  try {
    corpus_ = std::make_unique<ReferenceCorpus>(load_reference_corpus(data, cache));
  } catch (const InputError& e) {
    spdlog::warn("model {}: corpus metrics skipped: {}", info_.name, e.what());
  }
  return corpus_.get();
}

ModelRegistry::ModelRegistry(std::string dir, std::string device, int64_t max_rows,
                             WeightFormat weights)
    : dir_(std::move(dir)), device_(std::move(device)), max_rows_(max_rows), weights_(weights) {}

std::shared_ptr<ServedModel> ModelRegistry::load_locked(const std::string& name,
                                                        const std::string& folder) {
  const std::string path = checkpoint_of(folder);
  std::error_code ec;
  const auto mtime = fs::last_write_time(path, ec).time_since_epoch().count();
  const uintmax_t size = fs::file_size(path, ec);
  if (path.empty() || ec) {
    runs_.erase(name);
    return nullptr;
  }
  auto it = runs_.find(name);
  if (it != runs_.end() && it->second.checkpoint == path && it->second.mtime == mtime &&
      it->second.size == size) {
    return it->second.model;  // unchanged (a damaged file stays skipped until it changes)
  }
  Entry entry{path, mtime, size, nullptr};
  try {
    const Checkpoint ckpt = load_checkpoint(path);
    CharLSTM model = restore_model(ckpt);
    model->to(resolve_device(device_));
    model->eval();
    const double val = ckpt.progress.last_val;
    ModelInfo info{name,
                   path,
                   ckpt.train.data,
                   ckpt.model.layers,
                   ckpt.model.hidden,
                   ckpt.progress.step,
                   std::isfinite(val) ? std::optional<double>(val) : std::nullopt};
    entry.model = std::make_shared<ServedModel>(std::move(info), model, max_rows_, weights_);
    spdlog::info("model {}: {} ({} x {}, step {})", name, path, ckpt.model.layers,
                 ckpt.model.hidden, ckpt.progress.step);
  } catch (const InputError& e) {
    spdlog::warn("model {}: skipped: {}", name, e.what());
  }
  runs_[name] = entry;
  return entry.model;
}

std::vector<ModelInfo> ModelRegistry::list() {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, Entry> seen;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    const std::string name = e.path().filename().string();
    const std::string folder = run_folder(dir_, name);
    if (folder.empty()) continue;
    load_locked(name, folder);
    const auto it = runs_.find(name);
    if (it != runs_.end()) seen[name] = it->second;
  }
  runs_.swap(seen);  // runs whose folder or checkpoint is gone are dropped
  std::vector<ModelInfo> out;
  for (const auto& [name, entry] : runs_) {
    if (entry.model) out.push_back(entry.model->info());
  }
  return out;
}

std::shared_ptr<ServedModel> ModelRegistry::get(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string folder = run_folder(dir_, name);
  std::shared_ptr<ServedModel> model = folder.empty() ? nullptr : load_locked(name, folder);
  if (!model) {
    throw RequestError(404, "model",
                       "no run named '" + name + "' under --models (GET /api/models lists them)");
  }
  return model;
}

}  // namespace charrnn::serve
