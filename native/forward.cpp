#include "forward.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>
#include <tuple>

#include "errors.h"
#include "handles.h"
#include "weight_grad.h"
#include "ggml-alloc.h"
#include "ggml-backend.h"

namespace rl {

void PackedBatch::validate(const HParams & hp) const {
    const size_t T = tokens.size();
    if (T == 0) fail(E_ARGUMENT, "empty batch");
    if (positions.size() != T || branch.size() != T) fail(E_ARGUMENT, "packed batch arrays differ in length");
    if (n_groups <= 0 || T % (size_t) n_groups != 0) fail(E_ARGUMENT, "the batch length is not a multiple of its group count");
    if (n_real() == 0) fail(E_ARGUMENT, "the batch is all padding");
    if (out_rows.size() != out_targets.size()) fail(E_ARGUMENT, "out_rows and out_targets differ in length");
    for (size_t i = 0; i < T; i++) {
        if (tokens[i] < 0 || tokens[i] >= hp.n_vocab) fail(E_ARGUMENT, "token id " + std::to_string(tokens[i]) + " is outside the vocabulary");
        if (branch[i] < -2) fail(E_ARGUMENT, "invalid branch id");
        if (positions[i] < 0 || positions[i] >= hp.n_ctx_train) {
            fail(E_ARGUMENT, "position " + std::to_string(positions[i]) + " exceeds the model's context size " + std::to_string(hp.n_ctx_train));
        }
    }
    for (size_t r = 0; r < out_rows.size(); r++) {
        if (out_rows[r] < 0 || (size_t) out_rows[r] >= T) fail(E_ARGUMENT, "output row out of range");
        if (branch[out_rows[r]] == -2) fail(E_ARGUMENT, "an output row is a padding token");
        if (out_targets[r] < 0 || out_targets[r] >= hp.n_vocab) fail(E_ARGUMENT, "target token out of range");
    }
}

int64_t PackedBatch::n_real() const { return std::count_if(branch.begin(), branch.end(), [](int32_t b) { return b != -2; }); }

namespace {

int64_t env_rows(const char * name, int64_t fallback) {
    const char * env = std::getenv(name);
    const long long rows = env ? std::atoll(env) : 0;
    return rows > 0 ? rows : fallback;
}

}  // namespace

int64_t head_chunk_rows() { return env_rows("RL_GGML_HEAD_CHUNK_ROWS", kHeadChunkRows); }

int64_t attention_block_rows() { return env_rows("RL_GGML_ATTENTION_BLOCK_ROWS", kAttentionBlockRows); }

ForwardShape forward_shape(const HParams & hp, const PackedBatch & b, size_t n_features) {
    ForwardShape s{(int64_t) b.tokens.size(), b.n_groups, b.n_real(), (int64_t) b.out_rows.size(), (int64_t) n_features};
    s.C = std::max<int64_t>(1, std::min(s.R, head_chunk_rows()));
    s.B = std::min(s.T / s.G, attention_block_rows());
    // positions grow by at most one per slot, so a window as long as the slot hides nothing
    if (hp.n_swa > 0 && s.T / s.G > hp.n_swa) s.n_swa = hp.n_swa;
    s.temper = hp.tempers(1 + *std::max_element(b.positions.begin(), b.positions.end()));
    return s;
}

namespace {

// [a, b, Hkv, G] -> [a, b, Hkv * r, G] with head h reading kv head h / r.
ggml_tensor * repeat_kv(ggml_context * ctx, ggml_tensor * t, int64_t r) {
    const int64_t a = t->ne[0], b = t->ne[1], hkv = t->ne[2], g = t->ne[3];
    ggml_tensor * flat = ggml_reshape_4d(ctx, t, a * b, 1, hkv, g);
    ggml_tensor * rep = ggml_repeat_4d(ctx, flat, a * b, r, hkv, g);
    return ggml_reshape_4d(ctx, rep, a, b, hkv * r, g);
}

}  // namespace

size_t forward_graph_size(const Model & model, const ForwardShape & shape) {
    const HParams & hp = model.hparams();
    const size_t blocks = (size_t) shape.attention_blocks(), caps = hp.attn_softcap > 0 ? 4 : 0;  // a soft cap: 3 nodes
    // post-norms (and GELU's backward), per-layer inputs, normed values and output scales, biases, residual scales,
    // experts
    const size_t per_layer = 96 + (hp.arch->post_norms ? 32 : 0) + (hp.n_embd_per_layer > 0 ? 32 : 0) + (hp.arch->v_norm ? 8 : 0) + (hp.arch->dense_biases ? 16 : 0) + (hp.residual_scale != 1.0f ? 8 : 0) + 24 * (blocks - 1) + caps * blocks +
                             (hp.n_expert > 0 ? 40 + 4 * hp.n_expert_used : 0);
    const size_t per_chunk = 16 + (hp.final_softcap > 0 ? 4 : 0) + (model.output_bias() ? 4 : 0) + (hp.logit_scale != 1.0f ? 4 : 0);
    return 128 + per_layer * (size_t) hp.n_layer + per_chunk * (size_t) shape.head_chunks();
}

namespace {

// The parts of a llama block that the packed forward graph and the cached decoding graph share; they differ only in
// attention (packed groups vs a KV cache).
struct Blocks {
    ggml_context * ctx;
    const Model & model;
    const LoraWeights * lora;

