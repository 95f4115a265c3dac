#include "charrnn/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "charrnn/config_json.h"
#include "charrnn/errors.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace charrnn {
namespace {

constexpr char kMagic[8] = {'C', 'H', 'A', 'R', 'R', 'N', 'N', '\0'};
constexpr uint64_t kMaxHeader = 64ull << 20;  // a header is a few KB; more means corruption

struct DType {
  const char* name;
  at::ScalarType type;
};
constexpr DType kDTypes[] = {{"f32", at::kFloat}, {"f64", at::kDouble}, {"i64", at::kLong},
                             {"u8", at::kByte}};

const char* dtype_name(at::ScalarType t) {
  for (const auto& d : kDTypes) {
    if (d.type == t) return d.name;
  }
  throw std::runtime_error("checkpoint: unsupported tensor dtype");
}

uint32_t crc_update(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const Bytef*>(data);
  while (n > 0) {  // zlib takes uInt lengths
    const auto chunk = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    crc = static_cast<uint32_t>(crc32(crc, p, chunk));
    p += chunk;
    n -= chunk;
  }
  return crc;
}

json progress_to_json(const Progress& p) {
  auto num = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  return {{"step", p.step},          {"epoch", p.epoch},
          {"batch_in_epoch", p.batch_in_epoch}, {"elapsed", p.elapsed},
          {"best_val", num(p.best_val)},         {"last_val", num(p.last_val)}};
}

Progress progress_from_json(const json& j) {
  Progress p;
  auto num = [&](const char* k, double missing) {
    return j.at(k).is_null() ? missing : j.at(k).get<double>();
  };
  p.step = j.at("step").get<int64_t>();
  p.epoch = j.at("epoch").get<int64_t>();
  p.batch_in_epoch = j.at("batch_in_epoch").get<int64_t>();
  p.elapsed = j.at("elapsed").get<double>();
  p.best_val = num("best_val", std::numeric_limits<double>::infinity());
  p.last_val = num("last_val", std::numeric_limits<double>::quiet_NaN());
  if (p.step < 0 || p.epoch < 0 || p.batch_in_epoch < 0) throw InputError("negative progress");
  return p;
}

void write_all(int fd, const void* data, size_t n, const std::string& path) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      throw InputError("cannot write checkpoint '" + path + "': " + std::strerror(errno) +
                       " (free some disk space or choose another --out)");
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

[[noreturn]] void bad_file(const std::string& path, const std::string& problem) {
  throw InputError("checkpoint '" + path + "' is " + problem +
                   " (use another checkpoint, e.g. the run folder's latest.ckpt, or retrain)");
}

// The optimizer keys its state by parameter identity; LibTorch 1.x uses a string of the
// TensorImpl address, 2.x the address itself.
template <typename Map>
typename Map::key_type state_key(const at::Tensor& p) {
  if constexpr (std::is_same_v<typename Map::key_type, std::string>) {
    return c10::guts::to_string(p.unsafeGetTensorImpl());
  } else {
    return p.unsafeGetTensorImpl();
  }
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
  const std::string text = header.dump();

  const fs::path target(path);
  const fs::path tmp = target.string() + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw InputError("cannot write checkpoint '" + path + "': " + std::strerror(errno) +
                     " (check that the run folder is writable, or choose another --out)");
  }
  try {
    uint32_t crc = 0;
    auto put = [&](const void* data, size_t n) {
      write_all(fd, data, n, path);
      crc = crc_update(crc, data, n);
    };
    const uint32_t version = kCheckpointVersion;
    const uint64_t header_len = text.size();
    put(kMagic, sizeof kMagic);
    put(&version, sizeof version);
    put(&header_len, sizeof header_len);
    put(text.data(), text.size());
    for (const auto& t : payload) put(t.data_ptr(), t.nbytes());
    write_all(fd, &crc, sizeof crc, path);
    if (::fsync(fd) != 0) {
      throw InputError("cannot write checkpoint '" + path + "': " + std::strerror(errno) +
                       " (free some disk space or choose another --out)");
    }
  } catch (...) {
    ::close(fd);
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
  if (::close(fd) != 0) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw InputError("cannot write checkpoint '" + path + "': " + std::strerror(errno));
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);  // atomic: readers see the old file or the new one
  if (ec) {
    fs::remove(tmp, ec);
    throw InputError("cannot replace checkpoint '" + path + "': " + ec.message());
  }
  // Make the rename itself durable.
  const int dfd = ::open(target.parent_path().empty() ? "." : target.parent_path().c_str(),
                         O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

Checkpoint load_checkpoint(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    throw InputError("checkpoint '" + path + "' does not exist (pass --model with a .ckpt file "
                     "or a run folder under models/)");
  }
  if (fs::is_directory(path, ec)) {
    throw InputError("'" + path + "' is a folder without checkpoints (train into it first)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read checkpoint '" + path + "': " + std::strerror(errno));
  std::vector<char> buf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  const size_t fixed = sizeof kMagic + sizeof(uint32_t) + sizeof(uint64_t);
  if (buf.size() < fixed + sizeof(uint32_t) || std::memcmp(buf.data(), kMagic, 8) != 0) {
    bad_file(path, "not a charrnn checkpoint");
  }
  uint32_t version = 0;
  uint64_t header_len = 0;
  std::memcpy(&version, buf.data() + 8, sizeof version);
  std::memcpy(&header_len, buf.data() + 12, sizeof header_len);
  if (version > kCheckpointVersion) {
    throw InputError("checkpoint '" + path + "' has format version " + std::to_string(version) +
                     ", newer than this charrnn reads (" + std::to_string(kCheckpointVersion) +
                     "): upgrade charrnn");
  }
  if (version == 0) bad_file(path, "corrupt (format version 0)");
  const size_t body = buf.size() - sizeof(uint32_t);
  if (header_len > kMaxHeader || header_len > body - fixed) {
    bad_file(path, "truncated or corrupt (bad header length)");
  }
  uint32_t stored_crc = 0;
  std::memcpy(&stored_crc, buf.data() + body, sizeof stored_crc);
  if (crc_update(0, buf.data(), body) != stored_crc) {
    bad_file(path, "truncated or corrupt (checksum mismatch)");
  }

  Checkpoint ckpt;
  try {
    const json header = json::parse(buf.begin() + fixed, buf.begin() + fixed + header_len);
    ckpt.model = model_config_from_json(header.at("model"));
    ckpt.train = train_config_from_json(header.at("train"));
    ckpt.progress = progress_from_json(header.at("progress"));
    ckpt.adam_steps = header.at("adam_steps").get<std::map<std::string, int64_t>>();
    size_t offset = fixed + header_len;
    for (const auto& t : header.at("tensors")) {
      const auto name = t.at("name").get<std::string>();
      const auto dtype = t.at("dtype").get<std::string>();
      const auto shape = t.at("shape").get<std::vector<int64_t>>();
      const auto nbytes = t.at("bytes").get<uint64_t>();
      const DType* d = nullptr;
      for (const auto& cand : kDTypes) {
        if (dtype == cand.name) d = &cand;
      }
      if (d == nullptr) bad_file(path, "corrupt (unknown tensor dtype '" + dtype + "')");
      uint64_t numel = 1;
      for (auto s : shape) {
        if (s < 0 || (s > 0 && numel > (uint64_t{1} << 40) / static_cast<uint64_t>(s))) {
          bad_file(path, "corrupt (bad shape for tensor '" + name + "')");
        }
        numel *= static_cast<uint64_t>(s);
      }
      if (numel * c10::elementSize(d->type) != nbytes || nbytes > body - offset) {
        bad_file(path, "truncated or corrupt (tensor '" + name + "' does not fit)");
      }
      auto tensor = at::empty(shape, at::TensorOptions().dtype(d->type));
      std::memcpy(tensor.data_ptr(), buf.data() + offset, nbytes);
      offset += nbytes;
      ckpt.tensors[name] = tensor;
    }
    if (offset != body) bad_file(path, "corrupt (trailing bytes)");
  } catch (const json::exception& e) {
    bad_file(path, std::string("corrupt (header: ") + e.what() + ")");
  }
  return ckpt;
}

std::string resolve_checkpoint_path(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return path;
  for (const char* name : {"best.ckpt", "latest.ckpt"}) {
    const auto p = fs::path(path) / name;
    if (fs::exists(p, ec)) return p.string();
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
    auto it = state.find(state_key<Map>(p.value()));
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
    state[state_key<Map>(p.value())] = std::move(s);
  }
}

}  // namespace charrnn
