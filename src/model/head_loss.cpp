// head_cross_entropy: the output layer and the loss as one autograd node (see head_loss.h).
//
// Forward is one pass over blocks of rows, each on one thread: the block's logits from the
// packed W^T (it fits in L2), then each row's softmax cross-entropy while the row is in L1,
// leaving d loss_r / d logits_r in its place, and the block's column sums of those (the bias
// gradient). Backward: d_x per block from the packed W, scaled; d_W as one GEMM over all rows.
#include "charrnn/model/head_loss.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <vector>

#include "lstm_kernels.h"
#include "packed_gemm.h"

namespace charrnn {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Rows per block: a whole number of micro-tiles on every path (6-row AVX2 and NEON tiles, 8-row
// AVX-512 ones). Each block's sums are formed in row order and the blocks' are added in block
// order, whichever thread ran them, so the loss's and the bias gradient's bits do not depend on
// the thread count.
constexpr int64_t kRowsPerBlock = 48;

// Blocks of N rows, the last one possibly partial.
int64_t row_blocks(int64_t N) { return (N + kRowsPerBlock - 1) / kRowsPerBlock; }

// Runs body(block, first_row, rows) for every block of rows, spread over the intra-op threads.
template <typename Body>
void parallel_for_row_blocks(int64_t N, const Body& body) {
  at::parallel_for(0, row_blocks(N), 1, [&](int64_t b0, int64_t b1) {
    for (int64_t k = b0; k < b1; ++k) {
      const int64_t r0 = k * kRowsPerBlock;
      body(k, r0, std::min(kRowsPerBlock, N - r0));
    }
  });
}

void check_inputs(const at::Tensor& x, const at::Tensor& targets, const at::Tensor& weight,
                  const at::Tensor& bias) {
  TORCH_CHECK(x.dim() == 2 && weight.dim() == 2 && weight.size(1) == x.size(1),
              "head_cross_entropy: x must be (N,H) and weight (V,H), got ", x.sizes(), " and ",
              weight.sizes());
  TORCH_CHECK(bias.numel() == weight.size(0), "head_cross_entropy: bias must be (V) = (",
              weight.size(0), ")");
  TORCH_CHECK(
      targets.dim() == 1 && targets.size(0) == x.size(0) && targets.scalar_type() == at::kLong,
      "head_cross_entropy: targets must be (N) int64");
  for (const at::Tensor* t : {&x, &weight, &bias, &targets})
    TORCH_CHECK(t->device().is_cpu(), "head_cross_entropy: CPU tensors only");
  for (const at::Tensor* t : {&x, &weight, &bias})
    TORCH_CHECK(t->scalar_type() == at::kFloat, "head_cross_entropy: float32 only");
}

struct HeadCrossEntropy : public torch::autograd::Function<HeadCrossEntropy> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& targets,
                            const at::Tensor& weight, const at::Tensor& bias, bool sum) {
    check_inputs(x, targets, weight, bias);
    const int64_t N = x.size(0), H = x.size(1), V = weight.size(0);
    const at::Tensor xc = x.contiguous(), wc = weight.contiguous(), bc = bias.contiguous();
    const at::Tensor tc = targets.contiguous();
    const int64_t* tgt = tc.data_ptr<int64_t>();
    for (int64_t r = 0; r < N; ++r)
      TORCH_CHECK(tgt[r] >= 0 && tgt[r] < V, "head_cross_entropy: target ", tgt[r], " outside [0,",
                  V, ")");

    // W^T (H,V), packed once
    const kernels::PackedMatrix w_t(wc.data_ptr<float>(), H, /*trans_b=*/true, H, V);
    // g: (N,V), each row's logits, then d loss_r / d logits_r = softmax - onehot
    at::Tensor g = at::empty({N, V}, xc.options());
    float* gp = g.data_ptr<float>();
    const float* xp = xc.data_ptr<float>();
    const float* b = bc.data_ptr<float>();
    const int64_t blocks = row_blocks(N);
    std::vector<double> loss(blocks);
    std::vector<float> colsum(blocks * V);  // each block's column sums of g
    parallel_for_row_blocks(N, [&](int64_t k, int64_t r0, int64_t rows) {
      float* gb = gp + r0 * V;
      w_t.multiply(rows, xp + r0 * H, H, 0.f, gb, V);  // (rows,V) = x rows @ W^T
      float* cs = colsum.data() + k * V;
      double s = 0;
      for (int64_t r = 0; r < rows; ++r) {
        float* row = gb + r * V;
        s += kernels::softmax_xent_row(V, row, b, tgt[r0 + r]);
        for (int64_t j = 0; j < V; ++j) cs[j] += row[j];
      }
      loss[k] = s;
    });
    double total = 0;
    at::Tensor d_b = at::zeros({V}, xc.options());  // unscaled: the column sums of g
    float* db = d_b.data_ptr<float>();
    for (int64_t k = 0; k < blocks; ++k) {
      total += loss[k];
      for (int64_t j = 0; j < V; ++j) db[j] += colsum[k * V + j];
    }
    ctx->saved_data["d_logits"] = g;
    ctx->saved_data["d_bias"] = d_b;
    ctx->saved_data["sum"] = sum;
    ctx->save_for_backward({xc, wc});
    return at::scalar_tensor(sum ? total : total / N, xc.options());
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &w = saved[1];
    const at::Tensor g = ctx->saved_data["d_logits"].toTensor();
    const int64_t N = x.size(0), H = x.size(1), V = w.size(0);
    // d loss / d logits = scale * g: the incoming scalar, over N for the mean.
    const double go = grads[0].item<double>();
    const float scale = static_cast<float>(ctx->saved_data["sum"].toBool() ? go : go / N);
    const float* gp = g.data_ptr<float>();
    at::Tensor d_x, d_w, d_b;
    if (ctx->needs_input_grad(0)) {
      // d_x (N,H) = g (N,V) @ (scale W) (V,H), per block of rows
      const at::Tensor ws = w * scale;
      const kernels::PackedMatrix w_p(ws.data_ptr<float>(), H, /*trans_b=*/false, V, H);
      d_x = at::empty({N, H}, x.options());
      float* dx = d_x.data_ptr<float>();
      parallel_for_row_blocks(N, [&](int64_t, int64_t r0, int64_t rows) {
        w_p.multiply(rows, gp + r0 * V, V, 0.f, dx + r0 * H, H);
      });
    }
    if (ctx->needs_input_grad(2)) {
      d_w = at::empty({V, H}, x.options());  // (V,H) = scale * g^T (V,N) @ x (N,H)
      kernels::sgemm(true, false, V, H, N, scale, gp, V, x.data_ptr<float>(), H, 0.f,
                     d_w.data_ptr<float>(), H);
    }
    if (ctx->needs_input_grad(3)) d_b = ctx->saved_data["d_bias"].toTensor() * scale;
    return {d_x, at::Tensor(), d_w, d_b, at::Tensor()};
  }
};

}  // namespace

at::Tensor head_cross_entropy(const at::Tensor& x, const at::Tensor& targets,
                              const at::Tensor& weight, const at::Tensor& bias, bool sum) {
  return HeadCrossEntropy::apply(x, targets, weight, bias, sum);
}

}  // namespace charrnn
