// CheckpointFormat: the checkpoint file's bytes, without LibTorch — framing, header, checksum.
//
// Layout (little-endian):
//   "CHARRNN\0" magic (8 bytes) | u32 format version | u64 header length | header JSON
//   | tensor payload (raw, in header order) | u32 CRC-32 of every byte before it.
// The JSON header holds the model and training configuration, progress, and for each tensor
// its name, dtype, shape and byte length.
//
// This layer is torch-free so that it can be fuzzed with clang's libFuzzer (tests/fuzz/);
// checkpoint.cpp turns the tensor records it returns into tensors.
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "charrnn/config.h"

namespace charrnn {

constexpr uint32_t kCheckpointVersion = 1;

// Where a run stands; enough to continue it exactly.
struct Progress {
  int64_t step = 0;            // optimizer steps done
  int64_t epoch = 0;           // epoch in progress (0-based)
  int64_t batch_in_epoch = 0;  // next batch of that epoch
  double elapsed = 0;          // training seconds so far, summed over resumes
  double best_val = std::numeric_limits<double>::infinity();   // best validation nats/byte
  double last_val = std::numeric_limits<double>::quiet_NaN();  // latest validation nats/byte
  double lr_scale = 1.0;  // multiplies the scheduled --lr; halved by each NaN/Inf rollback
};

nlohmann::json progress_to_json(const Progress& p);
// Throws InputError when a field is missing, mistyped or out of range.
Progress progress_from_json(const nlohmann::json& j);

// One tensor as the header describes it; its bytes are data[offset, offset + bytes).
struct TensorRecord {
  std::string name;
  std::string dtype;  // "f32" | "f64" | "i64" | "u8"
  std::vector<int64_t> shape;
  uint64_t offset = 0;
  uint64_t bytes = 0;
};

// A checkpoint's bytes, validated: everything but the tensors' values.
struct ParsedCheckpoint {
  uint32_t version = 0;
  ModelConfig model;
  TrainConfig train;
  Progress progress;
  std::map<std::string, int64_t> adam_steps;
  std::vector<TensorRecord> tensors;  // in file order, distinct names, tiling the payload
};

// Bytes per element of a dtype name; 0 for an unknown one.
size_t dtype_size(const std::string& dtype);

// Validates magic, version, header length, CRC-32, header JSON, configuration ranges and the
// tensor table against the payload. Throws InputError whose message is the problem alone
// ("truncated or corrupt (checksum mismatch)", "format version 7, newer than ..."); the caller
// adds the path and the hint.
ParsedCheckpoint parse_checkpoint(const char* data, size_t size);
inline ParsedCheckpoint parse_checkpoint(const std::vector<char>& bytes) {
  return parse_checkpoint(bytes.data(), bytes.size());
}

// Everything before the payload: magic, version, header length, header JSON.
std::string encode_checkpoint_prefix(const nlohmann::json& header);

// CRC-32 (zlib's), continued from `crc` (0 to start).
uint32_t crc32_update(uint32_t crc, const void* data, size_t n);

}  // namespace charrnn
