#include "weight_grad.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "ggml-backend.h"
#include "ggml.h"

namespace rl {
namespace {

// dst [n_out, n_in] (f32) = transpose(dequantize(src [n_in, n_out])). Threads take blocks of W's rows.
void transpose_dequantize(ggml_tensor * dst, int ith, int nth, void *) {
    const ggml_tensor * w = dst->src[0];
    const int64_t n_in = w->ne[0], n_out = w->ne[1];
    constexpr int64_t kBlock = 32;
    const int64_t n_blocks = (n_out + kBlock - 1) / kBlock;
    const auto * traits = ggml_get_type_traits(w->type);
    std::vector<float> rows((size_t) (kBlock * n_in));
    float * out = (float *) dst->data;
    for (int64_t b = ith; b < n_blocks; b += nth) {
        const int64_t o0 = b * kBlock, n = std::min(kBlock, n_out - o0);
        for (int64_t r = 0; r < n; r++) {
            const char * src = (const char *) w->data + (o0 + r) * w->nb[1];
            float * row = rows.data() + r * n_in;
            if (w->type == GGML_TYPE_F32) std::memcpy(row, src, n_in * sizeof(float));
            else traits->to_float(src, row, n_in);
        }
        for (int64_t i = 0; i < n_in; i++) {
            float * o = out + i * n_out + o0;
            for (int64_t r = 0; r < n; r++) o[r] = rows[r * n_in + i];
        }
    }
}

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
        ggml_tensor * args[] = {a};
        ggml_tensor * at = ggml_custom_4d(ctx, GGML_TYPE_F32, a->ne[1], a->ne[0], 1, 1, args, 1, transpose_dequantize, GGML_N_TASKS_MAX, nullptr);
        return ggml_mul_mat(ctx, at, grad);  // [m, k] x [m, n] -> [k, n]
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