    // W·x, plus the adapter's (alpha/r)·B·(A·x) where it has one.
    ggml_tensor * proj(size_t il, ggml_tensor * w, Target t, ggml_tensor * x) const {
        ggml_tensor * y = ggml_mul_mat(ctx, w, x);
        const LoraPair * p = lora ? lora->find(il, t) : nullptr;
        if (p) y = ggml_add(ctx, y, ggml_scale(ctx, ggml_mul_mat(ctx, p->b, ggml_mul_mat(ctx, p->a, x)), lora->scale));
        return y;
    }

    ggml_tensor * biased(ggml_tensor * y, ggml_tensor * b) const { return b ? ggml_add(ctx, y, b) : y; }

    // Positions rotated into t, in the layers that use RoPE (see HParams::rotates).
    ggml_tensor * rope(size_t il, ggml_tensor * t, ggml_tensor * positions) const {
        const HParams & hp = model.hparams();
        if (!hp.rotates(il)) return t;
        const Rope r = hp.rope_of(il);
        return ggml_rope_ext(ctx, t, positions, model.rope_freqs(il), (int) hp.dims(il).n_rot, hp.arch->rope_type, (int) hp.n_ctx_orig, r.base, r.scale,
                             r.ext_factor, r.attn_factor, r.beta_fast, r.beta_slow);
    }

    ggml_tensor * scaled(ggml_tensor * x, float s) const { return s != 1.0f ? ggml_scale(ctx, x, s) : x; }

    // The hidden states [E, N] the first layer reads: the tokens' embeddings (Gemma's scaled by √E, Granite's by its
    // multiplier).
    ggml_tensor * embed(ggml_tensor * tokens) const { return scaled(ggml_get_rows(ctx, model.token_embd(), tokens), model.hparams().embd_scale); }

    // A sublayer's output y added to the residual stream x (Granite scales it first).
    ggml_tensor * residual(ggml_tensor * y, ggml_tensor * x) const { return ggml_add(ctx, scaled(y, model.hparams().residual_scale), x); }

    // x's vectors (dim 0) RMS-normed and scaled by `norm`, where the model has that norm (null: x as it is).
    ggml_tensor * normed(ggml_tensor * x, ggml_tensor * norm) const {
        return norm ? ggml_mul(ctx, ggml_rms_norm(ctx, x, model.hparams().rms_eps), norm) : x;
    }

    // Rows [first, first + n) of y [m, T]: a view (no copy), which RoPE, norms and GLUs read as it lies.
    ggml_tensor * slice_rows(ggml_tensor * y, int64_t first, int64_t n) const {
        return ggml_view_2d(ctx, y, n, y->ne[1], y->nb[1], first * ggml_element_size(y));
    }

    // n heads [hd, n, T] from rows [first, first + hd·n) of a projection y [·, T] (all of it, or its part of a fused
    // one), normed as the model norms queries or keys (see QkNorm). A fused one's part is a view of y itself (the
    // backward pass of a view of a view needs a contiguous source), copied where a norm reads it: CUDA's RMS-norm
    // backward reads its input as dense rows.
    ggml_tensor * heads(ggml_tensor * y, int64_t hd, int64_t first, int64_t n, ggml_tensor * norm) const {
        const HParams & hp = model.hparams();
        const int64_t T = y->ne[1];
        const size_t es = ggml_element_size(y);
        ggml_tensor * t = y->ne[0] == hd * n ? ggml_reshape_3d(ctx, y, hd, n, T) : ggml_view_3d(ctx, y, hd, n, T, hd * es, y->nb[1], first * es);
        if (!norm) return t;
        if (!ggml_is_contiguous(t)) t = ggml_cont(ctx, t);
        if (hp.arch->qk_norm == QkNorm::whole) return ggml_reshape_3d(ctx, normed(ggml_reshape_2d(ctx, t, hd * n, T), norm), hd, n, T);
        return normed(t, norm);
    }

    // Layer il's roped queries [hd, H, T] and keys [hd, Hkv, T], and values [hd, Hkv, T], for hidden states x [E, T];
    // the queries × each token's attention temperature `temper` [1, 1, T] where the graph has one (Mistral 3's), the
    // values RMS-normed where the architecture norms them (Gemma 4's, whose layers without attn_v read the keys'
    // projection as values). A layer that attends with another's keys and values (HParams::kv_source) gets queries only,
    // and null keys and values.
    void qkv(size_t il, ggml_tensor * x, ggml_tensor * positions, ggml_tensor * temper, ggml_tensor ** q, ggml_tensor ** k, ggml_tensor ** v) const {
        const HParams & hp = model.hparams();
        const Layer & L = model.layers()[il];
        const int64_t hd = hp.dims(il).head_dim, Hkv = hp.dims(il).n_head_kv;
        ggml_tensor * cur = normed(x, L.attn_norm);
        // the projections, and where in each the queries, keys and values begin
        ggml_tensor *yq, *yk, *yv;
        int64_t at_k = 0, at_v = 0;
        if (L.wqkv) {
            yq = yk = yv = biased(proj(il, L.wqkv, T_QKV, cur), L.bqkv);
            at_k = hp.n_head * hd, at_v = at_k + Hkv * hd;
        } else {
            yq = biased(proj(il, L.wq, T_Q, cur), L.bq);
            yk = L.wk ? biased(proj(il, L.wk, T_K, cur), L.bk) : nullptr;
            yv = L.wv ? biased(proj(il, L.wv, T_V, cur), L.bv) : yk;
        }
        *q = rope(il, heads(yq, hd, 0, hp.n_head, L.q_norm), positions);
        if (hp.arch->scaled_queries) *q = ggml_scale(ctx, *q, hp.kq_scale);
        if (temper) *q = ggml_mul(ctx, *q, temper);
        *k = *v = nullptr;
        if (hp.has_kv(il)) {
            *k = rope(il, heads(yk, hd, at_k, Hkv, L.k_norm), positions);
            *v = heads(yv, hd, at_v, Hkv, nullptr);
            if (hp.arch->v_norm) *v = ggml_rms_norm(ctx, ggml_is_contiguous(*v) ? *v : ggml_cont(ctx, *v), hp.rms_eps);
        }
        for (ggml_tensor ** t : {q, k, v}) {
            if (*t && !ggml_is_contiguous(*t)) *t = ggml_cont(ctx, *t);  // views of a fused projection, for the reshapes ahead
        }
    }

