// Stepper: one byte per stream per call. On the CPU it bypasses autograd and ATen dispatch:
// weights are snapshotted into contiguous buffers laid out for the step and packed once for the
// small-M kernel (packed_gemm.h), layer 1's input term is a row lookup, every other product is
// one packed multiply into preallocated memory, and the gate update is one vectorized pass.
// Elsewhere (CUDA) it runs the model's own forward.
#include "charrnn/model/stepper.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <atomic>
#include <cstring>
#include <initializer_list>
#include <vector>

#include "charrnn/errors.h"
#include "lstm_kernels.h"
#include "packed_gemm.h"

namespace charrnn {

namespace {

kernels::Storage storage_of(WeightFormat weights) {
  return weights == WeightFormat::bf16   ? kernels::Storage::bf16
         : weights == WeightFormat::int8 ? kernels::Storage::int8
                                         : kernels::Storage::fp32;
}

// Fast CPU path. Per layer k the buffer xh[k] (B,2H) holds [input to layer k | h_k], so layers
// above the first do their input and recurrent products in one GEMM against [w_ih | w_hh].
struct CpuStep {
  int64_t B, L, H;
  at::Tensor table;               // (256,4H): w_ih_l0^T + b_ih_l0 + b_hh_l0, row v = input term
  at::Tensor w_hh0;               // (4H,H)
  std::vector<at::Tensor> w_cat;  // k >= 1: (4H,2H) = [w_ih_lk | w_hh_lk]
  std::vector<at::Tensor> bias;   // k >= 1: (4H) = b_ih_lk + b_hh_lk
  at::Tensor w_head, b_head;      // (256,H), (256)
  at::Tensor gates;               // (B,4H) scratch
  at::Tensor g0;                  // (B,4H) h_0 @ w_hh0^T, a step ahead (see step())
  std::vector<at::Tensor> xh;     // L x (B,2H)
  std::vector<at::Tensor> c;      // L x (B,H)
  // The same weights packed for the small-M products, one per layer plus the head.
  std::vector<kernels::PackedMatrix> packed;
  bool split = false;  // products split over the intra-op threads (see products())
  // This step walks its weights backwards (see products()). Atomic: rows of one Stepper may
  // step on several threads at once (step_rows); the order only moves cache hits.
  std::atomic<bool> reverse{false};

