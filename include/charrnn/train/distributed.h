// Data-parallel training on LibTorch's c10d: one rank per process, each owning a contiguous range
// of the B streams; gradients are averaged in one flat buffer before clipping, so every rank takes
// the same Adam step and holds the same weights. Gloo on the CPU, NCCL on CUDA when LibTorch has
// it. Ranks meet through torchrun's environment (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, ...),
// which `charrnn train --nproc N` also sets for its own workers.
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>

namespace charrnn {

// Where this process stands in the group, from torchrun's variables. Unset: a group of one.
struct DistEnv {
  int rank = 0;         // RANK
  int world = 1;        // WORLD_SIZE
  int local_rank = 0;   // LOCAL_RANK: the rank among this machine's processes (picks the GPU)
  int local_world = 1;  // LOCAL_WORLD_SIZE: processes on this machine (divides the cores)
  std::string master_addr = "127.0.0.1";  // MASTER_ADDR: where rank 0's store listens
  int master_port = 29500;                // MASTER_PORT
  bool distributed() const { return world > 1; }
};

// Reads the variables; throws InputError naming the variable when one is malformed or when
// RANK is set without WORLD_SIZE (or the reverse).
DistEnv dist_env_from_environment();

struct DistOptions {
  std::string backend = "auto";  // auto (NCCL on CUDA when present, else Gloo) | gloo | nccl
  double timeout = 120;          // seconds a rank waits for the others before it gives up
};

// This rank's part of `n` items (streams): [begin, end), contiguous, the same split on every rank.
struct Shard {
  int rank = 0;
  int world = 1;
  int64_t begin(int64_t n) const { return n * rank / world; }
  int64_t end(int64_t n) const { return n * (rank + 1) / world; }
};

// The process group. Collectives are blocking and must be called by every rank in the same
// order; a rank that died or hangs makes them throw DistError within the timeout.
class ProcessGroup {
 public:
  ProcessGroup(const DistEnv& env, const DistOptions& opts, const torch::Device& device);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return env_.rank; }
  int world() const { return env_.world; }
  const std::string& backend() const { return backend_; }

  // In place: t becomes the element-wise sum over the ranks. t: any shape, float32 or float64.
  void allreduce_sum(torch::Tensor& t);
  // In place: t becomes rank `root`'s t.
  void broadcast(torch::Tensor& t, int root = 0);
  // Every rank's t (same shape everywhere), concatenated in rank order along `dim`.
  torch::Tensor allgather(const torch::Tensor& t, int64_t dim);

 private:
  struct Impl;
  DistEnv env_;
  std::string backend_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace charrnn