    // Every layer's input of its own [P, n, L] (Gemma 4 E2B's and E4B's) for tokens [n] whose scaled embeddings are x0
    // [E, n]: the token's row of per_layer_token_embd × √P, plus the embedding projected by per_layer_model_proj ×
    // 1/√E and normed, all × 1/√2, as llama.cpp computes them (one product: the CPU's repacked kernels round as its).
    ggml_tensor * layer_inputs(ggml_tensor * tokens, ggml_tensor * x0) const {
        const HParams & hp = model.hparams();
        const int64_t P = hp.n_embd_per_layer, L = hp.n_layer, n = x0->ne[1];
        ggml_tensor * own = ggml_scale(ctx, ggml_reshape_3d(ctx, ggml_get_rows(ctx, model.per_layer_token_embd(), tokens), P, L, n), std::sqrt((float) P));
        ggml_tensor * projected = ggml_scale(ctx, ggml_mul_mat(ctx, model.per_layer_model_proj(), x0), 1.0f / std::sqrt((float) hp.n_embd));
        projected = normed(ggml_reshape_3d(ctx, projected, P, L, n), model.per_layer_proj_norm());
        return ggml_cont(ctx, ggml_permute(ctx, ggml_scale(ctx, ggml_add(ctx, projected, own), 1.0f / std::sqrt(2.0f)), 0, 2, 1, 3));
    }

    // Layer il's [P, n] of them (null: a model without them).
    ggml_tensor * layer_input(ggml_tensor * all, size_t il) const {
        return all ? ggml_view_2d(ctx, all, all->ne[0], all->ne[1], all->nb[1], il * all->nb[2]) : nullptr;
    }

    // Layer il's feed-forward for normed hidden states cur [E, n]: down(act(gate(cur)) · up(cur)).
    ggml_tensor * feed_forward(size_t il, ggml_tensor * cur) const {
        const Layer & L = model.layers()[il];
        ggml_tensor *gate, *up = biased(proj(il, L.ffn_up, T_UP, cur), L.ffn_up_b);
        if (L.ffn_gate) {
            gate = biased(proj(il, L.ffn_gate, T_GATE, cur), L.ffn_gate_b);
        } else {  // phi3's: the gate's rows, then the up projection's
            const int64_t F = model.hparams().dims(il).n_ff;
            // the gate contiguous: the GLU's backward applies SILU to it, which CUDA runs on contiguous tensors only
            gate = ggml_cont(ctx, slice_rows(up, 0, F)), up = slice_rows(up, F, F);
        }
        cur = model.hparams().arch->gemma ? ggml_geglu_split(ctx, gate, up) : ggml_swiglu_split(ctx, gate, up);
        return biased(proj(il, L.ffn_down, T_DOWN, cur), L.ffn_down_b);
    }

