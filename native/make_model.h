// Writes GGUF files of the supported architectures (Architecture in model.h) with deterministic random weights and a
// real tokenizer (LLaMA's, Qwen2's or Gemma's), for tests and benchmarks (speed does not depend on weight values).
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace rl {

struct MakeModelOptions {
    std::string out;
    std::string vocab_file;  // a vendored ggml-vocab-*.gguf whose tokenizer.* keys are copied
    std::string type = "f32";
    std::string arch = "llama";  // general.architecture: one of Architecture's names (model.h)
    int64_t n_layer = 2, n_embd = 64, n_head = 4, n_head_kv = 4, n_ff = 160, n_ctx = 2048;
    int64_t head_dim = 0;  // 0: n_embd / n_head; else written as attention.key_length (as Qwen3's files do)
    // The windowed layers' head size (attention.key_length_swa) and the other layers' kv heads (head_count_kv then
    // written per layer), as Gemma 4's files have them; 0: as the rest
    int64_t head_dim_swa = 0, n_head_kv_global = 0;
    bool k_eq_v = false;  // gemma4: the layers that attend to everything have no attn_v (their values are the keys' projection)
    // gemma4: Gemma 4 E2B's and E4B's inputs of each layer's own, this wide (embedding_length_per_layer_input), and
    // last layers that attend with earlier ones' keys and values (attention.shared_kv_layers); 0: none
    int64_t n_embd_per_layer = 0, n_kv_shared = 0;
    // mixtures of experts (llama: Mixtral's, optional; gemma4: 26B-A4B's, beside the feed-forward; qwen3moe: always):
    // this many experts per layer, this many per token, of this many hidden units (0: ff; llama's are always ff wide)
    int64_t n_expert = 0, n_expert_used = 0, n_ff_exp = 0;
    // one attn_qkv projection instead of three (llama.cpp reads either in any architecture's file); unset: as the
    // architecture's files have it (phi3's fused)
    std::optional<bool> fused_qkv;
    std::optional<bool> tied;  // the LM head is the token embedding; unset: as the architecture has it (LmHead)
    bool biases = false;  // write the optional biases the architecture's files may have (llama's attn_output and
                          // feed-forward ones, qwen2's output.bias)
    bool rope_freqs = false;  // write RoPE frequency factors: a Llama-3 style rope_freqs.weight (phi3: LongRoPE's pair;
                              // gemma4 always has Gemma 4's, which rotate a quarter of the global layers' heads)
    float rope_freq_base = 10000.0f;
    float attn_temperature = 0.0f;  // mistral3: attention.temperature_scale (Llama 4's), from the original context on
    bool no_rope = false;  // granite: write rope.scaling.finetuned = false, Granite's switch that turns RoPE off
    // the sliding window, written as attention.sliding_window where positive (else the architecture's default window,
    // where it has one: gemma2's, gemma4's, exaone4's at 64 layers)
    int64_t n_swa = 0;
    // gemma2's soft caps on attention's scores and the output's logits (attn_logit_softcapping,
    // final_logit_softcapping; gemma4's logits only); 0: the architecture's (Gemma 2's 50 and 30, Gemma 4's 30)
    float attn_softcap = 0.0f, final_softcap = 0.0f;
    // RoPE scaling, written where the type is given: "linear" or "yarn", the factor, and YaRN's original context (0:
    // none written)
    std::string rope_scaling;
    float rope_scaling_factor = 1.0f;
    int64_t rope_original_ctx = 0;
    uint64_t seed = 1;
    // Std of output.weight × sqrt(embd). Logits' spread at init is about this value and their reach about
    // this × sqrt(embd): small values give broad untrained distributions but little room to become confident.
    float output_scale = 2.0f;
    // Round weights through this type first (quantize, dequantize), e.g. an f32 twin holding exactly the values of a
    // q8_0 model: tests compare gradients of a quantized model with finite differences on its float twin.
    std::string round_trip;
    // Written as tokenizer.chat_template where non-empty (the vocabulary files carry none).
    std::string chat_template;
};

void make_model(const MakeModelOptions & opt);

}  // namespace rl
