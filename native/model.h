// A model of a supported architecture (llama and its relatives: see Architecture) loaded from GGUF: hyperparameters,
// frozen weights in a ggml backend buffer, and the tokenizer (libllama's vocabulary, loaded with vocab_only so
// tokenization is byte-identical to llama.cpp's).
#pragma once
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ggml.h"
#include "ggml-alloc.h"
#include "ggml-backend.h"
#include "file_map.h"
#include "gguf.h"
#include "lora.h"

struct llama_model;
struct llama_vocab;

namespace rl {

// Where a block RMS-norms its queries and keys (before RoPE): not at all, each head's vector, or each whole projection.
enum class QkNorm { none, per_head, whole };

// Where the LM head's weights come from in files llama.cpp loads: output.weight or else the token embedding (tied), or
// only one of them.
enum class LmHead { either, tied, own };

// Where an architecture's files may have mixtures of experts: nowhere; instead of the feed-forward where the file gives
// expert_count (llama: Mixtral's, its experts feed_forward_length wide); beside it, as a shared expert, in the layers
// that have a router (gemma4: 26B-A4B's); always instead of it (qwen3moe).
enum class Experts { none, instead, beside, always };

// What sets a supported architecture's block apart from llama's, as llama.cpp's graphs have it (native/forward.cpp
// applies it; make_model writes the tensors it needs). The table in model.cpp names the fields it sets.
struct Architecture {
    const char * name;
    int rope_type = GGML_ROPE_TYPE_NORMAL;  // qwen2, qwen3, the Gemmas, olmo2, phi3: NeoX-style (each head's halves
                                            // rotated together)
    bool qkv_biases = false;        // qwen2, glm4: q, k, v projection biases (used where other architectures' files have
                                    // them)
    bool dense_biases = false;      // llama, granite, mistral3: attn_output and feed-forward biases, where files have them
    bool output_bias = false;       // qwen2: an LM head bias, where its files have one
    bool fused_qkv = false;         // phi3: its files have one attn_qkv, which make_model writes (any architecture's may)
    QkNorm qk_norm = QkNorm::none;  // qwen3, gemma3, exaone4: per head; olmo2: whole
    bool scaled_queries = false;    // the Gemmas, phi3: queries scaled by the score scale before the product with the
                                    // keys, as llama.cpp's graphs do (quantized products round their inputs alike)
    int64_t no_rope_every = 0;      // smollm3: 4, layers il with (il + 1) % 4 == 0 use no RoPE; 0: all use it
    bool pre_norms = true;          // olmo2, exaone4: none, the attention and the feed-forward read the residual stream
    bool post_norms = false;        // the Gemmas, olmo2, glm4, exaone4: the attention's and feed-forward's outputs RMS-normed
                                    // before their residual adds
    bool gemma = false;             // the Gemmas: token embeddings scaled by √embedding_length, a GELU-gated feed-forward
    bool fused_up = false;          // phi3, glm4: ffn_up holds the gate's rows, then the up projection's ([E, 2·F]); no
                                    // ffn_gate
    // gemma2: attention's scores and the output's logits soft-capped, c·tanh(x / c), with these c where the file gives
    // none (llama.cpp's defaults); 0: no caps
    float attn_softcap = 0.0f, final_softcap = 0.0f;
    int64_t swa_every = 0;          // gemma3: 6 (gemma2: 2, olmo2: 4), unless the file says otherwise: all layers but
                                    // every 6th attend only to the last attention.sliding_window positions (if given)
    int64_t swa_window = 0;         // gemma2: 4,096 (gemma4: 1,024), the window where the file gives none
    float swa_rope_base = 0;        // the windowed layers' RoPE base where the file gives none (gemma3: 10,000); 0: the
                                    // others'
    LmHead lm_head = LmHead::either;  // gemma2: tied; olmo2: its own
    bool multipliers = false;       // granite: the file's embedding, residual, attention and logit multipliers (μP's)
    bool half_rotary = false;       // glm4: its files rotate half of each head (which make_model writes so)
    int64_t swa_at_layers = 0;      // exaone4: 64, windows only in models of this depth (its 32B), as llama.cpp has it
    bool global_nope = false;       // exaone4: with windows, the layers that attend to everything use no RoPE
    bool swa_layer_list = false;    // olmo2, exaone4: converters list the windowed layers (make_model writes so)
    bool attn_temperature = false;  // mistral3: Llama 4's attention temperature, and YaRN's betas and log multiplier
                                    // from the file
    bool final_softcap_key = false;  // gemma4: the logits soft-capped only (final_logit_softcapping, else final_softcap)
    bool v_norm = false;            // gemma4: values RMS-normed (no weight); layers without attn_v take the keys' projection
    bool unit_scores = false;       // gemma4: attention's scores unscaled (its q, k norms set their size)
    bool out_scales = false;        // gemma4: each layer's output × its layer_output_scale, where the file has one
    bool layer_inputs = false;      // gemma4: inputs of each layer's own from the tokens, where the file has them (E2B's,
                                    // E4B's: embedding_length_per_layer_input)
    bool shared_kv = false;         // gemma4: the last layers reuse earlier layers' keys and values, where the file says
                                    // (E2B's, E4B's: attention.shared_kv_layers)
    Experts experts = Experts::none;  // llama: instead; gemma4: beside; qwen3moe: always
};

// Whether layer il has a sliding window in llama.cpp's pattern of step `every`: all layers but each every-th (0: all).
inline bool windowed_layer(int64_t il, int64_t every) { return every == 0 || il % every < every - 1; }

// The supported architecture called `name` (general.architecture), or null.
const Architecture * find_architecture(const std::string & name);
// Their names, for messages: "llama, qwen2, ...".
std::string architecture_names();

// How a layer rotates positions into its queries and keys (ggml_rope_ext's parameters).
struct Rope {
    float base = 10000.0f;
    float scale = 1.0f;        // 1 / rope.scaling.factor, linear or YaRN
    float ext_factor = 0.0f;   // YaRN: 1 (its interpolation between the extrapolated and the scaled frequencies)
    float attn_factor = 1.0f;  // rope.scaling.attn_factor (with YaRN's log multiplier, where the file has one)
    float beta_fast = 32.0f, beta_slow = 1.0f;  // YaRN's ramp (llama.cpp's defaults)
};

// A layer's attention and feed-forward sizes. Most models' are the same in every layer; Gemma 4's windowed layers have
// heads of their own size (attention.key_length_swa, rope.dimension_count_swa), and a file may give head_count_kv and
// feed_forward_length per layer (arrays), as llama.cpp reads them in any architecture.
struct LayerDims {
    int64_t head_dim = 0, n_head_kv = 0, n_ff = 0, n_rot = 0;
};

struct HParams {
    const Architecture * arch = nullptr;
    int64_t n_vocab = 0;
    int64_t n_ctx_train = 0;
    int64_t n_embd = 0;
    int64_t n_layer = 0;
    int64_t n_head = 0;
    // The largest of any layer (dims(il) has each layer's): what memory and speed estimates count per layer. n_rot is
    // that of the layers that attend to everything.
    int64_t n_head_kv = 0;
    int64_t n_ff = 0;
    int64_t n_rot = 0;
    int64_t head_dim = 0;
    std::vector<LayerDims> layer_dims;
    float rms_eps = 1e-5f;
    Rope rope;               // of the layers that attend to everything
    int64_t n_ctx_orig = 0;  // YaRN's original context (rope.scaling.original_context_length)
    bool tied_output = false;
    float kq_scale = 1.0f;  // attention's score scale: 1/√head_dim (Gemma 2 and 3 27B: 1/√(embedding_length / head_count))
    // Sliding-window attention: layers with swa_layers[il] attend to keys less than n_swa positions back, and rotate
    // at their own base, unscaled (as llama.cpp's Gemma 3 and OLMo 3 graphs do). n_swa = 0: none.
    int64_t n_swa = 0;
    std::vector<bool> swa_layers;
    float rope_freq_base_swa = 10000.0f;
    // Gemma 2's soft caps c (attn_logit_softcapping, final_logit_softcapping): scores and logits x become c·tanh(x / c)
    // before their softmax. 0: none.
    float attn_softcap = 0.0f;
    float final_softcap = 0.0f;
    float embd_scale = 1.0f;      // token embeddings × this: the Gemmas' √embedding_length, Granite's embedding_scale
    float residual_scale = 1.0f;  // Granite: the attention's and feed-forward's outputs × this before their residual adds
    float logit_scale = 1.0f;     // Granite: logits ÷ this
    bool rope_off = false;        // Granite files with rope.scaling.finetuned = false: no layer rotates positions
    // Mistral 3's attention temperature (Llama 4's): queries × 1 + s·log(1 + ⌊position / n_ctx_orig⌋), from the original
    // context on. 0: none.
    float attn_temp_scale = 0.0f;
    // Gemma 4 E2B's and E4B's: layers from n_layer_kv on attend with the keys and values of the last layer before them
    // of their kind (windowed or global), as llama.cpp's KV cache shares them (n_layer_kv = n_layer: none do); and
    // each layer adds an input of its own, n_embd_per_layer wide, from the tokens (0: none).
    int64_t n_layer_kv = 0;
    int64_t n_embd_per_layer = 0;
    // Mixtral's, Qwen3-MoE's and Gemma 4 26B-A4B's mixtures of experts: a layer's feed-forward is (or with Gemma 4's, has
    // beside it) n_expert experts of n_ff_exp hidden units, of which each token takes the n_expert_used that its router
    // rates highest, weighted by the softmax of their router logits (as llama.cpp weights them: the softmax over all
    // experts, renormalized over those chosen). n_expert = 0: dense feed-forwards.
    int64_t n_expert = 0, n_expert_used = 0, n_ff_exp = 0;

