#include "charrnn/train/distributed.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <vector>

#include "charrnn/errors.h"

#if defined(CHARRNN_HAVE_GLOO)
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#if defined(CHARRNN_HAVE_GLOO) && defined(USE_C10D_NCCL)
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace charrnn {
namespace {

// LibTorch 2.4+ serves the TCPStore with libuv by default and refuses to start where it was
// built without libuv (Debian 13's 2.6: "use_libuv was requested but PyTorch was build without
// libuv support"). The classic backend is in every LibTorch, and a rendezvous and a few keys
// per run are all we ask of it. 1.13's options have no such field: the overload below is picked.
template <typename Options>
auto use_classic_store_backend(Options& o, int) -> decltype(o.useLibUV = false, void()) {
  o.useLibUV = false;
}
template <typename Options>
void use_classic_store_backend(Options&, long) {}

// The variable as an int in [lo, hi], or `fallback` when unset.
int env_int(const char* name, int fallback, int lo, int hi) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  errno = 0;
  const long x = std::strtol(v, &end, 10);
  if (errno != 0 || *end != '\0' || x < lo || x > hi) {
    throw InputError(std::string(name) + "='" + v + "' must be an integer in [" +
                     std::to_string(lo) + ", " + std::to_string(hi) +
                     "] (torchrun sets it; unset it for a single-process run)");
  }
  return static_cast<int>(x);
}

bool is_loopback(const std::string& addr) {
  return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1";
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

}  // namespace

DistEnv dist_env_from_environment() {
  DistEnv e;
  const bool has_rank = std::getenv("RANK") != nullptr;
  const bool has_world = std::getenv("WORLD_SIZE") != nullptr;
  if (has_rank != has_world) {
    throw InputError(std::string(has_rank ? "RANK" : "WORLD_SIZE") + " is set but " +
                     (has_rank ? "WORLD_SIZE" : "RANK") +
                     " is not (launch with torchrun or charrnn train --nproc N, or unset it)");
  }
  e.world = env_int("WORLD_SIZE", 1, 1, 1 << 16);
  e.rank = env_int("RANK", 0, 0, e.world - 1);
  e.local_world = env_int("LOCAL_WORLD_SIZE", 1, 1, e.world);
  e.local_rank = env_int("LOCAL_RANK", 0, 0, e.local_world - 1);
  if (const char* a = std::getenv("MASTER_ADDR"); a != nullptr && *a != '\0') e.master_addr = a;
  e.master_port = env_int("MASTER_PORT", e.master_port, 1, 65535);
  return e;
}

#if defined(CHARRNN_HAVE_GLOO)

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
#if defined(USE_C10D_NCCL)
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;
#endif
  bool on_cuda = false;  // tensors live on the GPU; Gloo then works on host copies

  // Runs `op` on the group's backend and waits for it; a lost rank becomes a one-line error.
  template <typename Op>
  void run(const char* what, int rank, Op&& op) {
    try {
#if defined(USE_C10D_NCCL)
      if (nccl) {
        op(*nccl)->wait();
        return;
      }
#endif
      op(*gloo)->wait();
    } catch (const std::exception& e) {
      throw std::runtime_error(
          "rank " + std::to_string(rank) + " lost the process group during " + what +
          " (another rank died, hung or was stopped): " + first_line(e.what()) +
          "; the run keeps its last checkpoint (restart with --resume)");
    }
  }
};

