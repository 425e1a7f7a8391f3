#include "weight_grad.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

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

// RL_GGML_GENERIC_BACKWARD, read when the hook is installed.
bool generic = false;

// What the backward pass being built recomputes (see RecomputeScope); null outside a scope.
thread_local RecomputeScope::Recompute * recompute = nullptr;

// A softmax node's scale and ALiBi bias (ggml_soft_max_ext's parameters).
std::pair<float, float> softmax_params(const ggml_tensor * p) {
    float scale, max_bias;
    std::memcpy(&scale, (const float *) p->op_params + 0, sizeof(float));
    std::memcpy(&max_bias, (const float *) p->op_params + 1, sizeof(float));
    return {scale, max_bias};
}

bool is_tanh(const ggml_tensor * t) { return t->op == GGML_OP_UNARY && ggml_get_unary_op(t) == GGML_UNARY_OP_TANH; }

// A frozen bias added to a product (Qwen2's LM head bias).
bool is_bias_add(const ggml_tensor * t) { return t->op == GGML_OP_ADD && t->src[1]->op == GGML_OP_NONE && !(t->src[1]->flags & GGML_TENSOR_FLAG_PARAM); }

// The product that scores t derive from: t itself, or the input of the frozen bias, scales and Gemma 2's soft cap
// c·tanh(x / c) (scale, tanh, scale) around it. Null if t is anything else.
const ggml_tensor * scores_product(const ggml_tensor * t) {
    while (t->op == GGML_OP_SCALE || is_tanh(t) || is_bias_add(t)) t = t->src[0];
    return t->op == GGML_OP_MUL_MAT ? t : nullptr;
}

// t (a softmax, or a node between it and its product) built again from the product's operands by the same ops, so
// bit for bit the forward's, once per backward graph.
ggml_tensor * rebuilt(ggml_context * ctx, ggml_tensor * t) {
    if (auto it = recompute->map.find(t); it != recompute->map.end()) return it->second;
    ggml_tensor * again = nullptr;
    switch (t->op) {
        case GGML_OP_MUL_MAT: again = ggml_mul_mat(ctx, t->src[0], t->src[1]); break;
        case GGML_OP_SCALE: again = ggml_scale(ctx, rebuilt(ctx, t->src[0]), 1.0f); break;
        case GGML_OP_ADD: again = ggml_add(ctx, rebuilt(ctx, t->src[0]), t->src[1]); break;
        case GGML_OP_UNARY: again = ggml_tanh(ctx, rebuilt(ctx, t->src[0])); break;
        default: {
            const auto [scale, max_bias] = softmax_params(t);
            again = ggml_soft_max_ext(ctx, rebuilt(ctx, t->src[0]), t->src[1], scale, max_bias);
        }
    }
    std::memcpy(again->op_params, t->op_params, sizeof(t->op_params));  // the same factors, the same precision request
    recompute->map[t] = again;
    return again;
}

// An output the backward pass reads (a softmax's, or a soft cap's tanh): attention's P = soft_max(K·Q, mask)
// recomputed from K and Q (which it keeps anyway), or the LM head's soft_max(W·x) from the final-norm rows; otherwise
// the forward's own.
ggml_tensor * for_backward(ggml_context * ctx, ggml_tensor * p) {
    if (!recompute || !((p->op == GGML_OP_SOFT_MAX && !p->src[2]) || is_tanh(p))) return p;
    const ggml_tensor * kq = scores_product(p->op == GGML_OP_SOFT_MAX ? p->src[0] : p);
    if (!kq || is_frozen_weight(kq->src[1])) return p;
    if (!(is_frozen_weight(kq->src[0]) ? recompute->lm_head : recompute->attention)) return p;
    return rebuilt(ctx, p);
}

// dx = Wᵀ·dy (ggml_mul_mat_t or _id) asked to multiply in f32 where RL_GGML_BACKWARD_F32 says so.
ggml_tensor * at_backward_precision(ggml_tensor * dx) {
    if (f32_backward()) {
        for (int src = 0; src < 2; src++) ggml_prec_set_src(dx, GGML_PREC_F32, src);
    }
    return dx;
}