    bool is_swa(size_t il) const { return n_swa > 0 && swa_layers[il]; }
    const LayerDims & dims(size_t il) const { return layer_dims[il]; }
    bool has_kv(size_t il) const { return (int64_t) il < n_layer_kv; }
    // The layer whose keys and values layer il attends with.
    size_t kv_source(size_t il) const { return has_kv(il) ? il : (size_t) n_layer_kv - (is_swa(il) ? 2 : 1); }
    float attn_temperature(int64_t pos) const { return std::log(std::floor((double) pos / (double) n_ctx_orig) + 1.0) * attn_temp_scale + 1.0; }
    // Whether positions up to max_pos (exclusive) meet a temperature other than 1.
    bool tempers(int64_t max_pos) const { return attn_temp_scale != 0.0f && max_pos > n_ctx_orig; }
    // Whether layer il rotates positions into its queries and keys (SmolLM3's every 4th does not, nor EXAONE 4's
    // layers that attend to everything).
    bool rotates(size_t il) const {
        if (rope_off || (arch->no_rope_every > 0 && (int64_t) (il + 1) % arch->no_rope_every == 0)) return false;
        return !(arch->global_nope && n_swa > 0 && !swa_layers[il]);
    }
    Rope rope_of(size_t il) const { return is_swa(il) ? Rope{rope_freq_base_swa} : rope; }
    // How `rope` scales positions: "none", "linear" or "yarn".
    const char * rope_scaling() const { return rope.scale == 1.0f ? "none" : rope.ext_factor != 0.0f ? "yarn" : "linear"; }
};

struct Layer {
    ggml_tensor * attn_norm = nullptr;
    // The query, key and value projections: three, or one whose rows are the three's in turn (phi3's, and any
    // architecture's where the file has attn_qkv, as llama.cpp allows), with their biases (qwen2's; optional in llama
    // files).
    ggml_tensor * wq = nullptr;
    ggml_tensor * wk = nullptr;
    ggml_tensor * wv = nullptr;
    ggml_tensor * wqkv = nullptr;
    ggml_tensor * bq = nullptr;
    ggml_tensor * bk = nullptr;
    ggml_tensor * bv = nullptr;
    ggml_tensor * bqkv = nullptr;
    ggml_tensor * q_norm = nullptr;  // norms of queries and keys (see QkNorm)
    ggml_tensor * k_norm = nullptr;
    ggml_tensor * wo = nullptr;
    ggml_tensor * bo = nullptr;  // biases of the output and feed-forward projections (Architecture::dense_biases)
    ggml_tensor * attn_post_norm = nullptr;  // norms of the attention's and feed-forward's outputs (post_norms)
    ggml_tensor * ffn_post_norm = nullptr;
    ggml_tensor * ffn_norm = nullptr;
    ggml_tensor * ffn_gate = nullptr;  // null where ffn_up holds the gate too (Architecture::fused_up)
    ggml_tensor * ffn_up = nullptr;
    ggml_tensor * ffn_down = nullptr;
    ggml_tensor * ffn_gate_b = nullptr;
    ggml_tensor * ffn_up_b = nullptr;
    ggml_tensor * ffn_down_b = nullptr;
    // a mixture of experts (HParams::n_expert): the router [E, n_expert], and the experts' gate, up and down projections,
    // one matrix each per expert ([E, F, n_expert], [F, E, n_expert]; the gate's and up's in one, [E, 2·F, n_expert],
    // where the file has them so); the dense feed-forward's are null then, but for Gemma 4's, which runs beside the
    // experts with norms of its own (post_norm_1; the experts' pre_norm_2 and post_norm_2), the router reading its
    // input RMS-normed, / √E and × gate_inp_s, and each expert's output × its down_exps_s, where the file has it
    ggml_tensor * ffn_gate_inp = nullptr;
    ggml_tensor * ffn_gate_exps = nullptr;
    ggml_tensor * ffn_up_exps = nullptr;
    ggml_tensor * ffn_gate_up_exps = nullptr;
    ggml_tensor * ffn_down_exps = nullptr;
    ggml_tensor * ffn_gate_inp_s = nullptr;
    ggml_tensor * ffn_down_exps_s = nullptr;
    ggml_tensor * ffn_pre_norm_2 = nullptr;
    ggml_tensor * ffn_post_norm_1 = nullptr;
    ggml_tensor * ffn_post_norm_2 = nullptr;
    ggml_tensor * out_scale = nullptr;  // gemma4: the layer's output × this one value, where the file has it
    // Gemma 4 E2B's and E4B's per-layer input (HParams::n_embd_per_layer): the gate that reads it from the layer's
    // output, the projection back to the embedding, and its norm
    ggml_tensor * pe_gate = nullptr;
    ggml_tensor * pe_proj = nullptr;
    ggml_tensor * pe_post_norm = nullptr;