    // Layer il's mixture of experts for cur [E, n], routed by `routed` [E, n] (Gemma 4's router reads its own input):
    // the sum of the K experts whose router logits are highest, each × the softmax of those K logits (llama.cpp's
    // softmax over all experts renormalized over the chosen: the same weights) and × its output scale where the layer
    // has them. The chosen logits come from the router as a per-expert product too, so that every product that reaches
    // the input is one whose input gradient the backward pass has (ggml_mul_mat_t_id; a gather of the router's softmax
    // would need a batched get_rows backward).
    ggml_tensor * experts(size_t il, ggml_tensor * routed, ggml_tensor * cur) const {
        const HParams & hp = model.hparams();
        const Layer & L = model.layers()[il];
        const int64_t E = cur->ne[0], n = cur->ne[1], X = hp.n_expert, K = hp.n_expert_used, F = hp.n_ff_exp;
        ggml_tensor * chosen = ggml_argsort_top_k(ctx, ggml_mul_mat(ctx, L.ffn_gate_inp, routed), K);  // [K, n]
        ggml_tensor * router = ggml_reshape_3d(ctx, L.ffn_gate_inp, E, 1, X);  // one row per expert
        ggml_tensor * logits = ggml_mul_mat_id(ctx, router, ggml_reshape_3d(ctx, routed, E, 1, n), chosen);
        ggml_tensor * weights = ggml_reshape_3d(ctx, ggml_soft_max(ctx, ggml_reshape_2d(ctx, logits, K, n)), 1, K, n);
        if (L.ffn_down_exps_s) {  // each chosen expert's scale: the scales' rows [1, X, n] gathered by the choices
            ggml_tensor * scales = ggml_repeat_4d(ctx, ggml_reshape_3d(ctx, L.ffn_down_exps_s, 1, X, 1), 1, X, n, 1);
            weights = ggml_mul(ctx, weights, ggml_get_rows(ctx, scales, chosen));
        }
        ggml_tensor * x = ggml_reshape_3d(ctx, cur, E, 1, n);
        ggml_tensor *gate, *up;
        if (L.ffn_gate_up_exps) {  // the gate's rows, then the up projection's [2F, K, n]; the gate contiguous for GLUs
            ggml_tensor * both = ggml_mul_mat_id(ctx, L.ffn_gate_up_exps, x, chosen);
            const size_t es = ggml_element_size(both);
            gate = ggml_cont(ctx, ggml_view_3d(ctx, both, F, K, n, both->nb[1], both->nb[2], 0));
            up = ggml_view_3d(ctx, both, F, K, n, both->nb[1], both->nb[2], F * es);
        } else {
            gate = ggml_mul_mat_id(ctx, L.ffn_gate_exps, x, chosen), up = ggml_mul_mat_id(ctx, L.ffn_up_exps, x, chosen);  // [F, K, n]
        }
        ggml_tensor * act = hp.arch->gemma ? ggml_geglu_split(ctx, gate, up) : ggml_swiglu_split(ctx, gate, up);
        return sum_slots(ctx, ggml_mul(ctx, ggml_mul_mat_id(ctx, L.ffn_down_exps, act, chosen), weights));  // [E, K, n] -> [E, n]
    }

    // Layer il's feed-forward for hidden states x [E, n], before its post-norm: the dense one, the mixture of experts
    // that replaces it, or (Gemma 4's) both, each normed, the router reading x RMS-normed, / √E and × its scale.
    ggml_tensor * feed_forward_block(size_t il, ggml_tensor * x) const {
        const Layer & L = model.layers()[il];
        ggml_tensor * cur = normed(x, L.ffn_norm);
        if (!L.ffn_gate_inp) return feed_forward(il, cur);
        if (!L.ffn_up) return experts(il, cur, cur);
        const float E = (float) x->ne[0];
        ggml_tensor * routed = ggml_mul(ctx, ggml_scale(ctx, ggml_rms_norm(ctx, x, model.hparams().rms_eps), 1.0f / std::sqrt(E)), L.ffn_gate_inp_s);
        return ggml_add(ctx, normed(feed_forward(il, cur), L.ffn_post_norm_1), normed(experts(il, routed, normed(x, L.ffn_pre_norm_2)), L.ffn_post_norm_2));
    }

    // The rest of layer il after attention: its output projection and the feed-forward block, with residuals; then,
    // where the model has them, its own input (`own` [P, n]: layer_input's) gated by GELU of the output and projected
    // back into it, and the output scale.
    ggml_tensor * finish(size_t il, ggml_tensor * x, ggml_tensor * attn, ggml_tensor * own) const {
        const Layer & L = model.layers()[il];
        x = residual(normed(biased(proj(il, L.wo, T_O, attn), L.bo), L.attn_post_norm), x);
        x = residual(normed(feed_forward_block(il, x), L.ffn_post_norm), x);
        if (own) x = ggml_add(ctx, x, normed(ggml_mul_mat(ctx, L.pe_proj, ggml_geglu_split(ctx, ggml_mul_mat(ctx, L.pe_gate, x), own)), L.pe_post_norm));
        return L.out_scale ? ggml_mul(ctx, x, L.out_scale) : x;
    }

    // Layer il after attention, on chosen rows of x and of attn [hd·H, ·] (null: all of them): the last layer's output
    // projection and feed-forward need to run only where the heads read (as llama.cpp's output ids do).
    ggml_tensor * finish_rows(size_t il, ggml_tensor * x, ggml_tensor * x_rows, ggml_tensor * attn, ggml_tensor * attn_rows, ggml_tensor * own) const {
        if (x_rows) x = ggml_get_rows(ctx, x, x_rows);
        if (x_rows && own) own = ggml_get_rows(ctx, own, x_rows);
        if (attn_rows) attn = ggml_get_rows(ctx, attn, attn_rows);
        return finish(il, x, attn, own);
    }

    // The attention mask layer il reads: the sliding-window layers' own, where the graph has one.
    ggml_tensor * layer_mask(size_t il, ggml_tensor * mask, ggml_tensor * mask_swa) const {
        return mask_swa && model.hparams().is_swa(il) ? mask_swa : mask;
    }

    // The scale of attention's scores in its softmax. llama.cpp's Gemma and Phi-3 graphs scale the queries instead (see
    // qkv): the same product, rounded as llama.cpp rounds it (a quantized matmul rounds its activations to 8 bits, and
    // a last-bit difference there can move a value a whole step).
    float score_scale() const { return model.hparams().arch->scaled_queries ? 1.0f : model.hparams().kq_scale; }

    // The final norm: hidden states as the LM head and the value head read them.
    ggml_tensor * final_norm(ggml_tensor * x) const { return normed(x, model.output_norm()); }

