#include "weight_grad.h"

#include <cstdlib>
#include <mutex>
#include <string>
#include <unordered_map>

#include "ggml-backend.h"
#include "ggml.h"

namespace rl {
namespace {

bool is_frozen_weight(const ggml_tensor * t) {
    return t->op == GGML_OP_NONE && !(t->flags & GGML_TENSOR_FLAG_PARAM) && t->buffer &&
           ggml_backend_buffer_get_usage(t->buffer) == GGML_BACKEND_BUFFER_USAGE_WEIGHTS && ggml_n_dims(t) == 2;
}

bool env_flag(const char * name) {
    const char * env = std::getenv(name);
    return env && std::string(env) == "1";
}

std::mutex twins_mutex;
std::unordered_map<const ggml_tensor *, ggml_tensor *> twins;  // guarded by twins_mutex

// The tensor that holds w's values in the file's layout: w itself unless the model registered a twin.
ggml_tensor * as_stored(ggml_tensor * w) {
    std::lock_guard<std::mutex> lock(twins_mutex);
    auto it = twins.find(w);
    return it == twins.end() ? w : it->second;
}

ggml_tensor * transposed(ggml_context * ctx, ggml_tensor * t) { return ggml_cont(ctx, ggml_transpose(ctx, t)); }

// node = mul_mat(a, b): a [k, m, ...], b [k, n, ...], dy [m, n, ...].
ggml_tensor * mul_mat_grad(ggml_context * ctx, ggml_tensor * node, ggml_tensor * grad, int i) {
    ggml_tensor * a = node->src[0];
    ggml_tensor * b = node->src[1];
    if (i == 1 && is_frozen_weight(a)) {
        // [k, m]ᵀ x [m, n] -> [k, n], on the weight as stored (the op reads dy as a plain matrix)
        ggml_tensor * dx = ggml_mul_mat_t(ctx, as_stored(a), ggml_is_contiguous(grad) ? grad : ggml_cont(ctx, grad));
        if (f32_backward()) {
            for (int src = 0; src < 2; src++) ggml_prec_set_src(dx, GGML_PREC_F32, src);
        }
        return dx;
    }
    // Broadcasting (a shared across b's batch dims) and non-f32 operands keep ggml's formula.
    if (a->type != GGML_TYPE_F32 || b->type != GGML_TYPE_F32 || a->ne[2] != b->ne[2] || a->ne[3] != b->ne[3]) return nullptr;
    if (i == 1) return ggml_mul_mat(ctx, transposed(ctx, a), grad);            // db = aᵀ dy: [m, k] x [m, n] -> [k, n]
    return ggml_mul_mat(ctx, transposed(ctx, b), transposed(ctx, grad));      // da: [n, k] x [n, m] -> [k, m]
}

}  // namespace

bool f32_backward() { return env_flag("RL_GGML_BACKWARD_F32"); }

bool generic_backward() { return env_flag("RL_GGML_GENERIC_BACKWARD"); }

void install_weight_grad_hook() {
    if (!generic_backward()) ggml_set_mul_mat_grad(mul_mat_grad);
}

void set_backward_twin(const ggml_tensor * weight, ggml_tensor * twin) {
    std::lock_guard<std::mutex> lock(twins_mutex);
    if (twin) {
        twins[weight] = twin;
    } else {
        twins.erase(weight);
    }
}

}  // namespace rl