    // The frozen weight a LoRA target adapts (null where the layer has none: q, k, v in a fused layer, qkv in others).
    ggml_tensor * projection(Target t) const {
        ggml_tensor * const all[T_COUNT] = {wq, wk, wv, wo, ffn_gate, ffn_up, ffn_down, wqkv};
        return all[t];
    }
};

struct TensorInfo {
    std::string name;
    std::string type;
    std::vector<int64_t> shape;
};

class Model {
public:
    // Throws rl::Error with a code from errors.h for anything that is not a usable llama model or device.
    // `device`: see resolve_device() in device.h; `n_threads` applies to the CPU.
    Model(const std::string & path, int n_threads, const std::string & device);
    ~Model();
    Model(const Model &) = delete;
    Model & operator=(const Model &) = delete;

    const HParams & hparams() const { return hp_; }
    const std::vector<Layer> & layers() const { return layers_; }
    ggml_tensor * token_embd() const { return token_embd_; }
    ggml_tensor * output_norm() const { return output_norm_; }
    ggml_tensor * output() const { return output_; }
    ggml_tensor * output_bias() const { return output_b_; }  // null: none (Architecture::output_bias)
    // The per-layer inputs' tables (HParams::n_embd_per_layer; null where none): each token's inputs of every layer,
    // [P·L, V]; the projection of the token's embedding into them, [E, P·L]; and their norm, [P].
    ggml_tensor * per_layer_token_embd() const { return per_layer_token_embd_; }
    ggml_tensor * per_layer_model_proj() const { return per_layer_model_proj_; }
    ggml_tensor * per_layer_proj_norm() const { return per_layer_proj_norm_; }
    // RoPE frequency factors of layer il's rotation: the file's, at the layers that attend to everything (windowed
    // layers rotate unscaled, at their own base).
    ggml_tensor * rope_freqs(size_t il) const { return hp_.is_swa(il) ? nullptr : rope_freqs_; }
    bool has_rope_freqs() const { return rope_freqs_ != nullptr; }
    ggml_backend_t backend() const { return backend_; }
    ggml_backend_dev_t device() const { return device_; }
    bool on_gpu() const;
    int n_threads() const { return n_threads_; }
    // Compute-buffer allocator reused across graphs (calls on one model are serialized by the caller): reusing its
    // buffer avoids fresh page faults on every call.
    ggml_gallocr_t allocator() const { return alloc_; }

