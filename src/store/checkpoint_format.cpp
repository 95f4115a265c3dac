#include "charrnn/store/checkpoint_format.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "charrnn/errors.h"
#include "charrnn/store/config_json.h"
#include "charrnn/util/json_writer.h"

using nlohmann::json;

namespace charrnn {
namespace {

constexpr char kMagic[8] = {'C', 'H', 'A', 'R', 'R', 'N', 'N', '\0'};
constexpr size_t kFixed = sizeof kMagic + sizeof(uint32_t) + sizeof(uint64_t);  // 20 bytes
constexpr uint64_t kMaxHeader = 64ull << 20;  // a header is a few KB; more means corruption
constexpr uint64_t kMaxElements = uint64_t{1} << 40;

[[noreturn]] void corrupt(const std::string& what) {
  throw InputError("truncated or corrupt (" + what + ")");
}

// A header integer, checked to be one and to fit T (see json_integer).
template <typename T>
T integer(const json& v, const std::string& what) {
  try {
    return json_integer<T>(v, what);
  } catch (const InputError& e) {
    corrupt(e.what());
  }
}

}  // namespace

size_t dtype_size(const std::string& dtype) {
  if (dtype == "f32") return 4;
  if (dtype == "f64" || dtype == "i64") return 8;
  if (dtype == "u8") return 1;
  return 0;
}

uint32_t crc32_update(uint32_t crc, const void* data, size_t n) {
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
  return {{"step", p.step},
          {"epoch", p.epoch},
          {"batch_in_epoch", p.batch_in_epoch},
          {"elapsed", p.elapsed},
          {"best_val", num(p.best_val)},
          {"last_val", num(p.last_val)},
          {"lr_scale", p.lr_scale}};
}

Progress progress_from_json(const json& j) {
  Progress p;
  try {
    auto num = [&](const char* k, double missing) {
      return j.at(k).is_null() ? missing : j.at(k).get<double>();
    };
    p.step = integer<int64_t>(j.at("step"), "step");
    p.epoch = integer<int64_t>(j.at("epoch"), "epoch");
    p.batch_in_epoch = integer<int64_t>(j.at("batch_in_epoch"), "batch_in_epoch");
    p.elapsed = j.at("elapsed").get<double>();
    p.best_val = num("best_val", std::numeric_limits<double>::infinity());
    p.last_val = num("last_val", std::numeric_limits<double>::quiet_NaN());
    // Absent from checkpoints written before NaN rollback existed: full rate.
    p.lr_scale = j.contains("lr_scale") ? j.at("lr_scale").get<double>() : 1.0;
  } catch (const json::exception& e) {
    corrupt(std::string("progress: ") + e.what());
  }
  if (p.step < 0 || p.epoch < 0 || p.batch_in_epoch < 0) corrupt("negative progress");
  if (!(p.lr_scale > 0 && p.lr_scale <= 1)) corrupt("learning-rate scale outside (0, 1]");
  return p;
}

std::string encode_checkpoint_prefix(const json& header) {
  // Paths are bytes, not always UTF-8: dump_json replaces what JSON cannot hold.
  const std::string text = dump_json(header);
  const uint32_t version = kCheckpointVersion;
  const uint64_t header_len = text.size();
  std::string out(kMagic, sizeof kMagic);
  out.append(reinterpret_cast<const char*>(&version), sizeof version);
  out.append(reinterpret_cast<const char*>(&header_len), sizeof header_len);
  out += text;
  return out;
}

namespace {

// The fixed prefix and the CRC: magic, a version this build reads, a header length that fits,
// and a checksum over everything before the CRC. Returns the header length.
uint64_t check_frame(const char* data, size_t size, uint32_t& version) {
  if (size < kFixed + sizeof(uint32_t) || std::memcmp(data, kMagic, sizeof kMagic) != 0) {
    throw InputError("not a charrnn checkpoint");
  }
  uint64_t header_len = 0;
  std::memcpy(&version, data + 8, sizeof version);
  std::memcpy(&header_len, data + 12, sizeof header_len);
  if (version > kCheckpointVersion) {
    throw InputError("of format version " + std::to_string(version) +
                     ", newer than this charrnn reads (" + std::to_string(kCheckpointVersion) +
                     "): upgrade charrnn");
  }
  if (version == 0) corrupt("format version 0");
  const size_t body = size - sizeof(uint32_t);  // everything the CRC covers
  if (header_len > kMaxHeader || header_len > body - kFixed) corrupt("bad header length");
  uint32_t stored_crc = 0;
  std::memcpy(&stored_crc, data + body, sizeof stored_crc);
  if (crc32_update(0, data, body) != stored_crc) corrupt("checksum mismatch");
  return header_len;
}

// The header's configuration, progress and optimizer step counts.
void read_run_state(const json& header, ParsedCheckpoint& out) {
  try {
    out.model = model_config_from_json(header.at("model"));
    out.train = train_config_from_json(header.at("train"));
  } catch (const InputError& e) {
    corrupt(std::string("header: ") + e.what());
  }
  out.progress = progress_from_json(header.at("progress"));
  if (!header.at("adam_steps").is_object()) corrupt("adam_steps is not an object");
  for (const auto& [name, steps] : header.at("adam_steps").items()) {
    out.adam_steps[name] = integer<int64_t>(steps, "adam_steps");
  }
  for (const auto& [name, steps] : out.adam_steps) {
    if (steps < 0) corrupt("negative optimizer step count for '" + name + "'");
  }
}

// One entry of the tensor table, its name new to `names`, its dtype, shape and size checked
// (not yet its place).
TensorRecord read_tensor_record(const json& t, std::set<std::string>& names) {
  TensorRecord r;
  r.name = t.at("name").get<std::string>();
  r.dtype = t.at("dtype").get<std::string>();
  if (!t.at("shape").is_array()) corrupt("a tensor shape is not an array");
  for (const auto& s : t.at("shape")) r.shape.push_back(integer<int64_t>(s, "shape"));
  r.bytes = integer<uint64_t>(t.at("bytes"), "bytes");
  if (!names.insert(r.name).second) corrupt("tensor '" + r.name + "' appears twice");
  const size_t elem = dtype_size(r.dtype);
  if (elem == 0) corrupt("unknown tensor dtype '" + r.dtype + "'");
  if (r.shape.size() > 8) corrupt("tensor '" + r.name + "' has too many dimensions");
  uint64_t numel = 1;
  for (auto s : r.shape) {
    if (s < 0 || (s > 0 && numel > kMaxElements / static_cast<uint64_t>(s))) {
      corrupt("bad shape for tensor '" + r.name + "'");
    }
    numel *= static_cast<uint64_t>(s);
  }
  if (numel * elem != r.bytes) corrupt("tensor '" + r.name + "' does not fit");
  return r;
}

// The tensor table: distinct names, laid end to end from `offset`, filling the payload to `end`.
void read_tensor_table(const json& table, uint64_t offset, uint64_t end, ParsedCheckpoint& out) {
  std::set<std::string> names;
  for (const auto& t : table) {
    TensorRecord r = read_tensor_record(t, names);
    if (r.bytes > end - offset) corrupt("tensor '" + r.name + "' does not fit");
    r.offset = offset;
    offset += r.bytes;
    out.tensors.push_back(std::move(r));
  }
  if (offset != end) corrupt("trailing bytes");
}

}  // namespace

ParsedCheckpoint parse_checkpoint(const char* data, size_t size) {
  ParsedCheckpoint out;
  const uint64_t header_len = check_frame(data, size, out.version);
  const size_t body = size - sizeof(uint32_t);  // header + payload
  try {
    const json header = json::parse(data + kFixed, data + kFixed + header_len);
    read_run_state(header, out);
    read_tensor_table(header.at("tensors"), kFixed + header_len, body, out);
  } catch (const json::exception& e) {
    corrupt(std::string("header: ") + e.what());
  }
  return out;
}

}  // namespace charrnn
