#include "charrnn/store/checkpoint.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "charrnn/errors.h"
#include "charrnn/store/atomic_file.h"
#include "charrnn/store/config_json.h"
#include "charrnn/store/optimizer_state_key.h"
#include "charrnn/store/run_paths.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace charrnn {
namespace {

struct DType {
  const char* name;
  at::ScalarType type;
};
constexpr DType kDTypes[] = {
    {"f32", at::kFloat}, {"f64", at::kDouble}, {"i64", at::kLong}, {"u8", at::kByte}};

const char* dtype_name(at::ScalarType t) {
  for (const auto& d : kDTypes) {
    if (d.type == t) return d.name;
  }
  throw std::runtime_error("checkpoint: unsupported tensor dtype");
}

[[noreturn]] void bad_file(const std::string& path, const std::string& problem) {
  throw InputError("checkpoint '" + path + "' is " + problem +
                   " (use another checkpoint, e.g. the run folder's latest.ckpt, or retrain)");
}

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& ckpt) {
  json header;
  header["model"] = to_json(ckpt.model);
  header["train"] = to_json(ckpt.train);
  header["progress"] = progress_to_json(ckpt.progress);
  header["adam_steps"] = ckpt.adam_steps;
  json tensors = json::array();
  std::vector<at::Tensor> payload;
  for (const auto& [name, t] : ckpt.tensors) {
    auto c = t.detach().to(at::kCPU).contiguous();
    tensors.push_back({{"name", name},
                       {"dtype", dtype_name(c.scalar_type())},
                       {"shape", c.sizes().vec()},
                       {"bytes", c.nbytes()}});
    payload.push_back(c);
  }
  header["tensors"] = tensors;
  const std::string prefix = encode_checkpoint_prefix(header);

  AtomicFile file(path);  // readers see the old checkpoint or the new one, never a mix
  uint32_t crc = 0;
  auto put = [&](const void* data, size_t n) {
    file.write(data, n);
    crc = crc32_update(crc, data, n);
  };
  put(prefix.data(), prefix.size());
  for (const auto& t : payload) put(t.data_ptr(), t.nbytes());
  file.write(&crc, sizeof crc);
  file.commit();
}

Checkpoint load_checkpoint(const std::string& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (!fs::exists(status)) {
    throw InputError("checkpoint '" + path +
                     "' does not exist (pass --model with a .ckpt file "
                     "or a run folder under models/)");
  }
  if (fs::is_directory(status)) {
    throw InputError("'" + path + "' is a folder without checkpoints (train into it first)");
  }
  if (!fs::is_regular_file(status)) {  // a FIFO or a device would block or never end
    throw InputError("checkpoint '" + path +
                     "' is not a regular file (pass a .ckpt file or a run folder)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError("cannot read checkpoint '" + path + "': " + std::strerror(errno) +
                     " (check the path and its permissions)");
  }
  std::vector<char> buf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    throw InputError("cannot read checkpoint '" + path + "': read error (check the disk)");
  }
  return decode_checkpoint(buf, path);
}

Checkpoint decode_checkpoint(const std::vector<char>& buf, const std::string& path) {
  ParsedCheckpoint parsed;
  try {
    parsed = parse_checkpoint(buf);
  } catch (const InputError& e) {
    const std::string problem = e.what();
    if (problem.find("upgrade charrnn") != std::string::npos) {
      throw InputError("checkpoint '" + path + "' is " + problem);
    }
    bad_file(path, problem);
  }
  Checkpoint ckpt;
  ckpt.model = parsed.model;
  ckpt.train = parsed.train;
  ckpt.progress = parsed.progress;
  ckpt.adam_steps = std::move(parsed.adam_steps);
  for (const auto& r : parsed.tensors) {
    at::ScalarType type = at::kByte;
    for (const auto& d : kDTypes) {
      if (r.dtype == d.name) type = d.type;
    }
    auto tensor = at::empty(r.shape, at::TensorOptions().dtype(type));
    if (r.bytes > 0) std::memcpy(tensor.data_ptr(), buf.data() + r.offset, r.bytes);
    ckpt.tensors[r.name] = tensor;
  }
  return ckpt;
}

std::string resolve_checkpoint_path(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return path;
  const RunPaths run{path};
  for (const std::string& p : {run.best(), run.latest()}) {
    if (fs::exists(p, ec)) return p;
  }
  throw InputError("run folder '" + path +
                   "' has no best.ckpt or latest.ckpt (train into it first, or pass a .ckpt file)");
}

void store_model(const CharLSTM& model, Checkpoint& ckpt) {
  for (const auto& p : model->named_parameters()) ckpt.tensors["model." + p.key()] = p.value();
}

CharLSTM restore_model(const Checkpoint& ckpt) {
  CharLSTM model(ckpt.model);
  torch::NoGradGuard no_grad;
  for (auto& p : model->named_parameters()) {
    auto it = ckpt.tensors.find("model." + p.key());
    if (it == ckpt.tensors.end()) {
      throw InputError("checkpoint lacks weight '" + p.key() + "' (the file is damaged)");
    }
    if (it->second.sizes() != p.value().sizes() || it->second.scalar_type() != at::kFloat) {
      throw InputError("checkpoint weight '" + p.key() +
                       "' disagrees with its configuration (the file is damaged)");
    }
    p.value().copy_(it->second);
  }
  return model;
}

void store_optimizer(const torch::optim::Adam& opt, const CharLSTM& model, Checkpoint& ckpt) {
  auto& state = const_cast<torch::optim::Adam&>(opt).state();
  using Map = std::remove_reference_t<decltype(state)>;
  for (const auto& p : model->named_parameters()) {
    auto it = state.find(optimizer_state_key<Map>(p.value()));
    if (it == state.end()) continue;  // no step taken yet
    const auto& s = static_cast<const torch::optim::AdamParamState&>(*it->second);
    ckpt.tensors["adam." + p.key() + ".exp_avg"] = s.exp_avg();
    ckpt.tensors["adam." + p.key() + ".exp_avg_sq"] = s.exp_avg_sq();
    ckpt.adam_steps[p.key()] = s.step();
  }
}

void restore_optimizer(const Checkpoint& ckpt, const CharLSTM& model, torch::optim::Adam& opt) {
  auto& state = opt.state();
  using Map = std::remove_reference_t<decltype(state)>;
  state.clear();  // the checkpoint's state replaces whatever the optimizer held
  for (const auto& p : model->named_parameters()) {
    auto step = ckpt.adam_steps.find(p.key());
    if (step == ckpt.adam_steps.end()) continue;
    auto m = ckpt.tensors.find("adam." + p.key() + ".exp_avg");
    auto v = ckpt.tensors.find("adam." + p.key() + ".exp_avg_sq");
    if (m == ckpt.tensors.end() || v == ckpt.tensors.end() ||
        m->second.sizes() != p.value().sizes() || v->second.sizes() != p.value().sizes()) {
      throw InputError("checkpoint optimizer state for '" + p.key() +
                       "' is missing or disagrees with the model (the file is damaged)");
    }
    auto s = std::make_unique<torch::optim::AdamParamState>();
    s->step(step->second);
    s->exp_avg(m->second.to(p.value().device()).clone());
    s->exp_avg_sq(v->second.to(p.value().device()).clone());
    state[optimizer_state_key<Map>(p.value())] = std::move(s);
  }
}

}  // namespace charrnn
