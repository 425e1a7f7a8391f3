#include "weight_grad.h"

#include <cstdlib>
#include <string>

#include "ggml-backend.h"
#include "ggml.h"

namespace rl {
namespace {

bool is_frozen_weight(const ggml_tensor * t) {
    return t->op == GGML_OP_NONE && !(t->flags & GGML_TENSOR_FLAG_PARAM) && t->buffer &&
           ggml_backend_buffer_get_usage(t->buffer) == GGML_BACKEND_BUFFER_USAGE_WEIGHTS && ggml_n_dims(t) == 2;
}

ggml_tensor * transposed(ggml_context * ctx, ggml_tensor * t) { return ggml_cont(ctx, ggml_transpose(ctx, t)); }

// node = mul_mat(a, b): a [k, m, ...], b [k, n, ...], dy [m, n, ...].
ggml_tensor * mul_mat_grad(ggml_context * ctx, ggml_tensor * node, ggml_tensor * grad, int i) {
    ggml_tensor * a = node->src[0];
    ggml_tensor * b = node->src[1];
    if (i == 1 && is_frozen_weight(a)) {
        // [k, m]ᵀ x [m, n] -> [k, n], on the weight as stored (the op reads dy as a plain matrix)
        return ggml_mul_mat_t(ctx, a, ggml_is_contiguous(grad) ? grad : ggml_cont(ctx, grad));
    }
    // Broadcasting (a shared across b's batch dims) and non-f32 operands keep ggml's formula.
    if (a->type != GGML_TYPE_F32 || b->type != GGML_TYPE_F32 || a->ne[2] != b->ne[2] || a->ne[3] != b->ne[3]) return nullptr;
    if (i == 1) return ggml_mul_mat(ctx, transposed(ctx, a), grad);            // db = aᵀ dy: [m, k] x [m, n] -> [k, n]
    return ggml_mul_mat(ctx, transposed(ctx, b), transposed(ctx, grad));      // da: [n, k] x [n, m] -> [k, m]
}

}  // namespace

void install_weight_grad_hook() {
    const char * env = std::getenv("RL_GGML_GENERIC_BACKWARD");  // for A/B comparisons with ggml's own formula
    if (!env || std::string(env) != "1") ggml_set_mul_mat_grad(mul_mat_grad);
}

}  // namespace rl
