#include "train/data_parallel.h"

#include <torch/torch.h>

#include <string>

#include "charrnn/errors.h"
#include "charrnn/store/config_json.h"
#include "charrnn/util/json_writer.h"

namespace charrnn {
namespace {

// FNV-1a, 64 bits: the same value on every machine and compiler (std::hash is not).
uint64_t fnv1a(const uint8_t* p, size_t n, uint64_t h = 0xcbf29ce484222325ULL) {
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

}  // namespace

uint64_t run_fingerprint(const ModelConfig& m, const TrainConfig& c, const uint8_t* corpus,
                         size_t corpus_size) {
  nlohmann::json train = to_json(c);
  for (const char* per_machine : {"data", "threads", "device", "resume"}) train.erase(per_machine);
  const std::string config = dump_json(nlohmann::json{{"model", to_json(m)}, {"train", train}});
  uint64_t h = fnv1a(reinterpret_cast<const uint8_t*>(config.data()), config.size());
  return fnv1a(corpus, corpus_size, h ^ corpus_size);
}

void check_same_run(ProcessGroup& group, uint64_t fingerprint) {
  // int64 carries the 64 bits unchanged; allgather (not a sum) so no overflow can mask a change.
  const auto mine = torch::tensor({static_cast<int64_t>(fingerprint)}, torch::kInt64);
  const torch::Tensor all = group.allgather(mine, 0);  // (world,)
  for (int r = 1; r < group.world(); ++r) {
    if (all[r].item<int64_t>() != all[0].item<int64_t>()) {
      throw InputError("rank " + std::to_string(r) +
                       " was started with a different configuration or corpus than rank 0 "
                       "(start every rank with the same flags and the same text)");
    }
  }
}

State gather_streams(ProcessGroup& group, const State& mine) {
  return {group.allgather(mine.h, 1), group.allgather(mine.c, 1)};
}

State streams_of(const State& whole, int64_t offset, int64_t count) {
  return {whole.h.narrow(1, offset, count).contiguous(),
          whole.c.narrow(1, offset, count).contiguous()};
}

}  // namespace charrnn