// node = mul_mat(a, b): a [k, m, ...], b [k, n, ...], dy [m, n, ...].
ggml_tensor * mul_mat_grad(ggml_context * ctx, ggml_tensor * node, ggml_tensor * grad, int i) {
    ggml_tensor * a = node->src[0];
    ggml_tensor * b = i == 0 ? for_backward(ctx, node->src[1]) : node->src[1];  // da reads b: attention's P is recomputed
    if (i == 1 && is_frozen_weight(a)) {
        // [k, m]ᵀ x [m, n] -> [k, n], on the weight as stored (the op reads dy as a plain matrix)
        return at_backward_precision(ggml_mul_mat_t(ctx, as_stored(a), ggml_is_contiguous(grad) ? grad : ggml_cont(ctx, grad)));
    }
    // Broadcasting (a shared across b's batch dims) and non-f32 operands keep ggml's formula.
    if (a->type != GGML_TYPE_F32 || b->type != GGML_TYPE_F32 || a->ne[2] != b->ne[2] || a->ne[3] != b->ne[3]) return nullptr;
    if (i == 1) return ggml_mul_mat(ctx, transposed(ctx, a), grad);            // db = aᵀ dy: [m, k] x [m, n] -> [k, n]
    return ggml_mul_mat(ctx, transposed(ctx, b), transposed(ctx, grad));      // da: [n, k] x [n, m] -> [k, m]
}

// node = mul_mat_id(as, x, ids), frozen experts' matrices as [k, m, X], x [k, 1 or K, n], ids [K, n], dy [m, K, n]:
// dx = as[ids]ᵀ·dy per row, summed over the K experts where x was one row for all of them.
ggml_tensor * mul_mat_id_grad(ggml_context * ctx, ggml_tensor * node, ggml_tensor * grad) {
    ggml_tensor * x = node->src[1];
    ggml_tensor * dx = at_backward_precision(ggml_mul_mat_t_id(ctx, as_stored(node->src[0]), ggml_is_contiguous(grad) ? grad : ggml_cont(ctx, grad), node->src[2]));
    if (x->ne[1] == dx->ne[1]) return dx;
    GGML_ASSERT(x->ne[1] == 1);
    return ggml_reshape_3d(ctx, sum_slots(ctx, dx), x->ne[0], 1, x->ne[2]);
}

// node = mul_mat, mul_mat_id, soft_max_ext or tanh (see native/patches/0001-grad-hook.patch, 0010-tanh-backward.patch
// and 0011-mul-mat-t-id.patch). RL_GGML_GENERIC_BACKWARD=1 leaves all but mul_mat_id, which ggml has no formula for, to
// ggml.
ggml_tensor * grad_hook(ggml_context * ctx, ggml_tensor * node, ggml_tensor * grad, int i) {
    if (node->op == GGML_OP_MUL_MAT_ID) return mul_mat_id_grad(ctx, node, grad);
    if (generic) return nullptr;
    if (node->op == GGML_OP_MUL_MAT) return mul_mat_grad(ctx, node, grad, i);
    ggml_tensor * y = for_backward(ctx, node);
    if (y == node) return nullptr;
    if (is_tanh(node)) return ggml_mul(ctx, grad, ggml_scale_bias(ctx, ggml_sqr(ctx, y), -1.0f, 1.0f));  // 1 - tanh²
    const auto [scale, max_bias] = softmax_params(node);
    return ggml_soft_max_ext_back(ctx, grad, y, scale, max_bias);
}

}  // namespace

RecomputeScope::RecomputeScope(bool attention, bool lm_head) : now_{attention, lm_head, {}}, previous_(recompute) { recompute = &now_; }

RecomputeScope::~RecomputeScope() { recompute = previous_; }

bool recompute_attention(int64_t slot) {
    const char * env = std::getenv("RL_GGML_RECOMPUTE_ATTENTION");
    if (env && *env) return std::string(env) == "1";
    return slot >= kRecomputeAttentionFromSlot;
}

bool f32_backward() { return env_flag("RL_GGML_BACKWARD_F32"); }

bool generic_backward() { return env_flag("RL_GGML_GENERIC_BACKWARD"); }

void install_weight_grad_hook() {
    generic = generic_backward();
    ggml_set_grad_hook(grad_hook);
}

ggml_tensor * sum_slots(ggml_context * ctx, ggml_tensor * t) {
    ggml_tensor * sum = nullptr;
    for (int64_t k = 0; k < t->ne[1]; k++) {
        ggml_tensor * one = ggml_view_2d(ctx, t, t->ne[0], t->ne[2], t->nb[2], k * t->nb[1]);
        sum = sum ? ggml_add(ctx, sum, one) : one;
    }
    return t->ne[1] == 1 ? ggml_cont(ctx, sum) : sum;
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
