// Fused LSTM layer: forward and backward over a whole sequence as one autograd node.
//
// Internally everything is time-major, (T,B,·) row-major, so step t's rows are one contiguous
// block: the per-step GEMMs need no strides, and the weight gradients over all steps are single
// GEMMs because h_{t-1} for steps 1..T-1 is exactly the first T-1 blocks of the outputs.
#include "charrnn/model/fused_lstm.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <cstring>

#include "charrnn/model/cpu_isa.h"
#include "lstm_kernels.h"
#include "packed_gemm.h"

namespace charrnn {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

void check_state_and_weights(int64_t B, int64_t I, const at::Tensor& h0, const at::Tensor& c0,
                             const at::Tensor& w_ih, const at::Tensor& w_hh, const at::Tensor& b_ih,
                             const at::Tensor& b_hh) {
  const int64_t H = w_hh.size(1);
  TORCH_CHECK(w_hh.dim() == 2 && w_hh.size(0) == 4 * H, "fused_lstm: w_hh must be (4H,H), got ",
              w_hh.sizes());
  TORCH_CHECK(w_ih.dim() == 2 && w_ih.size(0) == 4 * H && w_ih.size(1) == I,
              "fused_lstm: w_ih must be (4H,I) = (", 4 * H, ",", I, "), got ", w_ih.sizes());
  TORCH_CHECK(b_ih.numel() == 4 * H && b_hh.numel() == 4 * H, "fused_lstm: biases must be (4H)");
  TORCH_CHECK(h0.sizes() == at::IntArrayRef({B, H}) && c0.sizes() == at::IntArrayRef({B, H}),
              "fused_lstm: h0 and c0 must be (B,H) = (", B, ",", H, ")");
  for (const at::Tensor* t : {&h0, &c0, &w_ih, &w_hh, &b_ih, &b_hh})
    TORCH_CHECK(t->device().is_cpu() && t->scalar_type() == at::kFloat,
                "fused_lstm: CPU float32 tensors only (use torch::nn::LSTM elsewhere)");
}

// The recurrence is independent per batch row, so the intra-op threads each run every step
// for their own block of rows (at least kMinRowsPerThread): one fork/join per sequence instead
// of one per step, and each thread's products reuse w_hh from its own cache. A small batch runs
// as one block. fn(first_row, rows).
constexpr int64_t kMinRowsPerThread = 8;

template <typename Fn>
void for_batch_chunks(int64_t B, const Fn& fn) {
  at::parallel_for(0, B, kMinRowsPerThread, [&](int64_t r0, int64_t r1) { fn(r0, r1 - r0); });
}

// Packs a PackedMatrix's panels on the intra-op threads.
void parallel_panels(int64_t panels, const std::function<void(int64_t, int64_t)>& body) {
  at::parallel_for(0, panels, 1, body);
}

// For recur_forward's fill_input and recur_backward's after_step when there is nothing to do.
constexpr auto kNoStepWork = [](int64_t, int64_t, int64_t, auto*) {};

// Forward outputs and what backward needs. gates: (T,B,4H) activations; c, tanh_c: (T,B,H);
// y: (B,T,H) with time-major storage.
struct Forward {
  at::Tensor y, h_last, c_last, gates, c, tanh_c;
};

// Runs the recurrence. Step t's rows of `gates` hold its input term x_t W_ih^T, plus the biases
// when `bias` is null (otherwise bias (4H) = b_ih + b_hh is added in the gate update), once
// fill_input(t, first_row, rows, gates_t) has run: it writes them there (byte input: rows of a
// table, on the thread that then reads them) or leaves what the caller put in `gates` before.
template <typename FillInput>
Forward recur_forward(at::Tensor gates, const float* bias, const at::Tensor& h0,
                      const at::Tensor& c0, const at::Tensor& w_hh, const FillInput& fill_input) {
  const int64_t T = gates.size(0), B = gates.size(1), H = w_hh.size(1), G = 4 * H;
  const at::Tensor h0c = h0.contiguous(), c0c = c0.contiguous(), whh = w_hh.contiguous();
  Forward f;
  f.y = at::empty_strided({B, T, H}, {H, B * H, 1}, gates.options());
  f.c = at::empty({T, B, H}, gates.options());
  f.tanh_c = at::empty({T, B, H}, gates.options());
  float* g = gates.data_ptr<float>();
  float* ys = f.y.data_ptr<float>();
  float* cs = f.c.data_ptr<float>();
  float* tcs = f.tanh_c.data_ptr<float>();
  const float* w = whh.data_ptr<float>();
  const float* h0p = h0c.data_ptr<float>();
  const float* c0p = c0c.data_ptr<float>();
  // w_hh^T (H,4H), once for all T
  const kernels::PackedMatrix w_t(w, H, /*trans_b=*/true, H, G, parallel_panels);
  for_batch_chunks(B, [&](int64_t r0, int64_t rows) {
    for (int64_t t = 0; t < T; ++t) {
      const int64_t off = (t * B + r0) * H;  // row r0 of step t in (T,B,H)
      const float* h_prev = t ? ys + off - B * H : h0p + r0 * H;
      const float* c_prev = t ? cs + off - B * H : c0p + r0 * H;
      float* gt = g + (t * B + r0) * G;
      fill_input(t, r0, rows, gt);
      // gates_t (rows,4H) += h_{t-1} (rows,H) @ w_hh^T (H,4H)
      w_t.multiply(rows, h_prev, H, 1.f, gt, G);
      kernels::lstm_gates_forward(rows, H, gt, G, bias, c_prev, H, cs + off, H, tcs + off, H,
                                  ys + off, H);
    }
  });
  f.h_last = f.y.select(1, T - 1).clone();
  f.c_last = f.c.select(0, T - 1).clone();
  f.gates = std::move(gates);
  return f;
}

// Saves what backward needs and returns the layer's outputs {y, hT, cT}. Both backwards read
// the saved variables in this order: {input, h0, c0, w_ih, w_hh, y}.
variable_list save_and_return(AutogradContext* ctx, const Forward& f, const at::Tensor& input,
                              const at::Tensor& h0, const at::Tensor& c0, const at::Tensor& w_ih,
                              const at::Tensor& w_hh) {
  ctx->saved_data["gates"] = f.gates;
  ctx->saved_data["c"] = f.c;
  ctx->saved_data["tanh_c"] = f.tanh_c;
  ctx->save_for_backward({input, h0, c0, w_ih, w_hh, f.y});
  ctx->set_materialize_grads(false);
  return {f.y, f.h_last, f.c_last};
}

// Gradients of one layer, shared by both input kinds. d_gates: (T,B,4H) w.r.t. pre-activations.
struct Backward {
  at::Tensor d_gates, d_h0, d_c0, d_w_hh, d_bias;
};

// grad_y (B,T,H), grad_h, grad_c (B,H) may be undefined (output unused). y: (B,T,H) time-major.
// after_step(t, first_row, rows, d_gates_t) runs on the thread that has just formed those rows'
// d_gates_t, while they are in its cache.
template <typename AfterStep>
Backward recur_backward(AutogradContext* ctx, const at::Tensor& y, const at::Tensor& h0,
                        const at::Tensor& c0, const at::Tensor& w_hh, const variable_list& grads,
                        const AfterStep& after_step) {
  const at::Tensor gates = ctx->saved_data["gates"].toTensor();
  const at::Tensor cs = ctx->saved_data["c"].toTensor();
  const at::Tensor tcs = ctx->saved_data["tanh_c"].toTensor();
  const int64_t T = gates.size(0), B = gates.size(1), H = w_hh.size(1), G = 4 * H;
  const at::Tensor h0c = h0.contiguous(), c0c = c0.contiguous(), whh = w_hh.contiguous();

  // dh: (T,B,H) time-major; step t's block ends up holding dL/dh_t, output plus recurrent part.
  // Always a fresh buffer: it is written in place, and incoming gradients must not be.
  at::Tensor dh = grads[0].defined() ? grads[0].transpose(0, 1).clone(at::MemoryFormat::Contiguous)
                                     : at::zeros({T, B, H}, gates.options());
  if (grads[1].defined()) dh.select(0, T - 1).add_(grads[1]);
  // dc: (B,H) running gradient w.r.t. the cell state; ends as dL/dc0.
  at::Tensor dc = grads[2].defined() ? grads[2].clone(at::MemoryFormat::Contiguous)
                                     : at::zeros({B, H}, gates.options());

  Backward b;
  b.d_gates = at::empty({T, B, G}, gates.options());
  b.d_h0 = at::empty({B, H}, gates.options());
  const float* acts = gates.data_ptr<float>();
  const float* c = cs.data_ptr<float>();
  const float* tc = tcs.data_ptr<float>();
  const float* w = whh.data_ptr<float>();
  float* dhs = dh.data_ptr<float>();
  float* dcs = dc.data_ptr<float>();
  float* dg = b.d_gates.data_ptr<float>();
  const float* c0p = c0c.data_ptr<float>();
  float* dh0 = b.d_h0.data_ptr<float>();
  // w_hh (4H,H)
  const kernels::PackedMatrix w_p(w, H, /*trans_b=*/false, G, H, parallel_panels);
  for_batch_chunks(B, [&](int64_t r0, int64_t rows) {
    for (int64_t t = T - 1; t >= 0; --t) {
      const int64_t off = (t * B + r0) * H;  // row r0 of step t in (T,B,H)
      const float* c_prev = t ? c + off - B * H : c0p + r0 * H;
      float* dgt = dg + (t * B + r0) * G;
      kernels::lstm_gates_backward(rows, H, acts + (t * B + r0) * G, G, tc + off, H, c_prev, H,
                                   dhs + off, H, dcs + r0 * H, H, dgt, G);
      // dh_{t-1} (rows,H) += d_gates_t (rows,4H) @ w_hh (4H,H)
      float* dh_prev = t ? dhs + off - B * H : dh0 + r0 * H;
      w_p.multiply(rows, dgt, G, t ? 1.f : 0.f, dh_prev, H);
      after_step(t, r0, rows, dgt);
    }
  });
  b.d_c0 = dc;

  // dW_hh (4H,H) = sum_t d_gates_t^T h_{t-1}: steps 1..T-1 in one GEMM, step 0 against h0.
  b.d_w_hh = at::empty({G, H}, gates.options());
  float* dw = b.d_w_hh.data_ptr<float>();
  kernels::sgemm(true, false, G, H, B, 1.f, dg, G, h0c.data_ptr<float>(), H, 0.f, dw, H);
  if (T > 1)
    kernels::sgemm(true, false, G, H, (T - 1) * B, 1.f, dg + B * G, G, y.data_ptr<float>(), H, 1.f,
                   dw, H);
  b.d_bias = b.d_gates.view({T * B, G}).sum(0);
  return b;
}

struct FusedLstm : public torch::autograd::Function<FusedLstm> {
  static variable_list forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& h0,
                               const at::Tensor& c0, const at::Tensor& w_ih, const at::Tensor& w_hh,
                               const at::Tensor& b_ih, const at::Tensor& b_hh) {
    TORCH_CHECK(x.dim() == 3 && x.size(1) > 0, "fused_lstm_layer: x must be (B,T,I), T > 0");
    TORCH_CHECK(x.device().is_cpu() && x.scalar_type() == at::kFloat,
                "fused_lstm_layer: x must be CPU float32");
    const int64_t B = x.size(0), T = x.size(1), I = x.size(2), G = w_ih.size(0);
    check_state_and_weights(B, I, h0, c0, w_ih, w_hh, b_ih, b_hh);
    // xt: (T,B,I); free when x came from a previous fused layer (time-major storage).
    const at::Tensor xt = x.transpose(0, 1).contiguous();
    const at::Tensor wih = w_ih.contiguous();
    // gates_t (B,4H) = x_t @ w_ih^T: per step, or every step's in one GEMM
    // (fused_input_product_per_step). The biases are added in the gate update, which reads the
    // gates anyway.
    at::Tensor gates = at::empty({T, B, G}, xt.options());
    const at::Tensor bias = (b_ih + b_hh).contiguous();  // (4H)
    const float* xs = xt.data_ptr<float>();
    if (fused_input_product_per_step(B, I, w_hh.size(1))) {
      const kernels::PackedMatrix w_ih_t(wih.data_ptr<float>(), I, /*trans_b=*/true, I, G,
                                          parallel_panels);
      const Forward f = recur_forward(std::move(gates), bias.data_ptr<float>(), h0, c0, w_hh,
                                      [&](int64_t t, int64_t r0, int64_t rows, float* gt) {
                                        w_ih_t.multiply(rows, xs + (t * B + r0) * I, I, 0.f, gt, G);
                                      });
      return save_and_return(ctx, f, x, h0, c0, w_ih, w_hh);
    }
    kernels::sgemm(false, true, T * B, G, I, 1.f, xs, I, wih.data_ptr<float>(), I, 0.f,
                   gates.data_ptr<float>(), G);
    const Forward f =
        recur_forward(std::move(gates), bias.data_ptr<float>(), h0, c0, w_hh, kNoStepWork);
    return save_and_return(ctx, f, x, h0, c0, w_ih, w_hh);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &w_ih = saved[3], &y = saved[5];
    const int64_t T = x.size(1), B = x.size(0), I = x.size(2), G = w_ih.size(0);
    const at::Tensor wih = w_ih.contiguous();
    // dx (T*B,I) = d_gates (T*B,4H) @ w_ih (4H,I), per step or in one GEMM as forward chose;
    // returned as a (B,T,I) view.
    at::Tensor d_x, dxt;
    const bool per_step = fused_input_product_per_step(B, I, saved[4].size(1));
    if (ctx->needs_input_grad(0)) dxt = at::empty({T, B, I}, wih.options());
    Backward b;
    if (per_step && dxt.defined()) {
      const kernels::PackedMatrix w_ih_p(wih.data_ptr<float>(), I, /*trans_b=*/false, G, I,
                                          parallel_panels);
      float* dx = dxt.data_ptr<float>();
      b = recur_backward(ctx, y, saved[1], saved[2], saved[4], grads,
                         [&](int64_t t, int64_t r0, int64_t rows, const float* dgt) {
                           w_ih_p.multiply(rows, dgt, G, 0.f, dx + (t * B + r0) * I, I);
                         });
    } else {
      b = recur_backward(ctx, y, saved[1], saved[2], saved[4], grads, kNoStepWork);
      if (dxt.defined()) {
        kernels::sgemm(false, false, T * B, I, G, 1.f, b.d_gates.data_ptr<float>(), G,
                       wih.data_ptr<float>(), I, 0.f, dxt.data_ptr<float>(), I);
      }
    }
    if (dxt.defined()) d_x = dxt.transpose(0, 1);
    const float* dg = b.d_gates.data_ptr<float>();
    at::Tensor d_w_ih;
    if (ctx->needs_input_grad(3)) {
      // dW_ih (4H,I) = d_gates^T (4H,T*B) @ xt (T*B,I)
      const at::Tensor xt = x.transpose(0, 1).contiguous();
      d_w_ih = at::empty({G, I}, b.d_gates.options());
      kernels::sgemm(true, false, G, I, T * B, 1.f, dg, G, xt.data_ptr<float>(), I, 0.f,
                     d_w_ih.data_ptr<float>(), I);
    }
    return {d_x, b.d_h0, b.d_c0, d_w_ih, b.d_w_hh, b.d_bias, b.d_bias};
  }
};