  CpuStep(const CharLSTM& model, int64_t batch, WeightFormat weights) : B(batch) {
    const ModelConfig& cfg = model->config();
    L = cfg.layers, H = cfg.hidden;
    auto p = model->lstm->named_parameters();
    auto get = [&](const std::string& name) {
      return p[name].detach().to(at::kFloat).clone(at::MemoryFormat::Contiguous);
    };
    const kernels::Storage storage = storage_of(weights);
    // int8 scales (weight_format.h): per layer, one per row of [w_ih | w_hh]; null otherwise.
    std::vector<std::vector<float>> scales(L + 1);
    // Layer 1's input weights are read one row per byte, so they stay float, but hold the values
    // the other weights are rounded to: every weight of the model has the same format.
    at::Tensor w_ih0 = get("weight_ih_l0");
    w_hh0 = get("weight_hh_l0");
    if (storage == kernels::Storage::bf16) {
      kernels::round_to_bf16(w_ih0.data_ptr<float>(), w_ih0.numel());
    } else if (storage == kernels::Storage::int8) {
      scales[0] = int8_row_scales({w_ih0, w_hh0});
      for (int64_t j = 0; j < w_ih0.size(0); ++j)  // (4H,256): row j has scale j
        kernels::round_to_int8(w_ih0.data_ptr<float>() + j * kVocab, kVocab, scales[0][j]);
    }
    table = w_ih0.t().contiguous().add_(get("bias_ih_l0") + get("bias_hh_l0"));
    for (int64_t k = 1; k < L; ++k) {
      const std::string s = std::to_string(k);
      const at::Tensor w_ih = get("weight_ih_l" + s), w_hh = get("weight_hh_l" + s);
      if (storage == kernels::Storage::int8) scales[k] = int8_row_scales({w_ih, w_hh});
      w_cat.push_back(at::cat({w_ih, w_hh}, 1));
      bias.push_back(get("bias_ih_l" + s) + get("bias_hh_l" + s));
    }
    w_head = model->head->weight.detach().to(at::kFloat).contiguous().clone();
    b_head = model->head->bias.detach().to(at::kFloat).contiguous().clone();
    gates = at::empty({B, 4 * H}, at::kFloat);
    g0 = at::zeros({B, 4 * H}, at::kFloat);  // h_0 = 0
    for (int64_t k = 0; k < L; ++k) {
      xh.push_back(at::zeros({B, 2 * H}, at::kFloat));
      c.push_back(at::zeros({B, H}, at::kFloat));
    }
    const int64_t G = 4 * H;
    if (storage == kernels::Storage::int8) scales[L] = int8_row_scales({w_head});
    auto scales_of = [&](int64_t k) { return scales[k].empty() ? nullptr : scales[k].data(); };
    const kernels::Isa isa = kernels::active_isa();
    packed.emplace_back(w_hh0.data_ptr<float>(), H, /*trans_b=*/true, H, G, isa, storage,
                        scales_of(0));
    for (int64_t k = 1; k < L; ++k)
      packed.emplace_back(w_cat[k - 1].data_ptr<float>(), 2 * H, true, 2 * H, G, isa, storage,
                          scales_of(k));
    packed.emplace_back(w_head.data_ptr<float>(), H, true, H, kVocab, isa, storage, scales_of(L));
    split = step_weight_bytes(cfg, weights) > kernels::l2_cache_bytes();
  }

  void reset() {
    for (auto& t : xh) t.zero_();
    for (auto& t : c) t.zero_();
    g0.zero_();
  }

  void reset_row(int64_t r) {
    for (auto& t : xh) t[r].zero_();
    for (auto& t : c) t[r].zero_();
    g0[r].zero_();
  }

  void copy_row(int64_t from, int64_t to) {
    for (auto& t : xh) t[to].copy_(t[from]);
    for (auto& t : c) t[to].copy_(t[from]);
    g0[to].copy_(g0[from]);
  }

  // One product c (n, w's columns) = a (n, w.k) @ w + beta * c.
  struct Product {
    const kernels::PackedMatrix& w;
    const float* a;
    int64_t lda;
    float beta;
    float* c;
    int64_t ldc;
  };

  // Independent products, in order (reversed on a reverse step). When the weights are bigger
  // than a core's L2 cache (a 2x512 model: 13 MB per byte in fp32) every step streams them
  // from L3, so each product is split by column panels over the intra-op threads, adding the
  // other cores' bandwidth: thread t always takes the same share of each matrix, and walks it
  // in groups of 4 panels (batch 1's tile), forwards on one step and backwards on the next.
  // What a core read last is then what it reads first, still in its L2 (2x512 batch 1 on 2
  // threads: 15-25% more bytes/s than walking forwards every step). Each column's sum is the
  // same either way, so the bytes do not depend on the thread count or the order. Weights
  // that stay in L2 (2x128, 0.9 MB, on a 2 MB L2) make each product a few microseconds, too
  // short to gain from a fork/join. Inside a parallel region (generate's stream groups) each
  // thread already has its own Stepper.
  void products(int64_t n, std::initializer_list<Product> list) const {
    const Product* const first = list.begin();
    const int64_t count = static_cast<int64_t>(list.size());
    const bool back = reverse.load(std::memory_order_relaxed);
    // i-th product in this step's order (a name other than `at`, which is ATen's namespace)
    auto nth = [&](int64_t i) -> const Product& { return first[back ? count - 1 - i : i]; };
    if (!split || at::in_parallel_region()) {
      for (int64_t i = 0; i < count; ++i) {
        const Product& p = nth(i);
        p.w.multiply(n, p.a, p.lda, p.beta, p.c, p.ldc);
      }
      return;
    }
    constexpr int64_t kGroup = 4;
    const int64_t threads = at::get_num_threads();
    auto share = [&](int64_t t) {  // thread t's panel groups of each product
      for (int64_t i = 0; i < count; ++i) {
        const Product& p = nth(i);
        const int64_t groups = (p.w.panels() + kGroup - 1) / kGroup;
        const int64_t lo = groups * t / threads, hi = groups * (t + 1) / threads;
        for (int64_t j = 0; j < hi - lo; ++j) {
          const int64_t g = back ? hi - 1 - j : lo + j;
          p.w.multiply_panels(n, p.a, p.lda, p.beta, p.c, p.ldc, g * kGroup,
                              std::min((g + 1) * kGroup, p.w.panels()));
        }
      }
    };
    if (threads == 1) return share(0);
    at::parallel_for(0, threads, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) share(t);
    });
  }