ProcessGroup::ProcessGroup(const DistEnv& env, const DistOptions& opts, const torch::Device& device)
    : env_(env), impl_(std::make_unique<Impl>()) {
  if (opts.backend != "auto" && opts.backend != "gloo" && opts.backend != "nccl") {
    throw InputError("unknown --dist-backend '" + opts.backend + "' (choose auto, gloo or nccl)");
  }
  require_input(opts.timeout > 0, "--dist-timeout must be > 0 seconds");
  impl_->on_cuda = device.is_cuda();
  // Gloo writes to its peers with writev(), which raises SIGPIPE when a peer has died: by
  // default that killed this rank silently, before it could say it lost the group and exit 1.
  // Ignored (as Python does for PyTorch), the write fails with EPIPE and Gloo throws.
  ::signal(SIGPIPE, SIG_IGN);
#if defined(USE_C10D_NCCL)
  const bool nccl_built = true;
#else
  const bool nccl_built = false;
#endif
  if (opts.backend == "nccl" && !(nccl_built && device.is_cuda())) {
    throw InputError(nccl_built ? "--dist-backend nccl needs --device cuda (use gloo on the CPU)"
                                : "--dist-backend nccl: this LibTorch has no NCCL (use gloo)");
  }
  backend_ =
      opts.backend == "auto" ? (nccl_built && device.is_cuda() ? "nccl" : "gloo") : opts.backend;
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(opts.timeout * 1000.0 + 0.5));
  // torchrun's agent may already serve the store at MASTER_ADDR:MASTER_PORT (its static
  // rendezvous): then every rank is a client, under a prefix per restart, as torch.distributed's
  // env:// initialisation does. Otherwise rank 0 serves it.
  const char* agent = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
  const bool agent_store = agent != nullptr && std::string(agent) == "True";
  c10d::TCPStoreOptions so;
  so.port = static_cast<uint16_t>(env.master_port);
  so.isServer = env.rank == 0 && !agent_store;
  so.numWorkers = env.world;
  so.waitWorkers = !agent_store;
  so.timeout = timeout;
  use_classic_store_backend(so, 0);
  try {
    impl_->store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
    if (agent_store) {
      const char* restart = std::getenv("TORCHELASTIC_RESTART_COUNT");
      impl_->store = c10::make_intrusive<c10d::PrefixStore>(
          std::string("/worker/attempt_") + (restart != nullptr ? restart : "0"), impl_->store);
    }
  } catch (const std::exception& e) {
    throw InputError("rank " + std::to_string(env.rank) + " could not meet the others at " +
                     env.master_addr + ":" + std::to_string(env.master_port) + ": " +
                     first_line(e.what()) +
                     " (is MASTER_PORT in use, or are some ranks not started?)");
  }
#if defined(USE_C10D_NCCL)
  if (backend_ == "nccl") {
    auto o = c10d::ProcessGroupNCCL::Options::create();
    o->timeout = timeout;
    impl_->nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl_->store, env.rank, env.world, o);
    return;
  }
#endif
  auto o = c10d::ProcessGroupGloo::Options::create(timeout);
  // Loopback runs stay on loopback; otherwise the interface that resolves this host's name,
  // or GLOO_SOCKET_IFNAME's, as torch.distributed does.
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname != nullptr && *ifname) {
    o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
  } else if (is_loopback(env.master_addr)) {
    o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  } else {
    o->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  }
  try {
    impl_->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, env.rank, env.world, o);
  } catch (const std::exception& e) {
    throw std::runtime_error("rank " + std::to_string(env.rank) +
                             " could not connect to the other ranks: " + first_line(e.what()));
  }
}

ProcessGroup::~ProcessGroup() = default;

void ProcessGroup::allreduce_sum(torch::Tensor& t) {
  const bool host_copy = impl_->on_cuda && backend_ == "gloo";
  std::vector<at::Tensor> v{host_copy ? t.cpu() : t};
  impl_->run("allreduce", env_.rank, [&](auto& pg) { return pg.allreduce(v); });
  if (host_copy) t.copy_(v[0]);
}

void ProcessGroup::broadcast(torch::Tensor& t, int root) {
  const bool host_copy = impl_->on_cuda && backend_ == "gloo";
  std::vector<at::Tensor> v{host_copy ? t.cpu() : t};
  c10d::BroadcastOptions o;
  o.rootRank = root;
  impl_->run("broadcast", env_.rank, [&](auto& pg) { return pg.broadcast(v, o); });
  if (host_copy) t.copy_(v[0]);
}

torch::Tensor ProcessGroup::allgather(const torch::Tensor& t, int64_t dim) {
  const bool host_copy = impl_->on_cuda && backend_ == "gloo";
  std::vector<at::Tensor> in{(host_copy ? t.cpu() : t).contiguous()};
  std::vector<std::vector<at::Tensor>> out(1);
  for (int r = 0; r < env_.world; ++r) out[0].push_back(torch::empty_like(in[0]));
  impl_->run("allgather", env_.rank, [&](auto& pg) { return pg.allgather(out, in); });
  return torch::cat(out[0], dim).to(t.device());
}

#else  // !CHARRNN_HAVE_GLOO

struct ProcessGroup::Impl {};

ProcessGroup::ProcessGroup(const DistEnv& env, const DistOptions&, const torch::Device&)
    : env_(env) {
  throw InputError(
      "this charrnn was built without c10d's Gloo headers, so it cannot train on several "
      "processes (install libgloo-dev and rebuild, or unset WORLD_SIZE)");
}
ProcessGroup::~ProcessGroup() = default;
void ProcessGroup::allreduce_sum(torch::Tensor&) {}
void ProcessGroup::broadcast(torch::Tensor&, int) {}
torch::Tensor ProcessGroup::allgather(const torch::Tensor& t, int64_t) { return t; }

#endif

}  // namespace charrnn
