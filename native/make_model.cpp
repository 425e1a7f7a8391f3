#include "make_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "errors.h"
#include "handles.h"
#include "ggml.h"
#include "gguf.h"
#include "llama.h"
#include "model.h"
#include "rng.h"

namespace rl {
namespace {

// A weight type by name, and the file type llama.cpp's tools report for a file whose matrices all have it.
struct WeightType {
    ggml_type type;
    llama_ftype ftype;
};

WeightType parse_type(const std::string & name) {
    static const std::pair<const char *, WeightType> types[] = {
        {"f32", {GGML_TYPE_F32, LLAMA_FTYPE_ALL_F32}},        {"f16", {GGML_TYPE_F16, LLAMA_FTYPE_MOSTLY_F16}},
        {"bf16", {GGML_TYPE_BF16, LLAMA_FTYPE_MOSTLY_BF16}},  {"q8_0", {GGML_TYPE_Q8_0, LLAMA_FTYPE_MOSTLY_Q8_0}},
        {"q4_0", {GGML_TYPE_Q4_0, LLAMA_FTYPE_MOSTLY_Q4_0}},  {"q4_1", {GGML_TYPE_Q4_1, LLAMA_FTYPE_MOSTLY_Q4_1}},
        {"q5_0", {GGML_TYPE_Q5_0, LLAMA_FTYPE_MOSTLY_Q5_0}},  {"q5_1", {GGML_TYPE_Q5_1, LLAMA_FTYPE_MOSTLY_Q5_1}},
        {"q4_k", {GGML_TYPE_Q4_K, LLAMA_FTYPE_MOSTLY_Q4_K_S}}, {"q5_k", {GGML_TYPE_Q5_K, LLAMA_FTYPE_MOSTLY_Q5_K_S}},
        {"q6_k", {GGML_TYPE_Q6_K, LLAMA_FTYPE_MOSTLY_Q6_K}},
    };
    for (const auto & [n, t] : types) {
        if (name == n) return t;
    }
    fail(E_ARGUMENT, "unknown tensor type \"" + name + "\" (f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k)");
}

struct Spec {
    std::string name;
    int64_t ne0, ne1;
    float scale;  // std of the random init; 0 means "norm weights": 1 + small noise; < 0: rope frequency factors
    int64_t split = 0;        // rows from this one on (if positive) have std scale_after: a fused projection's parts
    float scale_after = 0.0f;
    int64_t rotated = 0;  // rope frequency factors, if positive: 1 for the first `rotated`, 1e30 (no rotation) for the
                          // rest, as Gemma 4's proportional RoPE
    int64_t matrices = 1;  // a 3-d tensor of this many [ne0, ne1 / matrices] matrices (experts' projections)
    bool f32 = false;      // kept f32 in quantized files, as llama.cpp's quantizer keeps routers

    uint64_t draws_per_value() const { return scale < 0 ? 1 : 2; }  // generator steps: a uniform or a normal