    // x soft-capped to c·tanh(x / c), as Gemma 2 caps scores and logits (c = 0: x as it is).
    ggml_tensor * soft_capped(ggml_tensor * x, float c) const {
        return c > 0 ? ggml_scale(ctx, ggml_tanh(ctx, ggml_scale(ctx, x, 1.0f / c)), c) : x;
    }

    // Attention's scores K·Q for keys k [hd, L, H, ·] and queries q [hd, n, H, ·] ([L, n, H, ·]), before the softmax.
    ggml_tensor * scores(ggml_tensor * k, ggml_tensor * q) const { return soft_capped(ggml_mul_mat(ctx, k, q), model.hparams().attn_softcap); }

    // The LM head's logits [V, n] for final-norm hidden states x [E, n] (Granite's divided by its logit scale).
    ggml_tensor * logits(ggml_tensor * x) const {
        const HParams & hp = model.hparams();
        return soft_capped(scaled(biased(ggml_mul_mat(ctx, model.output(), x), model.output_bias()), 1.0f / hp.logit_scale), hp.final_softcap);
    }
};

}  // namespace

ForwardGraph resident_inputs(ggml_context * ctx, const ForwardShape & shape) {
    ForwardGraph g;
    g.positions = ggml_new_tensor_1d(ctx, GGML_TYPE_I32, shape.N);
    // f16: its values are 0 and -inf, exact in half precision, and it is about S²/2 per group (half the bytes to
    // upload and hold)
    g.mask = ggml_new_tensor_1d(ctx, GGML_TYPE_F16, shape.mask_offset(shape.T / shape.G));
    if (shape.n_swa > 0) g.mask_swa = ggml_new_tensor_1d(ctx, GGML_TYPE_F16, ggml_nelements(g.mask));
    if (shape.temper) g.temper = ggml_new_tensor_3d(ctx, GGML_TYPE_F32, 1, 1, shape.N);
    if (shape.N < shape.T) {
        g.slot_row = ggml_new_tensor_1d(ctx, GGML_TYPE_I32, shape.T);
        g.row_slot = ggml_new_tensor_1d(ctx, GGML_TYPE_I32, shape.N);
    }
    for (ggml_tensor * t : {g.positions, g.mask, g.mask_swa, g.temper, g.slot_row, g.row_slot}) {
        if (t) ggml_set_input(t);
    }
    return g;
}

ForwardGraph build_forward(ggml_context * ctx, const Model & model, const ForwardShape & shape, const LoraWeights * lora, LayerRange range,
                           ggml_tensor * x_in, const ForwardGraph * resident) {
    const HParams & hp = model.hparams();
    const int64_t T = shape.T, G = shape.G, N = shape.N, R = shape.R, F = shape.F, S = T / G;
    const size_t n_layer = model.layers().size();
    range.end = std::min(range.end, n_layer);
    const bool heads = range.end == n_layer;
    const Blocks blocks{ctx, model, lora};
    ForwardGraph g = resident ? *resident : resident_inputs(ctx, shape);
    if (range.first + 1 >= n_layer) g.row_slot = nullptr;  // the last layer reads its rows through keep_slot
    if (heads) {
        // The heads read R scored rows, then F feature rows (a row may be both): the last layer finishes only those.
        g.keep = ggml_new_tensor_1d(ctx, GGML_TYPE_I32, R + F);
        g.keep_slot = ggml_new_tensor_1d(ctx, GGML_TYPE_I32, R + F);
        for (ggml_tensor * t : {g.keep, g.keep_slot}) ggml_set_input(t);
    }
    // Rows [a, b, N] to slots [a·b, T]: padding costs only attention, not the per-token work (about 10% of the
    // tokens of a typical TWOSOME batch, whose slots are as long as its longest prompt plus actions).
    const auto to_slots = [&](ggml_tensor * t) {
        t = ggml_reshape_2d(ctx, t, t->ne[0] * t->ne[1], N);
        return g.slot_row ? ggml_get_rows(ctx, t, g.slot_row) : t;
    };

    ggml_tensor * x = x_in;
    // the scaled embeddings, which the first layer reads, and the per-layer inputs are made from (unless resident)
    if (range.first == 0 || (hp.n_embd_per_layer > 0 && !g.layer_inputs)) {
        g.tokens = ggml_new_tensor_1d(ctx, GGML_TYPE_I32, N);
        ggml_set_input(g.tokens);
        ggml_tensor * x0 = blocks.embed(g.tokens);  // [E, N]
        if (range.first == 0) x = x0;
        if (hp.n_embd_per_layer > 0 && !g.layer_inputs) g.layer_inputs = blocks.layer_inputs(g.tokens, x0);
    }
    // each layer's keys [hd, S, H, G] and transposed values [S, hd, H, G] (GQA's copies made), for the layers that
    // attend with another's (which the range must hold)
    std::vector<std::pair<ggml_tensor *, ggml_tensor *>> kv_of(n_layer);
    for (size_t il = range.first; il < range.end; il++) {
        g.layer_in.push_back(x);
        const int64_t hd = hp.dims(il).head_dim, Hkv = hp.dims(il).n_head_kv;
        ggml_tensor *q, *k, *v;
        blocks.qkv(il, x, g.positions, g.temper, &q, &k, &v);
        ggml_tensor * own = blocks.layer_input(g.layer_inputs, il);

        // Mask + soft_max_ext attention per group (differentiable; flash attention has no backward).
        // GQA and groups by broadcasting over dims 2 and 3.
        q = ggml_reshape_4d(ctx, to_slots(q), hd, hp.n_head, S, G);                                                 // [hd, H, S, G]
        ggml_tensor * vt = nullptr;
        if (k) {
            k = ggml_cont(ctx, ggml_permute(ctx, ggml_reshape_4d(ctx, to_slots(k), hd, Hkv, S, G), 0, 2, 1, 3));  // [hd, S, Hkv, G]
            vt = ggml_cont(ctx, ggml_permute(ctx, ggml_reshape_4d(ctx, to_slots(v), hd, Hkv, S, G), 1, 2, 0, 3));  // [S, hd, Hkv, G]
            if (Hkv < hp.n_head) {
                // GQA: give every query head its own copy of its kv head (h -> h / r, as mul_mat's broadcast would);
                // ggml's matmul backward cannot reduce a broadcast over heads when groups occupy dim 3.
                k = repeat_kv(ctx, k, hp.n_head / Hkv);
                vt = repeat_kv(ctx, vt, hp.n_head / Hkv);
            }
            kv_of[il] = {k, vt};
        } else {
            const size_t src = hp.kv_source(il);
            if (src < range.first) fail(E_NATIVE, "a graph of layers " + std::to_string(range.first) + " on lacks layer " + std::to_string(src) + ", whose keys and values layer " + std::to_string(il) + " reads");
            std::tie(k, vt) = kv_of[src];
        }
        // By blocks of B queries (see kAttentionBlockRows): a block's queries are a view of the unpermuted q, whose
        // backward writes into q's gradient as laid out; its keys and values, views of the first L = s0 + n (the
        // queries' own and those before); its mask, a contiguous [L, n, 1, G] run of the block-ordered mask.
        ggml_tensor * kqv = nullptr;  // [hd, S_q, H, G]
        ggml_tensor * mask = blocks.layer_mask(il, g.mask, g.mask_swa);
        const size_t mask_es = ggml_element_size(mask);
        for (int64_t s0 = 0; s0 < S; s0 += shape.B) {
            const int64_t n = std::min(shape.B, S - s0), L = s0 + n;
            const bool all = n == S;
            ggml_tensor * qb = all ? q : ggml_view_4d(ctx, q, hd, hp.n_head, n, G, q->nb[1], q->nb[2], q->nb[3], s0 * q->nb[2]);
            ggml_tensor * kb = all ? k : ggml_view_4d(ctx, k, hd, L, k->ne[2], G, k->nb[1], k->nb[2], k->nb[3], 0);
            ggml_tensor * vb = all ? vt : ggml_view_4d(ctx, vt, L, hd, vt->ne[2], G, vt->nb[1], vt->nb[2], vt->nb[3], 0);
            ggml_tensor * mb = ggml_view_4d(ctx, mask, L, n, 1, G, L * mask_es, L * n * mask_es, L * n * mask_es, shape.mask_offset(s0) * mask_es);
            ggml_tensor * kq = blocks.scores(kb, ggml_permute(ctx, qb, 0, 2, 1, 3));  // [L, n, H, G]
            kq = ggml_soft_max_ext(ctx, kq, mb, blocks.score_scale(), 0.0f);
            ggml_tensor * part = ggml_mul_mat(ctx, vb, kq);  // [hd, n, H, G]
            kqv = kqv ? ggml_concat(ctx, kqv, part, 1) : part;
        }
        ggml_tensor * attn = ggml_cont_2d(ctx, ggml_permute(ctx, kqv, 0, 2, 1, 3), hd * hp.n_head, T);  // [hd·H, T]
        const bool last = il + 1 == n_layer;
        x = blocks.finish_rows(il, x, last ? g.keep : nullptr, attn, last ? g.keep_slot : g.row_slot, own);
    }
    if (!heads) {
        g.x_out = x;
        return g;
    }
    x = blocks.final_norm(x);  // [E, R + F]
    const auto rows = [&](int64_t first, int64_t n) { return n == R + F ? x : ggml_view_2d(ctx, x, x->ne[0], n, x->nb[1], first * x->nb[1]); };

    // Only rows that predict a scored token go through the LM head, a chunk of C rows at a time (see kHeadChunkRows).
    if (R > 0) {
        g.picks = ggml_new_tensor_1d(ctx, GGML_TYPE_I32, R);
        ggml_set_input(g.picks);
        for (int64_t r0 = 0; r0 < R; r0 += shape.C) {
            const int64_t n = std::min(shape.C, R - r0);
            ggml_tensor * probs = ggml_soft_max(ctx, blocks.logits(rows(r0, n)));  // [V, n]
            ggml_tensor * picks = ggml_view_1d(ctx, g.picks, n, r0 * ggml_element_size(g.picks));
            ggml_tensor * picked = ggml_get_rows(ctx, ggml_reshape_2d(ctx, probs, 1, hp.n_vocab * n), picks);  // [1, n]
            g.probs.push_back(probs);
            // log(softmax) is exact to float32 rounding for p above ~1e-38 (log-probs above about -87).
            g.logp.push_back(ggml_log(ctx, ggml_reshape_1d(ctx, picked, n)));
            ggml_set_output(g.logp.back());
        }
    }
    // Value-head features: the final-norm hidden state (what HF calls the last hidden state) at chosen rows.
    if (F > 0) {
        g.features = R == 0 ? x : ggml_cont(ctx, rows(R, F));
        ggml_set_output(g.features);
    }
    return g;
}

DecodeGraph build_decode(ggml_context * ctx, const Model & model, const KvCache & cache, int64_t slot0, int64_t nb, int64_t T, int64_t n_kv,
                         const LoraWeights * lora) {
    const HParams & hp = model.hparams();
    const int64_t H = hp.n_head, C = cache.n_ctx, N = T * nb;
    const size_t es = ggml_element_size(cache.k[0]);
    const Blocks blocks{ctx, model, lora};
    DecodeGraph g;
    g.tokens = ggml_new_tensor_1d(ctx, GGML_TYPE_I32, N);
    g.positions = ggml_new_tensor_1d(ctx, GGML_TYPE_I32, N);
    g.mask = ggml_new_tensor_4d(ctx, GGML_TYPE_F32, n_kv, T, 1, nb);
    if (hp.n_swa > 0 && n_kv > hp.n_swa) g.mask_swa = ggml_new_tensor_4d(ctx, GGML_TYPE_F32, n_kv, T, 1, nb);
    if (hp.tempers(n_kv)) g.temper = ggml_new_tensor_3d(ctx, GGML_TYPE_F32, 1, 1, N);
    g.last = ggml_new_tensor_1d(ctx, GGML_TYPE_I32, nb);
    for (ggml_tensor * t : {g.tokens, g.positions, g.mask, g.mask_swa, g.temper, g.last}) {
        if (t) ggml_set_input(t);
    }
    const auto cache_index = [&](int64_t hd, int64_t Hkv) {
        for (const DecodeGraph::CacheIndex & c : g.cache_index) {
            if (c.hd == hd && c.Hkv == Hkv) return c;
        }
        DecodeGraph::CacheIndex c{hd, Hkv, ggml_new_tensor_1d(ctx, GGML_TYPE_I64, Hkv * N), ggml_new_tensor_1d(ctx, GGML_TYPE_I64, hd * Hkv * N)};
        ggml_set_input(c.k_rows);
        ggml_set_input(c.v_cells);
        g.cache_index.push_back(c);
        return c;
    };

    ggml_tensor * x = blocks.embed(g.tokens);  // [E, T * nb], slot-major
    ggml_tensor * layer_inputs = hp.n_embd_per_layer > 0 ? blocks.layer_inputs(g.tokens, x) : nullptr;
    // each layer's cache with its new keys and values written, which layers that attend with another's read
    std::vector<std::pair<ggml_tensor *, ggml_tensor *>> kv_of(model.layers().size());
    for (size_t il = 0; il < model.layers().size(); il++) {
        const int64_t hd = hp.dims(il).head_dim, Hkv = hp.dims(il).n_head_kv;
        ggml_tensor *q, *k, *v;
        blocks.qkv(il, x, g.positions, g.temper, &q, &k, &v);
        // Write the new keys (rows of hd) and values (single cells of the transposed V) into the cache, then attend
        // over the first n_kv cells of each slot; the mask hides cells a token may not see.
        if (k) {
            const DecodeGraph::CacheIndex index = cache_index(hd, Hkv);
            kv_of[il] = {ggml_set_rows(ctx, cache.k[il], ggml_reshape_2d(ctx, k, hd, Hkv * N), index.k_rows),
                         ggml_set_rows(ctx, cache.v[il], ggml_reshape_2d(ctx, v, 1, hd * Hkv * N), index.v_cells)};
        }
        const auto [k_all, v_all] = kv_of[hp.kv_source(il)];
        ggml_tensor * ks = ggml_view_4d(ctx, k_all, hd, n_kv, Hkv, nb, hd * es, hd * C * es, hd * C * Hkv * es, slot0 * hd * C * Hkv * es);
        ggml_tensor * vs = ggml_view_4d(ctx, v_all, n_kv, hd, Hkv, nb, C * es, C * hd * es, C * hd * Hkv * es, slot0 * C * hd * Hkv * es);
        q = ggml_permute(ctx, ggml_reshape_4d(ctx, q, hd, H, T, nb), 0, 2, 1, 3);  // [hd, T, H, nb]
        ggml_tensor * mask = blocks.layer_mask(il, g.mask, g.mask_swa);
        ggml_tensor * kq = ggml_soft_max_ext(ctx, blocks.scores(ks, q), mask, blocks.score_scale(), 0.0f);  // [n_kv, T, H, nb]
        ggml_tensor * kqv = ggml_mul_mat(ctx, vs, kq);  // [hd, T, H, nb]
        ggml_tensor * attn = ggml_cont_2d(ctx, ggml_permute(ctx, kqv, 0, 2, 1, 3), hd * H, N);
        ggml_tensor * last = il + 1 == model.layers().size() ? g.last : nullptr;
        x = blocks.finish_rows(il, x, last, attn, last, blocks.layer_input(layer_inputs, il));
    }
    g.logits = blocks.logits(blocks.final_norm(x));  // [V, nb]
    g.probs = ggml_soft_max(ctx, g.logits);
    ggml_set_output(g.logits);
    ggml_set_output(g.probs);
    return g;
}

ForwardInputs forward_inputs(const HParams & hp, const PackedBatch & b, const ForwardShape & shape, const std::vector<int32_t> & feature_rows) {
    const int64_t T = (int64_t) b.tokens.size(), R = (int64_t) b.out_rows.size(), G = b.n_groups, S = T / G, n_vocab = hp.n_vocab;
    ForwardInputs in;
    in.slot_row.assign(T, 0);
    for (int64_t i = 0; i < T; i++) {
        if (b.branch[i] == -2) continue;
        in.slot_row[i] = (int32_t) in.row_slot.size();
        in.row_slot.push_back((int32_t) i);
        in.tokens.push_back(b.tokens[i]);
        in.positions.push_back(b.positions[i]);
        if (shape.temper) in.temper.push_back(hp.attn_temperature(b.positions[i]));
    }
    // Query i's row of keys, in blocks of B queries: block b (queries s0 = b·B onwards, n of them) is [s0 + n, n, 1, G].
    // The sliding-window layers' mask also hides keys n_swa or more positions back.
    const ggml_fp16_t visible = ggml_fp32_to_fp16(0.0f), hidden = ggml_fp32_to_fp16(-INFINITY);
    in.mask.assign((size_t) shape.mask_offset(S), hidden);
    if (shape.n_swa > 0) in.mask_swa.assign(in.mask.size(), hidden);
    for (int64_t gi = 0; gi < G; gi++) {
        const int32_t * br = b.branch.data() + gi * S;
        const int32_t * pos = b.positions.data() + gi * S;
        for (int64_t i = 0; i < S; i++) {
            const int64_t s0 = i / shape.B * shape.B, n = std::min(shape.B, S - s0), L = s0 + n;
            const size_t row = shape.mask_offset(s0) + L * (gi * n + (i - s0));
            ggml_fp16_t * m = in.mask.data() + row;
            ggml_fp16_t * m_swa = shape.n_swa > 0 ? in.mask_swa.data() + row : nullptr;
            if (br[i] == -2) {
                m[i] = visible;  // padding: itself only, so its softmax row stays finite
                if (m_swa) m_swa[i] = visible;
                continue;
            }
            for (int64_t j = 0; j <= i; j++) {
                if (br[j] != -1 && br[j] != br[i]) continue;
                m[j] = visible;
                if (m_swa && pos[i] - pos[j] < shape.n_swa) m_swa[j] = visible;
            }
        }
    }
    in.picks.resize(R);
    for (int64_t r = 0; r < R; r++) in.picks[r] = (int32_t) (r % shape.C * n_vocab + b.out_targets[r]);
    in.keep_slot = b.out_rows;
    in.keep_slot.insert(in.keep_slot.end(), feature_rows.begin(), feature_rows.end());
    in.keep.resize(in.keep_slot.size());
    for (size_t r = 0; r < in.keep.size(); r++) in.keep[r] = in.slot_row[in.keep_slot[r]];
    return in;
}

void set_forward_inputs(const ForwardGraph & g, const ForwardInputs & in) {
    // An input no node reads has no memory (a mask that no layer uses: a model with only sliding-window layers)
    const auto set = [](ggml_tensor * t, const auto & v) {
        if (t && t->buffer && !v.empty()) ggml_backend_tensor_set(t, v.data(), 0, v.size() * sizeof(v[0]));
    };
    set(g.tokens, in.tokens);
    set(g.positions, in.positions);
    set(g.slot_row, in.slot_row);
    set(g.row_slot, in.row_slot);
    set(g.mask, in.mask);
    set(g.mask_swa, in.mask_swa);
    set(g.temper, in.temper);
    set(g.picks, in.picks);
    set(g.keep, in.keep);
    set(g.keep_slot, in.keep_slot);
}

std::vector<float> read_logp(const ForwardGraph & g) {
    std::vector<float> out;
    for (const ggml_tensor * t : g.logp) {
        out.resize(out.size() + ggml_nelements(t));
        ggml_backend_tensor_get(t, out.data() + out.size() - ggml_nelements(t), 0, ggml_nbytes(t));
    }
    return out;
}

std::vector<float> forward_logprobs(const Model & model, const PackedBatch & batch) {
    const HParams & hp = model.hparams();
    batch.validate(hp);
    if (batch.out_rows.empty()) return {};
    const ForwardShape shape = forward_shape(hp, batch);
    const size_t max_nodes = forward_graph_size(model, shape);
    ggml_init_params params{ggml_tensor_overhead() * max_nodes + ggml_graph_overhead_custom(max_nodes, false), nullptr, true};
    CtxPtr ctx(ggml_init(params));
    if (!ctx) fail(E_NATIVE, "cannot create a ggml context");

    const ForwardGraph g = build_forward(ctx.get(), model, shape);
    ggml_cgraph * gf = ggml_new_graph_custom(ctx.get(), max_nodes, false);
    for (ggml_tensor * t : g.logp) ggml_build_forward_expand(gf, t);

    if (!ggml_gallocr_alloc_graph(model.allocator(), gf)) fail(E_OOM, "out of memory allocating the forward graph");
    set_forward_inputs(g, forward_inputs(hp, batch, shape));
    model.compute(gf);
    return read_logp(g);
}

}  // namespace rl
