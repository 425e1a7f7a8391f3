// The input gradient of y = W·x for a frozen base weight W of any type: dx = Wᵀ·dy as an f32 matrix product.
// ggml's generic formula (out_prod with W) dequantizes a row of W per token; instead one graph op dequantizes and
// transposes W once (blocked, multithreaded) and ggml's fast f32 matmul does the rest. Installed into ggml's autodiff
// through the mul_mat gradient hook added by native/patches/0001-mul-mat-input-grad-hook.patch.
#pragma once

namespace rl {

void install_weight_grad_hook();

}  // namespace rl