    const std::vector<TensorInfo> & tensors() const { return tensor_info_; }
    // Training differentiates through the weights, and dx = Wᵀ·dy reads them in the file's layout, which repacked
    // projections no longer have: each gets a read-only twin mapped from the model file, registered for the backward
    // pass (see weight_grad.h). Forward passes keep the faster repacked weights, so the log-probs of scoring and of
    // training stay identical. Idempotent; nothing to do without repacked weights.
    void map_backward_twins();
    // The mapped file must stay as it was: rewritten in place it would feed other weights to the gradient, truncated
    // its pages would fault (FileMap turns that into zeros and a flag). Checked (one fstat of the mapped file, and the
    // flag) before and after every backward pass that reads it; a file replaced by rename leaves the mapped one intact
    // and is fine.
    void check_backward_twins() const;
    // Bytes on the device: the weights, and the compute buffer of scoring/generation graphs (its high-water mark).
    size_t weight_bytes() const;
    size_t compute_bytes() const { return ggml_gallocr_get_buffer_size(alloc_, 0); }
    // Runs a graph on the model's device. On a GPU every node is first checked against the device's kernels, so a
    // missing one is an error that names the op instead of an abort inside the backend.
    void compute(ggml_cgraph * graph) const;
    std::string vocab_kind() const;  // "spm" | "bpe" | other libllama vocab type names
    // special: text like "<|eot_id|>" becomes that control token rather than its characters
    std::vector<int32_t> tokenize(const std::string & text, bool add_bos, bool special = false) const;
    std::string detokenize(const std::vector<int32_t> & ids) const;
    std::string token_piece(int32_t id) const;
    int32_t bos() const;
    bool adds_bos() const;  // whether tokenize(…, add_bos) puts BOS first (LLaMA's vocabularies do, Qwen2's does not)
    int32_t eos() const;
    // EOS or another token that ends a reply in the vocabulary's conventions (Llama 3's <|eot_id|>)
    bool ends_generation(int32_t token) const;
    // A special token that tokenizing with special tokens parsed matches wherever its text occurs, and after which
    // the text is tokenized afresh, as if it began there (no whitespace stripped around it).
    bool splits_text(int32_t token) const;
    // The GGUF's Jinja `tokenizer.chat_template`, if it has one.
    std::optional<std::string> chat_template() const;

private:
    void read_hparams(const std::string & path);
    void read_rope(const std::string & prefix);
    void read_soft_caps(const std::string & prefix);
    void read_multipliers(const std::string & prefix);
    void read_sliding_window(const std::string & prefix);
    void read_layer_dims(const std::string & prefix);
    void read_shared_kv_and_layer_inputs(const std::string & prefix);
    void read_experts(const std::string & prefix);
    void bind_tensors();
    void check_device_support();
    void load_weights(const std::string & path);
    void read_tensors(const std::string & path, const std::vector<ggml_tensor *> & ts);
    void release();

