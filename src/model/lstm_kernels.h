// Raw-pointer building blocks shared by the fused LSTM layer and output layer + loss
// (training) and the Stepper (sampling): a row-major SGEMM straight into BLAS (sgemm.cpp, needs
// LibTorch), and the LSTM gate update, exp, the sampler's logit scaling and a row's softmax
// cross-entropy in one pass each, per kernel path (lstm_kernels.cpp, torch-free).
// Private to src/: callers own every buffer, nothing here allocates.
#pragma once
#include <cstdint>

namespace charrnn::kernels {

// Row-major C (m,n) = alpha * op(A) * op(B) + beta * C, op(X) = X or X^T.
// A is (m,k) or, transposed, (k,m); B is (k,n) or (n,k); ld* are row strides in floats.
// Calls the BLAS that LibTorch links (OpenBLAS here) directly: ATen's mm costs a few
// microseconds of dispatch per call, which matters at one call per time step.
void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// Forward gate update for `rows` independent rows, PyTorch gate order (i, f, g, o).
// gates: (rows,4H) pre-activations (x W_ih^T + h W_hh^T), overwritten with the
//        activations sigmoid(i), sigmoid(f), tanh(g), sigmoid(o) that backward needs.
// bias: (4H) added to every row's pre-activations first, or null when gates include it (adding
//       it here saves a pass over the gates).
// c_prev: (rows,H). c, tanh_c, h: (rows,H) outputs; tanh_c may be null.
// c = f * c_prev + i * g;  h = o * tanh(c).
void lstm_gates_forward(int64_t rows, int64_t hidden, float* gates, int64_t ld_gates,
                        const float* bias, const float* c_prev, int64_t ld_c_prev, float* c,
                        int64_t ld_c, float* tanh_c, int64_t ld_tanh_c, float* h, int64_t ld_h);

// Backward of lstm_gates_forward for `rows` rows.
// acts: (rows,4H) activations saved by forward; tanh_c, c_prev: (rows,H).
// dh: (rows,H) total gradient w.r.t. h (output + recurrent).
// dc: (rows,H) in: gradient w.r.t. c from later steps; out: gradient w.r.t. c_prev.
// dgates: (rows,4H) out: gradient w.r.t. the gate pre-activations.
void lstm_gates_backward(int64_t rows, int64_t hidden, const float* acts, int64_t ld_acts,
                         const float* tanh_c, int64_t ld_tanh_c, const float* c_prev,
                         int64_t ld_c_prev, const float* dh, int64_t ld_dh, float* dc,
                         int64_t ld_dc, float* dgates, int64_t ld_dgates);

// x[i] = exp(x[i]) for n floats, in place; arguments below -87.33 (where float's normal range
// ends) give exactly 0. Vectorized like the gate update; the sampler's softmax uses it.
void exp_inplace(int64_t n, float* x);

// scale_logits' lower bound: far below where exp underflows, and keeps the double -> float
// conversion in range (a huge 1/T would otherwise overflow it).
constexpr double kScaledLogitFloor = -1000.0;

// q[i] = float(max((z[i] - shift) * scale, kScaledLogitFloor)) for n floats, the arithmetic in
// double: the sampler's logits scaled by 1/T (shift: the largest logit). Vectorized; the same
// bits on every path as the scalar expression (a NaN stays NaN).
void scale_logits(int64_t n, const float* z, double shift, double scale, float* q);

// One row of softmax cross-entropy, and its gradient in place: the n logits z, plus bias (n
// floats, or null), become softmax(z + bias) - onehot(target), and the row's loss
// -log softmax(z + bias)[target] = log sum_j exp(z_j - m) + m - z_target (m: the largest
// logit; the sum in double) is returned. A logit that is +-Inf or NaN makes the loss and the
// whole row NaN (log_softmax's are NaN for NaN and +Inf; a -Inf logit out of a linear layer
// means its weights already are not finite). target must be in [0, n).
double softmax_xent_row(int64_t n, float* z, const float* bias, int64_t target);

}  // namespace charrnn::kernels
