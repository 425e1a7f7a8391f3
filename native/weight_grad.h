// Gradients of y = mul_mat(a, b) as matrix products instead of ggml's generic out_prod (a naive loop; for a quantized
// frozen weight it even dequantizes a row of W per token):
// - da = bᵀ-contraction of dy, db = aᵀ·dy, both as transposed matmuls on ggml's fast GEMM kernels;
// - for a frozen base weight W of any type, dx = Wᵀ·dy with ggml_mul_mat_t, an op our patch
//   (native/patches/0002-mul-mat-t.patch) adds to ggml with CPU and CUDA kernels that read W as stored.
// Installed into ggml's autodiff through the hook added by native/patches/0001-mul-mat-grad-hook.patch.
#pragma once

#include "ggml.h"

namespace rl {

void install_weight_grad_hook();

// RL_GGML_BACKWARD_F32=1 multiplies dx = Wᵀ·dy in f32 where the device would round its operands to bf16 (CPUs with
// AVX512-BF16, NVIDIA GPUs from Ampere on).
bool f32_backward();

// RL_GGML_GENERIC_BACKWARD=1 keeps ggml's own formula (out_prod), for comparisons; it reads weights as stored, so the
// model then keeps them in the file's layout.
bool generic_backward();

// A frozen weight stored in a layout that only ggml's matmul kernels read (the CPU "repack" interleaving) is read by
// dx = Wᵀ·dy through its twin in the file's layout, registered here by the model that owns both (null removes it).
void set_backward_twin(const ggml_tensor * weight, ggml_tensor * twin);

}  // namespace rl
