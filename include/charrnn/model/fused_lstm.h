// Fused CPU LSTM layer: one call runs a whole sequence, with a hand-written backward.
// Same maths as one layer of torch::nn::LSTM (gate order i, f, g, o; weights w_ih (4H,I),
// w_hh (4H,H), b_ih (4H), b_hh (4H)), float32 on the CPU only. Faster because the input
// projections are a row lookup for byte input, and per step inside the recurrence or one GEMM
// over all steps for float input; the gate nonlinearities and the cell update are one vectorized
// pass; the per-step products run packed micro-kernels into preallocated buffers; and backward
// forms every weight gradient with one GEMM over all steps.
#pragma once
#include <ATen/core/Tensor.h>

#include <vector>

namespace charrnn {

// x: (B,T,I) float; h0, c0: (B,H). Returns {y (B,T,H), hT (B,H), cT (B,H)}, differentiable
// w.r.t. x, h0, c0 and the four weights. y is stored time-major: y.transpose(0,1) is contiguous,
// which a following fused layer uses without a copy.
std::vector<at::Tensor> fused_lstm_layer(const at::Tensor& x, const at::Tensor& h0,
                                         const at::Tensor& c0, const at::Tensor& w_ih,
                                         const at::Tensor& w_hh, const at::Tensor& b_ih,
                                         const at::Tensor& b_hh);

// First layer with byte input. bytes: (B,T) int64 in [0, I); w_ih: (4H,I). Equal to
// fused_lstm_layer(one_hot(bytes, I).float(), ...), done as a lookup of w_ih's columns.
// Differentiable w.r.t. h0, c0 and the weights.
std::vector<at::Tensor> fused_lstm_layer_bytes(const at::Tensor& bytes, const at::Tensor& h0,
                                               const at::Tensor& c0, const at::Tensor& w_ih,
                                               const at::Tensor& w_hh, const at::Tensor& b_ih,
                                               const at::Tensor& b_hh);

// Whether fused_lstm_layer multiplies its input per step, inside the recurrence (x_t W_ih^T
// forward, d_gates_t W_ih backward), rather than in one GEMM over all steps: when w_ih and w_hh
// (fp32) together fit in half a core's L2 cache, and the batch is big enough for the recurrence
// to run on every thread (16+ rows, or one thread). Then the per-step products read both from
// L2, and the big GEMMs' extra passes over the (T,B,4H) gates and the (T,B,I) input gradient
// (BLAS first zeroes its output; the recurrence then reads it back) are saved: several percent
// of a 2x128 training step. Wider layers would stream their weights from L3 at every step,
// where one big GEMM is faster; a smaller batch runs its recurrence on one thread, where BLAS
// still threads the big GEMMs.
bool fused_input_product_per_step(int64_t batch, int64_t I, int64_t H);

}  // namespace charrnn