struct FusedLstmBytes : public torch::autograd::Function<FusedLstmBytes> {
  static variable_list forward(AutogradContext* ctx, const at::Tensor& bytes, const at::Tensor& h0,
                               const at::Tensor& c0, const at::Tensor& w_ih, const at::Tensor& w_hh,
                               const at::Tensor& b_ih, const at::Tensor& b_hh) {
    TORCH_CHECK(bytes.dim() == 2 && bytes.size(1) > 0 && bytes.scalar_type() == at::kLong,
                "fused_lstm_layer_bytes: bytes must be (B,T) int64, T > 0");
    const int64_t B = bytes.size(0), T = bytes.size(1), V = w_ih.size(1), G = w_ih.size(0);
    check_state_and_weights(B, V, h0, c0, w_ih, w_hh, b_ih, b_hh);
    // table (V,4H): row v = w_ih[:, v] + b_ih + b_hh, the whole input term for byte v.
    const at::Tensor table = w_ih.t().clone(at::MemoryFormat::Contiguous).add_(b_ih + b_hh);
    at::Tensor gates = at::empty({T, B, G}, table.options());
    const auto idx = bytes.accessor<int64_t, 2>();
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < T; ++t)
        TORCH_CHECK(idx[b][t] >= 0 && idx[b][t] < V, "fused_lstm_layer_bytes: byte ", idx[b][t],
                    " outside [0,", V, ")");
    const float* tab = table.data_ptr<float>();
    // Each step's rows are copied from the table by the thread that runs them, just before its
    // product reads them: no separate pass over all T*B rows. The table already holds the biases.
    const Forward f =
        recur_forward(std::move(gates), nullptr, h0, c0, w_hh,
                      [&](int64_t t, int64_t r0, int64_t rows, float* gt) {
                        for (int64_t b = 0; b < rows; ++b)
                          std::memcpy(gt + b * G, tab + idx[r0 + b][t] * G, G * sizeof(float));
                      });
    return save_and_return(ctx, f, bytes, h0, c0, w_ih, w_hh);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &bytes = saved[0], &w_ih = saved[3], &y = saved[5];
    Backward b = recur_backward(ctx, y, saved[1], saved[2], saved[4], grads, kNoStepWork);
    at::Tensor d_w_ih;
    if (ctx->needs_input_grad(3)) {
      // One-hot input: dW_ih[:, v] = sum of d_gates rows whose byte is v. Accumulate as (V,4H)
      // rows (contiguous adds), then transpose once. The threads take disjoint column ranges
      // (whole cache lines), so each element is summed in step order by one thread: the bits do
      // not depend on the thread count, and no core waits for a serial pass.
      const int64_t B = bytes.size(0), T = bytes.size(1), V = w_ih.size(1), G = w_ih.size(0);
      at::Tensor d_table = at::zeros({V, G}, b.d_gates.options());
      const auto idx = bytes.accessor<int64_t, 2>();
      const float* dg = b.d_gates.data_ptr<float>();
      float* dt = d_table.data_ptr<float>();
      constexpr int64_t kLine = 16;  // floats per 64-byte cache line
      at::parallel_for(0, (G + kLine - 1) / kLine, 8, [&](int64_t l0, int64_t l1) {
        const int64_t j0 = l0 * kLine, j1 = std::min(G, l1 * kLine);
        for (int64_t t = 0; t < T; ++t)
          for (int64_t bb = 0; bb < B; ++bb) {
            const float* src = dg + (t * B + bb) * G;
            float* dst = dt + idx[bb][t] * G;
            for (int64_t j = j0; j < j1; ++j) dst[j] += src[j];
          }
      });
      d_w_ih = d_table.t().contiguous();
    }
    return {at::Tensor(), b.d_h0, b.d_c0, d_w_ih, b.d_w_hh, b.d_bias, b.d_bias};
  }
};

}  // namespace

bool fused_input_product_per_step(int64_t batch, int64_t I, int64_t H) {
  const int64_t bytes = (I + H) * 4 * H * static_cast<int64_t>(sizeof(float));
  const bool rows_split = batch >= 2 * kMinRowsPerThread || at::get_num_threads() == 1;
  return rows_split && 2 * bytes <= kernels::l2_cache_bytes();
}

std::vector<at::Tensor> fused_lstm_layer(const at::Tensor& x, const at::Tensor& h0,
                                         const at::Tensor& c0, const at::Tensor& w_ih,
                                         const at::Tensor& w_hh, const at::Tensor& b_ih,
                                         const at::Tensor& b_hh) {
  return FusedLstm::apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh);
}

std::vector<at::Tensor> fused_lstm_layer_bytes(const at::Tensor& bytes, const at::Tensor& h0,
                                               const at::Tensor& c0, const at::Tensor& w_ih,
                                               const at::Tensor& w_hh, const at::Tensor& b_ih,
                                               const at::Tensor& b_hh) {
  return FusedLstmBytes::apply(bytes, h0, c0, w_ih, w_hh, b_ih, b_hh);
}

}  // namespace charrnn