  // Fill each of the first `rows` rows of the (rows,n) matrix `dst` with the vector `row`.
  static void fill_rows(float* dst, const float* row, int64_t n, int64_t rows) {
    for (int64_t b = 0; b < rows; ++b) std::memcpy(dst + b * n, row, n * sizeof(float));
  }

  // Rows [first, first + n) step; the others keep their state (the buffers keep B rows).
  // Layer 0's recurrent term h_0 @ w_hh0^T does not depend on the next byte, so each step
  // computes it for the next one (g0), beside layer 1's product: both read the same h_0, and
  // one parallel region covers them.
  void step(int64_t first, int64_t n, const uint8_t* bytes, float* logits) {
    const int64_t G = 4 * H, ld = 2 * H;
    float* g = gates.data_ptr<float>() + first * G;
    float* g_next0 = g0.data_ptr<float>() + first * G;
    const float* tab = table.data_ptr<float>();
    // c updates in place (each element is read before it is written); h replaces h_prev.
    // Layer 0: gates = g0 + each row's byte's table row (its input term and biases) as that
    // row's bias of the gate update (no copy, no second pass).
    float* h0 = xh[0].data_ptr<float>() + first * ld + H;
    float* c0 = c[0].data_ptr<float>() + first * H;
    for (int64_t b = 0; b < n; ++b) {
      kernels::lstm_gates_forward(1, H, g_next0 + b * G, G, tab + bytes[b] * G, c0 + b * H, H,
                                  c0 + b * H, H, nullptr, 0, h0 + b * ld, ld);
    }
    const Product next0{packed[0], h0, ld, 0.f, g_next0, G};
    for (int64_t k = 1; k < L; ++k) {
      float* x = xh[k].data_ptr<float>() + first * ld;  // (n,2H): [input | h_prev]
      float* ck = c[k].data_ptr<float>() + first * H;
      // input half := h of the layer below; gates = [x | h_prev] (n,2H) @ w_cat^T, + bias
      const float* below = xh[k - 1].data_ptr<float>() + first * ld + H;
      for (int64_t b = 0; b < n; ++b) std::memcpy(x + b * ld, below + b * ld, H * sizeof(float));
      const Product layer{packed[k], x, ld, 0.f, g, G};
      if (k == 1) {
        products(n, {next0, layer});
      } else {
        products(n, {layer});
      }
      kernels::lstm_gates_forward(n, H, g, G, bias[k - 1].data_ptr<float>(), ck, H, ck, H, nullptr,
                                  0, x + H, ld);
    }
    // logits (n,256) = b_head + h_top (n,H) @ w_head^T; a one-layer model's head reads h_0 too
    fill_rows(logits, b_head.data_ptr<float>(), kVocab, n);
    const Product head{packed[L], xh[L - 1].data_ptr<float>() + first * ld + H, ld, 1.f, logits,
                       kVocab};
    if (L == 1) {
      products(n, {next0, head});
    } else {
      products(n, {head});
    }
    reverse.store(!reverse.load(std::memory_order_relaxed), std::memory_order_relaxed);
  }
};

}  // namespace

