// Gradients of y = mul_mat(a, b) as matrix products instead of ggml's generic out_prod (a naive loop; for a quantized
// frozen weight it even dequantizes a row of W per token):
// - da = bᵀ-contraction of dy, db = aᵀ·dy, both as transposed matmuls on ggml's fast GEMM kernels;
// - for a frozen base weight W of any type, dx = Wᵀ·dy with ggml_mul_mat_t, an op our patch
//   (native/patches/0002-mul-mat-t.patch) adds to ggml with CPU and CUDA kernels that read W as stored.
// - attention's probabilities P = soft_max(K·Q, mask) (Gemma 2's: soft_max(c·tanh(K·Q / c), mask), whose tanh the
//   backward reads too), which the backward of the softmax and of P·V read, are recomputed from K and Q inside the
//   backward pass (within a RecomputeScope) instead of kept from the forward:
//   S²·H floats per layer held for the whole step would be most of a long sequence's training memory (quadratic in
//   its length); recomputed, they exist for one layer (and one block of queries, forward.h) at a time, for the cost
//   of one more K·Q product per layer.
//   The LM head's probabilities (V floats per scored token) can be recomputed the same way, one chunk of rows at a
//   time, for one more vocabulary-wide product.
// Installed into ggml's autodiff through the hook added by native/patches/0001-grad-hook.patch.
#pragma once

#include <cstdint>
#include <unordered_map>

#include "ggml.h"

namespace rl {

// Recomputing costs one more K·Q product and softmax per layer (about 10% of a training step at 1,024 tokens on an
// 8-layer, 1024-wide model; less on wider ones) and frees S²·H floats per layer (half the step's memory there, more
// beyond): worth it for long sequences (ETO's conversations: about 600-2,400 tokens), not for TWOSOME's short prompt
// groups. Applied from attention slots of this many tokens; RL_GGML_RECOMPUTE_ATTENTION=1 or 0 forces it either way.
inline constexpr int64_t kRecomputeAttentionFromSlot = 512;
bool recompute_attention(int64_t slot);

// Open while ggml_build_backward_expand builds a training graph's backward pass, on the thread that builds it: the
// softmax outputs it reads are recomputed (once per softmax) rather than kept from the forward pass, for attention's
// probabilities and/or the LM head's.
class RecomputeScope {
public:
    RecomputeScope(bool attention, bool lm_head);
    ~RecomputeScope();
    RecomputeScope(const RecomputeScope &) = delete;
    RecomputeScope & operator=(const RecomputeScope &) = delete;

    struct Recompute {
        bool attention, lm_head;
        std::unordered_map<const ggml_tensor *, ggml_tensor *> map;
    };

private:
    Recompute now_;
    Recompute * previous_;
};

void install_weight_grad_hook();

// t [a, K, n] summed over its K rows per column: [a, n], contiguous (adds of views, in order, as llama.cpp sums experts'
// outputs). The experts' forward sums their outputs so, their backward the input gradients of their shared input.
ggml_tensor * sum_slots(ggml_context * ctx, ggml_tensor * t);

// RL_GGML_BACKWARD_F32=1 multiplies dx = Wᵀ·dy in f32 where the device would round its operands to bf16 (CPUs whose
// AVX512-BF16 products outrun f32, NVIDIA GPUs from Ampere on).
bool f32_backward();

// RL_GGML_GENERIC_BACKWARD=1 keeps ggml's own formula (out_prod; mul_mat_id has none), for comparisons; it reads weights as stored, so the
// model then keeps them in the file's layout.
bool generic_backward();

// A frozen weight stored in a layout that only ggml's matmul kernels read (the CPU "repack" interleaving) is read by
// dx = Wᵀ·dy through its twin in the file's layout, registered here by the model that owns both (null removes it).
void set_backward_twin(const ggml_tensor * weight, ggml_tensor * twin);

}  // namespace rl