    // Rows [r0, r1) of the values, from `rng` positioned at row 0: any split of the rows gives the same tensor.
    void generate(Rng rng, int64_t r0, int64_t r1, float * out) const {
        rng.skip((uint64_t) (r0 * ne0) * draws_per_value());
        for (int64_t i = 0; i < (r1 - r0) * ne0; i++) {
            if (scale > 0) out[i] = (split > 0 && r0 + i / ne0 >= split ? scale_after : scale) * rng.normal();
            else if (scale == 0) out[i] = 1.0f + 0.1f * rng.normal();
            else if (rotated > 0) out[i] = (r0 * ne0 + i) % ne0 < rotated ? 1.0f : 1e30f;
            else out[i] = 1.0f + 0.5f * (float) rng.uniform();
        }
    }
};

// Runs f(r0, r1) over [0, rows) split among the machine's cores: a 7B model is ~7e9 random values.
template <class F> void parallel_rows(int64_t rows, F f) {
    const int64_t n = std::clamp<int64_t>((int64_t) std::thread::hardware_concurrency(), 1, rows);
    std::vector<std::thread> workers;
    for (int64_t i = 1; i < n; i++) workers.emplace_back(f, rows * i / n, rows * (i + 1) / n);
    f(0, rows / n);
    for (std::thread & w : workers) w.join();
}

}  // namespace

void make_model(const MakeModelOptions & o) {
    const WeightType weights = parse_type(o.type);
    const ggml_type wtype = weights.type;
    const ggml_type rtype = o.round_trip.empty() ? wtype : parse_type(o.round_trip).type;
    if (o.n_layer <= 0 || o.n_embd <= 0 || o.n_head <= 0 || o.n_head_kv <= 0 || o.n_ff <= 0 || o.n_ctx <= 0) {
        fail(E_ARGUMENT, "layers, embd, heads, kv-heads, ff and ctx must be positive");
    }
    if (o.head_dim == 0 && o.n_embd % o.n_head != 0) fail(E_ARGUMENT, "embd must be a multiple of heads (or give the head size)");
    if (!(o.output_scale > 0)) fail(E_ARGUMENT, "the output scale must be positive");
    if (o.n_head % o.n_head_kv != 0) fail(E_ARGUMENT, "heads must be a multiple of kv-heads");
    const Architecture * arch = find_architecture(o.arch);
    if (!arch) fail(E_ARGUMENT, "unknown architecture \"" + o.arch + "\" (" + architecture_names() + ")");
    if (o.head_dim < 0 || o.head_dim_swa < 0 || o.n_head_kv_global < 0) fail(E_ARGUMENT, "head sizes and kv heads must be positive");
    if (o.n_head_kv_global > 0 && o.n_head % o.n_head_kv_global != 0) fail(E_ARGUMENT, "heads must be a multiple of the global layers' kv heads");
    if (o.k_eq_v && !arch->v_norm) fail(E_ARGUMENT, o.arch + "'s layers all have value projections (gemma4's global layers may not)");
    if (o.n_embd_per_layer < 0 || (o.n_embd_per_layer > 0 && !arch->layer_inputs)) fail(E_ARGUMENT, "per-layer inputs must be positive, and " + o.arch + " has none (gemma4 has)");
    if (o.n_kv_shared < 0 || (o.n_kv_shared > 0 && !arch->shared_kv)) fail(E_ARGUMENT, "shared key-value layers must be positive, and " + o.arch + " has none (gemma4 has)");
    const bool moe = o.n_expert > 0 || arch->experts == Experts::always;
    if (moe && arch->experts == Experts::none) fail(E_ARGUMENT, o.arch + " has no mixtures of experts (llama, gemma4 and qwen3moe have)");
    if (moe && (o.n_expert_used <= 0 || o.n_expert_used > o.n_expert || o.n_ff_exp < 0)) fail(E_ARGUMENT, "a mixture of experts needs between 1 and experts experts per token");
    if (!moe && (o.n_expert_used != 0 || o.n_ff_exp != 0)) fail(E_ARGUMENT, "experts per token and the experts' ff need experts");
    if (arch->experts == Experts::instead && o.n_ff_exp != 0 && o.n_ff_exp != o.n_ff) fail(E_ARGUMENT, o.arch + "'s experts are ff wide");
    const bool dense_ff = !moe || arch->experts == Experts::beside;
    const int64_t n_ff_exp = o.n_ff_exp > 0 ? o.n_ff_exp : o.n_ff;
    const bool tied = o.tied.value_or(arch->lm_head == LmHead::tied);
    if (tied ? arch->lm_head == LmHead::own : arch->lm_head == LmHead::tied) {
        fail(E_ARGUMENT, o.arch + (tied ? " has an output projection of its own: it cannot be tied" : "'s output projection is its token embedding: it must be tied"));
    }
    if (o.biases && !arch->dense_biases && !arch->output_bias) fail(E_ARGUMENT, o.arch + " has no optional biases (llama, granite, mistral3 and qwen2 have)");
    if (o.n_swa < 0 || (o.n_swa > 0 && arch->swa_every == 0)) fail(E_ARGUMENT, "a sliding window must be positive, and " + o.arch + " has none");
    const bool any_depth = arch->swa_at_layers == 0 || o.n_layer == arch->swa_at_layers;
    if (o.n_swa > 0 && !any_depth) {
        fail(E_ARGUMENT, o.arch + " has windows only at " + std::to_string(arch->swa_at_layers) + " layers (llama.cpp reads none in other depths)");
    }
    const int64_t n_swa = o.n_swa > 0 ? o.n_swa : any_depth ? arch->swa_window : 0;
    const auto windowed = [&](int64_t il) { return n_swa > 0 && windowed_layer(il, arch->swa_every); };
    if ((o.head_dim_swa > 0 || o.n_head_kv_global > 0) && n_swa == 0) fail(E_ARGUMENT, "windowed layers' own head sizes and kv heads need a sliding window");
    const int64_t hd = o.head_dim > 0 ? o.head_dim : o.n_embd / o.n_head, hd_swa = o.head_dim_swa > 0 ? o.head_dim_swa : hd;
    // each layer's head size and kv heads
    const auto head_dim = [&](int64_t il) { return windowed(il) ? hd_swa : hd; };
    const auto kv_heads = [&](int64_t il) { return !windowed(il) && o.n_head_kv_global > 0 ? o.n_head_kv_global : o.n_head_kv; };
    const int64_t kv_from = o.n_layer - o.n_kv_shared;  // as llama.cpp shares them: see Model::read_shared_kv_and_layer_inputs
    if (o.n_kv_shared > 0 && (kv_from < 2 || !windowed(kv_from - 2) || windowed(kv_from - 1))) {
        fail(E_ARGUMENT, "the two layers before the " + std::to_string(o.n_kv_shared) + " that share keys and values must be a windowed one, then a global one");
    }
    if (hd % 2 != 0 || hd_swa % 2 != 0) fail(E_ARGUMENT, "the head size (embd / heads) must be even for RoPE");
    if (arch->half_rotary && hd % 4 != 0) fail(E_ARGUMENT, o.arch + " rotates half of each head: the head size must be a multiple of 4");
    for (ggml_type t : {wtype, rtype}) {
        const int64_t blck = ggml_blck_size(t);
        if (o.n_embd % blck != 0 || o.n_ff % blck != 0 || (moe && n_ff_exp % blck != 0) || hd * o.n_head % blck != 0 || hd_swa * o.n_head % blck != 0 || o.n_embd_per_layer % blck != 0) {
            fail(E_ARGUMENT, std::string("type ") + ggml_type_name(t) + " packs rows in blocks of " + std::to_string(blck) + ": embd, ff, heads × head size and per-layer inputs must be multiples of it");
        }
    }

    gguf_init_params vp{true, nullptr};
    GgufPtr vocab(gguf_init_from_file(o.vocab_file.c_str(), vp));
    if (!vocab) fail(E_ARGUMENT, "cannot read the vocabulary file " + o.vocab_file);
    const int64_t tok_id = gguf_find_key(vocab.get(), "tokenizer.ggml.tokens");
    if (tok_id < 0) fail(E_ARGUMENT, o.vocab_file + " has no tokenizer.ggml.tokens");
    const int64_t n_vocab = (int64_t) gguf_get_arr_n(vocab.get(), tok_id);

    GgufPtr g(gguf_init_empty());
    gguf_set_kv(g.get(), vocab.get());
    for (int64_t i = gguf_get_n_kv(g.get()) - 1; i >= 0; i--) {
        const std::string key = gguf_get_key(g.get(), i);
        if (key.rfind("tokenizer.", 0) != 0) gguf_remove_key(g.get(), key.c_str());
    }
    if (!o.chat_template.empty()) gguf_set_val_str(g.get(), "tokenizer.chat_template", o.chat_template.c_str());
    gguf_set_val_str(g.get(), "general.architecture", o.arch.c_str());
    gguf_set_val_str(g.get(), "general.name", "rl-ggml random test model");
    gguf_set_val_u32(g.get(), "general.file_type", (uint32_t) weights.ftype);
    const auto key = [&](const char * name) { return o.arch + "." + name; };  // hyperparameters are per architecture
    gguf_set_val_u32(g.get(), key("context_length").c_str(), (uint32_t) o.n_ctx);
    gguf_set_val_u32(g.get(), key("embedding_length").c_str(), (uint32_t) o.n_embd);
    gguf_set_val_u32(g.get(), key("block_count").c_str(), (uint32_t) o.n_layer);
    gguf_set_val_u32(g.get(), key("feed_forward_length").c_str(), (uint32_t) o.n_ff);
    gguf_set_val_u32(g.get(), key("attention.head_count").c_str(), (uint32_t) o.n_head);
    if (moe) {
        gguf_set_val_u32(g.get(), key("expert_count").c_str(), (uint32_t) o.n_expert);
        gguf_set_val_u32(g.get(), key("expert_used_count").c_str(), (uint32_t) o.n_expert_used);
        if (arch->experts != Experts::instead) gguf_set_val_u32(g.get(), key("expert_feed_forward_length").c_str(), (uint32_t) n_ff_exp);
    }
    if (o.n_head_kv_global > 0) {  // one per layer, as Gemma 4's converter writes them
        std::vector<int32_t> kv(o.n_layer);
        for (int64_t il = 0; il < o.n_layer; il++) kv[il] = (int32_t) kv_heads(il);
        gguf_set_arr_data(g.get(), key("attention.head_count_kv").c_str(), GGUF_TYPE_INT32, kv.data(), kv.size());
    } else {
        gguf_set_val_u32(g.get(), key("attention.head_count_kv").c_str(), (uint32_t) o.n_head_kv);
    }
    gguf_set_val_u32(g.get(), key("rope.dimension_count").c_str(), (uint32_t) (arch->half_rotary ? hd / 2 : hd));
    gguf_set_val_f32(g.get(), key("rope.freq_base").c_str(), o.rope_freq_base);
    gguf_set_val_f32(g.get(), key("attention.layer_norm_rms_epsilon").c_str(), 1e-5f);
    gguf_set_val_u32(g.get(), key("vocab_size").c_str(), (uint32_t) n_vocab);
    if (n_swa > 0) gguf_set_val_u32(g.get(), key("attention.sliding_window").c_str(), (uint32_t) n_swa);
    if (n_swa > 0 && arch->swa_layer_list) {  // as OLMo 3's, EXAONE 4's and Gemma 4's converters write their layer types
        std::vector<int8_t> pattern(o.n_layer);
        for (int64_t il = 0; il < o.n_layer; il++) pattern[il] = windowed(il);
        gguf_set_arr_data(g.get(), key("attention.sliding_window_pattern").c_str(), GGUF_TYPE_BOOL, pattern.data(), pattern.size());
    }
    // Gemma 4's converter writes the width of its per-layer token inputs (0: none, the larger models' case) and its
    // windowed layers' head size, which llama.cpp requires, and its files always have RoPE factors
    const bool gemma4 = o.arch == "gemma4";
    if (gemma4) gguf_set_val_u32(g.get(), key("embedding_length_per_layer_input").c_str(), (uint32_t) o.n_embd_per_layer);
    if (o.n_kv_shared > 0) gguf_set_val_u32(g.get(), key("attention.shared_kv_layers").c_str(), (uint32_t) o.n_kv_shared);
    if (o.head_dim_swa > 0 || gemma4) {
        gguf_set_val_u32(g.get(), key("attention.key_length_swa").c_str(), (uint32_t) hd_swa);
        gguf_set_val_u32(g.get(), key("attention.value_length_swa").c_str(), (uint32_t) hd_swa);
        gguf_set_val_u32(g.get(), key("rope.dimension_count_swa").c_str(), (uint32_t) hd_swa);
    }
    if (!(o.attn_softcap >= 0) || !(o.final_softcap >= 0)) fail(E_ARGUMENT, "soft caps must be positive");
    const bool attn_caps = arch->attn_softcap > 0, final_caps = attn_caps || arch->final_softcap_key;
    if ((!attn_caps && o.attn_softcap > 0) || (!final_caps && o.final_softcap > 0)) {
        fail(E_ARGUMENT, o.arch + " has no " + (final_caps ? "soft cap on attention's scores (gemma2 has)" : "soft caps (gemma2 has)"));
    }
    if (attn_caps) gguf_set_val_f32(g.get(), key("attn_logit_softcapping").c_str(), o.attn_softcap > 0 ? o.attn_softcap : arch->attn_softcap);
    if (final_caps) gguf_set_val_f32(g.get(), key("final_logit_softcapping").c_str(), o.final_softcap > 0 ? o.final_softcap : arch->final_softcap);
    // RoPE factors on phi3 are LongRoPE's, as Phi-3's long-context files have them: short ones up to the original
    // context (here a quarter of the context), long ones beyond, and the converter's attention factor for the ratio
    const bool long_rope = o.rope_freqs && o.arch == "phi3";
    if (long_rope) {
        if (!o.rope_scaling.empty()) fail(E_ARGUMENT, "phi3's RoPE factors (LongRoPE) and RoPE scaling do not combine");
        const int64_t original = o.n_ctx / 4;
        gguf_set_val_u32(g.get(), key("rope.scaling.original_context_length").c_str(), (uint32_t) original);
        gguf_set_val_f32(g.get(), key("rope.scaling.attn_factor").c_str(), std::sqrt(1.0f + std::log(4.0f) / std::log((float) original)));
    }
    if (!o.rope_scaling.empty()) {
        if (o.rope_scaling != "linear" && o.rope_scaling != "yarn") fail(E_ARGUMENT, "RoPE scaling is linear or yarn, not \"" + o.rope_scaling + "\"");
        if (!(o.rope_scaling_factor >= 1.0f)) fail(E_ARGUMENT, "the RoPE scaling factor must be at least 1");
        gguf_set_val_str(g.get(), key("rope.scaling.type").c_str(), o.rope_scaling.c_str());
        gguf_set_val_f32(g.get(), key("rope.scaling.factor").c_str(), o.rope_scaling_factor);
        if (o.rope_original_ctx > 0) gguf_set_val_u32(g.get(), key("rope.scaling.original_context_length").c_str(), (uint32_t) o.rope_original_ctx);
        if (o.rope_scaling == "yarn" && arch->attn_temperature) {  // Ministral 3's YaRN keys
            gguf_set_val_f32(g.get(), key("rope.scaling.yarn_beta_fast").c_str(), 32.0f);
            gguf_set_val_f32(g.get(), key("rope.scaling.yarn_beta_slow").c_str(), 1.0f);
            gguf_set_val_f32(g.get(), key("rope.scaling.yarn_log_multiplier").c_str(), 1.0f);
        }
    }
    if (!std::isfinite(o.attn_temperature) || (o.attn_temperature != 0.0f && !arch->attn_temperature)) {
        fail(E_ARGUMENT, "an attention temperature must be finite, and " + o.arch + " has none (mistral3 has)");
    }
    if (o.attn_temperature != 0.0f) gguf_set_val_f32(g.get(), key("attention.temperature_scale").c_str(), o.attn_temperature);
    // Granite 3.3's μP multipliers (its attention's is 1 / head size at 2B and 8B alike), and its RoPE switch
    const bool granite = arch->multipliers;
    const float embedding_scale = granite ? 12.0f : 1.0f, residual_scale = granite ? 0.22f : 1.0f, logit_scale = granite ? 8.0f : 1.0f;
    if (o.no_rope && !granite) fail(E_ARGUMENT, "only granite files switch RoPE off (" + o.arch + " rotates positions)");
    if (granite) {
        gguf_set_val_f32(g.get(), key("embedding_scale").c_str(), embedding_scale);
        gguf_set_val_f32(g.get(), key("residual_scale").c_str(), residual_scale);
        gguf_set_val_f32(g.get(), key("attention.scale").c_str(), 1.0f / (float) hd);
        gguf_set_val_f32(g.get(), key("logit_scale").c_str(), logit_scale);
        gguf_set_val_bool(g.get(), key("rope.scaling.finetuned").c_str(), !o.no_rope);
    }
    if (o.head_dim > 0 || o.head_dim_swa > 0 || gemma4) {
        gguf_set_val_u32(g.get(), key("attention.key_length").c_str(), (uint32_t) hd);
        gguf_set_val_u32(g.get(), key("attention.value_length").c_str(), (uint32_t) hd);
    }

    // Init scales keep activations O(1) through the residual stream so log-probs are neither flat nor degenerate.
    // Granite's multipliers are undone by the weights they scale (embeddings, the sublayers' output projections and
    // the head), so its random models behave as llama's do.
    const float s_in = 1.0f / std::sqrt((float) o.n_embd), s_ff = 1.0f / std::sqrt((float) o.n_ff);
    const float s_head = o.output_scale * s_in * logit_scale;
    // Gemma's embeddings enter scaled by √embd: unit-size rows there, and logits of the output scale's spread (its
    // head is the embedding); a tied head's spread comes first elsewhere too.
    const float s_embd = arch->gemma ? o.output_scale * s_in : tied && granite ? s_head : 1.0f / embedding_scale;
    const bool fused_qkv = o.fused_qkv.value_or(arch->fused_qkv);
    std::vector<Spec> specs = {{"token_embd.weight", o.n_embd, n_vocab, s_embd}};
    for (int64_t il = 0; il < o.n_layer; il++) {
        const std::string p = "blk." + std::to_string(il) + ".";
        const int64_t hd = head_dim(il), q_width = hd * o.n_head, kv_width = hd * kv_heads(il);
        const bool values = !(o.k_eq_v && !windowed(il));
        if (arch->pre_norms) specs.push_back({p + "attn_norm.weight", o.n_embd, 1, 0});
        if (fused_qkv) {
            // the query and key rows at twice the value rows' scale, as below
            specs.push_back({p + "attn_qkv.weight", o.n_embd, q_width + 2 * kv_width, 2 * s_in, q_width + kv_width, s_in});
            if (arch->qkv_biases) specs.push_back({p + "attn_qkv.bias", q_width + 2 * kv_width, 1, 0.5f});
        } else {
            specs.push_back({p + "attn_q.weight", o.n_embd, q_width, 2 * s_in});
            specs.push_back({p + "attn_k.weight", o.n_embd, kv_width, 2 * s_in});
            if (values) specs.push_back({p + "attn_v.weight", o.n_embd, kv_width, s_in});
            if (arch->qkv_biases) {
                specs.push_back({p + "attn_q.bias", q_width, 1, 0.5f});
                specs.push_back({p + "attn_k.bias", kv_width, 1, 0.5f});
                specs.push_back({p + "attn_v.bias", kv_width, 1, 0.5f});
            }
        }
        if (arch->qk_norm != QkNorm::none) {
            const bool whole = arch->qk_norm == QkNorm::whole;
            specs.push_back({p + "attn_q_norm.weight", whole ? q_width : hd, 1, 0});
            specs.push_back({p + "attn_k_norm.weight", whole ? kv_width : hd, 1, 0});
        }
        specs.push_back({p + "attn_output.weight", q_width, o.n_embd, 1.0f / std::sqrt((float) q_width) / residual_scale});
        const bool dense_biases = o.biases && arch->dense_biases;
        if (dense_biases) specs.push_back({p + "attn_output.bias", o.n_embd, 1, 0.1f});
        if (arch->post_norms) {
            specs.push_back({p + "post_attention_norm.weight", o.n_embd, 1, 0});
            specs.push_back({p + "post_ffw_norm.weight", o.n_embd, 1, 0});
        }
        if (arch->pre_norms) specs.push_back({p + "ffn_norm.weight", o.n_embd, 1, 0});
        if (moe) {  // a router, and each expert's projections as one matrix per expert (Gemma 4's gate and up in one)
            const int64_t X = o.n_expert;
            // logits of unit spread: Gemma 4's router reads its input RMS-normed and / √embd (a unit vector), the
            // others' the normed hidden states
            Spec router{p + "ffn_gate_inp.weight", o.n_embd, X, arch->experts == Experts::beside ? 1.0f : s_in};
            Spec gate{p + "ffn_gate_exps.weight", o.n_embd, n_ff_exp * X, s_in}, up{p + "ffn_up_exps.weight", o.n_embd, n_ff_exp * X, s_in};
            Spec gate_up{p + "ffn_gate_up_exps.weight", o.n_embd, 2 * n_ff_exp * X, s_in};
            Spec down{p + "ffn_down_exps.weight", n_ff_exp, o.n_embd * X, 1.0f / std::sqrt((float) n_ff_exp)};
            router.f32 = true;
            gate.matrices = up.matrices = gate_up.matrices = down.matrices = X;
            if (arch->experts == Experts::beside) {  // with Gemma 4's norms and scales around them
                specs.insert(specs.end(), {router, {p + "ffn_gate_inp.scale", o.n_embd, 1, 0}, gate_up, down, {p + "ffn_down_exps.scale", X, 1, 0},
                                           {p + "pre_ffw_norm_2.weight", o.n_embd, 1, 0}, {p + "post_ffw_norm_1.weight", o.n_embd, 1, 0},
                                           {p + "post_ffw_norm_2.weight", o.n_embd, 1, 0}});
            } else {
                specs.insert(specs.end(), {router, gate, up, down});
            }
        }
        if (dense_ff) {
            if (!arch->fused_up) specs.push_back({p + "ffn_gate.weight", o.n_embd, o.n_ff, s_in});
            specs.push_back({p + "ffn_up.weight", o.n_embd, arch->fused_up ? 2 * o.n_ff : o.n_ff, s_in});
            specs.push_back({p + "ffn_down.weight", o.n_ff, o.n_embd, s_ff / residual_scale});
        }
        if (dense_biases && !moe) {
            specs.push_back({p + "ffn_gate.bias", o.n_ff, 1, 0.5f});
            specs.push_back({p + "ffn_up.bias", o.n_ff, 1, 0.5f});
            specs.push_back({p + "ffn_down.bias", o.n_embd, 1, 0.1f});
        }
        if (o.n_embd_per_layer > 0) {
            specs.push_back({p + "inp_gate.weight", o.n_embd, o.n_embd_per_layer, s_in});
            specs.push_back({p + "proj.weight", o.n_embd_per_layer, o.n_embd, 1.0f / std::sqrt((float) o.n_embd_per_layer)});
            specs.push_back({p + "post_norm.weight", o.n_embd, 1, 0});
        }
        if (arch->out_scales) specs.push_back({p + "layer_output_scale.weight", 1, 1, 0});
    }
    if (o.n_embd_per_layer > 0) {  // each token's inputs of every layer (unit size after their √P), and their projection
        const int64_t P = o.n_embd_per_layer;
        specs.push_back({"per_layer_token_embd.weight", P * o.n_layer, n_vocab, 1.0f / std::sqrt((float) P)});
        specs.push_back({"per_layer_model_proj.weight", o.n_embd, P * o.n_layer, s_in});
        specs.push_back({"per_layer_proj_norm.weight", P, 1, 0});
    }
    specs.push_back({"output_norm.weight", o.n_embd, 1, 0});
    if (!tied) specs.push_back({"output.weight", o.n_embd, n_vocab, s_head});
    if (o.biases && arch->output_bias) specs.push_back({"output.bias", n_vocab, 1, 0.5f});
    if (long_rope) {
        specs.push_back({"rope_factors_long.weight", hd / 2, 1, -1});
        specs.push_back({"rope_factors_short.weight", hd / 2, 1, -1});
    } else if (gemma4) {  // its global layers rotate a quarter of each head
        specs.push_back({"rope_freqs.weight", hd / 2, 1, -1, 0, 0.0f, hd / 8});
    } else if (o.rope_freqs) {
        specs.push_back({"rope_freqs.weight", hd / 2, 1, -1});
    }

    ggml_init_params cp{ggml_tensor_overhead() * 2 * specs.size(), nullptr, true};  // a tensor and a 1-d view per spec
    CtxPtr ctx(ggml_init(cp));
    for (const Spec & s : specs) {
        const ggml_type t = s.ne1 == 1 || s.f32 ? GGML_TYPE_F32 : wtype;
        ggml_tensor * tensor = ggml_new_tensor_3d(ctx.get(), t, s.ne0, s.ne1 / s.matrices, s.matrices);
        if (s.ne1 == 1) tensor = ggml_reshape_1d(ctx.get(), tensor, s.ne0);
        ggml_set_name(tensor, s.name.c_str());
        gguf_add_tensor(g.get(), tensor);
    }

    // Metadata first, then each tensor's data generated and written in turn (a 7B file never sits in memory whole).
    const std::string tmp = o.out + ".tmp";
    FILE * f = std::fopen(tmp.c_str(), "wb");
    if (!f) fail(E_ARGUMENT, "cannot write " + tmp + ": " + std::strerror(errno));
    bool ok = gguf_write_to_file_ptr(g.get(), f, true);
    const size_t align = gguf_get_alignment(g.get());
    Rng rng{o.seed * 0x2545F4914F6CDD1DULL + 1};
    std::vector<float> w;
    std::vector<uint8_t> q;
    for (size_t i = 0; ok && i < specs.size(); i++) {
        const Spec & s = specs[i];
        const ggml_type t = s.ne1 == 1 || s.f32 ? GGML_TYPE_F32 : wtype;
        const bool round_trip = s.ne1 > 1 && !s.f32 && rtype != wtype;
        const size_t n = ggml_row_size(t, s.ne0) * (size_t) s.ne1;
        w.resize((size_t) (s.ne0 * s.ne1));
        q.resize(n + align);
        parallel_rows(s.ne1, [&](int64_t r0, int64_t r1) {
            float * rows = w.data() + r0 * s.ne0;
            s.generate(rng, r0, r1, rows);
            if (round_trip) {
                std::vector<uint8_t> rq(ggml_row_size(rtype, s.ne0) * (size_t) (r1 - r0));
                ggml_quantize_chunk(rtype, rows, rq.data(), 0, r1 - r0, s.ne0, nullptr);
                ggml_get_type_traits(rtype)->to_float(rq.data(), rows, (r1 - r0) * s.ne0);
            }
            ggml_quantize_chunk(t, w.data(), q.data(), r0 * s.ne0, r1 - r0, s.ne0, nullptr);
        });
        rng.skip((uint64_t) (s.ne0 * s.ne1) * s.draws_per_value());
        const size_t padded = GGML_PAD(n, align);
        std::memset(q.data() + n, 0, padded - n);
        ok = std::fwrite(q.data(), 1, padded, f) == padded;
    }
    ok = (std::fclose(f) == 0) && ok;
    if (!ok || std::rename(tmp.c_str(), o.out.c_str()) != 0) {
        std::remove(tmp.c_str());
        fail(E_ARGUMENT, "failed writing " + o.out + ": " + std::strerror(errno));
    }
}

}  // namespace rl