int64_t step_weight_bytes(const ModelConfig& cfg, WeightFormat weights) {
  const int64_t H = cfg.hidden, G = 4 * H;
  // w_hh of layer 1, [w_ih | w_hh] of each layer above, the head
  const int64_t elements = H * G + (cfg.layers - 1) * 2 * H * G + H * kVocab;
  return elements * kernels::element_bytes(storage_of(weights));
}

struct Stepper::Impl {
  CharLSTM model;
  int64_t batch;
  std::unique_ptr<CpuStep> cpu;  // null: reference path through model->forward
  State state;                   // reference path only
};

Stepper::Stepper(const CharLSTM& model, int64_t batch, WeightFormat weights)
    : impl_(new Impl{model, batch, {}, {}}) {
  c10::InferenceMode guard;
  if (model->device().is_cpu()) {
    impl_->cpu = std::make_unique<CpuStep>(model, batch, weights);
  } else if (weights != WeightFormat::fp32) {
    throw InputError(std::string("--weights ") + weight_format_name(weights) +
                     " is for generation on the CPU (use --device cpu, or --weights fp32)");
  }
  reset();
}

Stepper::~Stepper() = default;

int64_t Stepper::batch() const { return impl_->batch; }

void Stepper::reset() {
  c10::InferenceMode guard;
  if (impl_->cpu) {
    impl_->cpu->reset();
    return;
  }
  impl_->state = impl_->model->initial_state(impl_->batch);
}

void Stepper::step(const uint8_t* bytes, float* logits) {
  step_rows(0, impl_->batch, bytes, logits);
}

void Stepper::step_rows(int64_t first, int64_t rows, const uint8_t* bytes, float* logits) {
  TORCH_CHECK(first >= 0 && rows >= 0 && first + rows <= impl_->batch, "Stepper::step_rows: rows ",
              first, "..", first + rows, " of ", impl_->batch);
  if (rows == 0) return;
  c10::InferenceMode guard;
  auto& m = *impl_;
  if (m.cpu) {
    m.cpu->step(first, rows, bytes, logits);
    return;
  }
  // Reference path. x: (rows,1) int64; those streams' h and c (L,rows,H).
  auto x = torch::empty({rows, 1}, torch::kLong);
  for (int64_t b = 0; b < rows; ++b) x[b][0] = static_cast<int64_t>(bytes[b]);
  const bool was_training = m.model->is_training();
  m.model->eval();
  const State part{m.state.h.narrow(1, first, rows), m.state.c.narrow(1, first, rows)};
  auto [out, next] = m.model->forward(x.to(m.model->device()), part);
  if (was_training) m.model->train();
  if (rows == m.batch) {
    m.state = next;
  } else {
    m.state.h.narrow(1, first, rows).copy_(next.h);
    m.state.c.narrow(1, first, rows).copy_(next.c);
  }
  // out: (rows,1,256) → logits (rows,256)
  auto cpu = out.reshape({rows, kVocab}).to(torch::kCPU, torch::kFloat).contiguous();
  std::memcpy(logits, cpu.data_ptr<float>(), sizeof(float) * rows * kVocab);
}

void Stepper::reset_row(int64_t row) {
  c10::InferenceMode guard;
  if (impl_->cpu) return impl_->cpu->reset_row(row);
  // h, c: (L,B,H)
  impl_->state.h.select(1, row).zero_();
  impl_->state.c.select(1, row).zero_();
}

void Stepper::copy_row(int64_t from, int64_t to) {
  c10::InferenceMode guard;
  if (impl_->cpu) return impl_->cpu->copy_row(from, to);
  impl_->state.h.select(1, to).copy_(impl_->state.h.select(1, from));
  impl_->state.c.select(1, to).copy_(impl_->state.c.select(1, from));
}

}  // namespace charrnn
