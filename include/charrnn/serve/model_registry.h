// ModelRegistry: the runs under --models, each loaded once with its own BatchEngine, re-scanned
// when a run's checkpoint changes. A name only ever names a folder directly under --models.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "charrnn/compare/reference_corpus.h"
#include "charrnn/model/model.h"
#include "charrnn/model/weight_format.h"
#include "charrnn/serve/batch_engine.h"

namespace charrnn::serve {

struct ModelInfo {
  std::string name;        // the run folder's name under --models
  std::string checkpoint;  // the file served: best.ckpt, else latest.ckpt
  std::string corpus;      // the training corpus the checkpoint records ("" = none)
  int layers = 0;
  int hidden = 0;
  int64_t step = 0;                // optimizer steps trained
  std::optional<double> val_loss;  // latest validation nats/byte (none before the first)
};

// A loaded run. Requests hold it by shared_ptr, so a reload never pulls a model from under them.
class ServedModel {
 public:
  ServedModel(ModelInfo info, CharLSTM model, int64_t max_rows, WeightFormat weights);
  const ModelInfo& info() const { return info_; }
  const CharLSTM& model() const { return model_; }
  BatchEngine& engine() { return *engine_; }
  // The training corpus for compare's corpus metrics, loaded on first use as `charrnn compare`
  // loads it (same word cache); nullptr when the checkpoint's corpus is gone.
  const ReferenceCorpus* corpus();
  std::string corpus_path() const;  // "" when there is none to measure against

 private:
  ModelInfo info_;
  CharLSTM model_;
  std::unique_ptr<BatchEngine> engine_;
  std::mutex corpus_mu_;
  bool corpus_tried_ = false;
  std::unique_ptr<ReferenceCorpus> corpus_;
};

class ModelRegistry {
 public:
  // device: as --device (auto, cpu, cuda:N); max_rows: each engine's batch; weights: the
  // format the engines sample with.
  ModelRegistry(std::string dir, std::string device, int64_t max_rows, WeightFormat weights);
  // Every run under the folder, by name, after a re-scan (new, changed and removed runs).
  std::vector<ModelInfo> list();
  // The run `name`; RequestError 404 unless it is a run folder directly under --models (no
  // "..", no absolute path, no symlink leading out of it).
  std::shared_ptr<ServedModel> get(const std::string& name);

 private:
  struct Entry {
    std::string checkpoint;
    int64_t mtime = 0;
    uintmax_t size = 0;
    std::shared_ptr<ServedModel> model;
  };
  std::shared_ptr<ServedModel> load_locked(const std::string& name, const std::string& folder);

  std::string dir_;
  std::string device_;
  int64_t max_rows_;
  WeightFormat weights_;
  std::mutex mu_;
  std::map<std::string, Entry> runs_;
};

}  // namespace charrnn::serve