    std::string path_;
    HParams hp_;
    gguf_context * gguf_ = nullptr;
    ggml_context * meta_ = nullptr;
    ggml_backend_dev_t device_ = nullptr;
    ggml_backend_t backend_ = nullptr;
    ggml_backend_buffer_t weights_ = nullptr;
    ggml_backend_buffer_t weights_repack_ = nullptr;  // projections in ggml's interleaved CPU layout, when available
    std::pair<int64_t, int64_t> loaded_file_{-1, -1};  // size and mtime (ns) of the file the weights were read from
    // map_backward_twins(): the model file mapped read-only, and twins of the repacked projections inside it
    std::unique_ptr<FileMap> file_map_;
    ggml_context * twin_ctx_ = nullptr;
    ggml_backend_buffer_t twin_buf_ = nullptr;
    size_t twin_bytes_ = 0;
    ggml_gallocr_t alloc_ = nullptr;
    llama_model * vocab_model_ = nullptr;
    const llama_vocab * vocab_ = nullptr;
    int n_threads_ = 1;

    ggml_tensor * token_embd_ = nullptr;
    ggml_tensor * output_norm_ = nullptr;
    ggml_tensor * output_ = nullptr;
    ggml_tensor * output_b_ = nullptr;
    ggml_tensor * rope_freqs_ = nullptr;
    ggml_tensor * per_layer_token_embd_ = nullptr;
    ggml_tensor * per_layer_model_proj_ = nullptr;
    ggml_tensor * per_layer_proj_norm_ = nullptr;
    std::vector<Layer> layers_;
    std::vector<TensorInfo> tensor_info_;
};

}  // namespace rl
