// LoRA adapters on the frozen projections: y = W·x + (alpha / r)·B·(A·x), A ∈ [n_in → r] random, B ∈ [r → n_out] zero,
// so a fresh adapter reproduces the base model exactly. Tensor shapes follow llama.cpp's adapter files:
// lora_a ne [n_in, r], lora_b ne [r, n_out].
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "ggml.h"

namespace rl {

// qkv: the fused query, key and value projection of the models that have one (phi3's); up: phi3's holds the gate too.
enum Target { T_Q, T_K, T_V, T_O, T_GATE, T_UP, T_DOWN, T_QKV, T_COUNT };

// Short names used by the API ("q", "v", ...) and the base tensor names in GGUF files.
const char * target_short_name(Target t);
const char * target_tensor_name(Target t);  // "attn_q", "ffn_gate", ...
Target parse_target(const std::string & name);  // throws rl::Error for unknown names

struct LoraPair {
    ggml_tensor * a = nullptr;
    ggml_tensor * b = nullptr;
};

// The graph builder's view of an adapter: per layer, per target, the pair (or nulls where there is none).
struct LoraWeights {
    float scale = 0.0f;
    std::vector<std::array<LoraPair, T_COUNT>> layers;
    // Bumped whenever the adapter's values change: K,V that generation cached under another version are stale.
    uint64_t version = 0;

    const LoraPair * find(size_t layer, Target t) const {
        if (layer >= layers.size() || !layers[layer][t].a) return nullptr;
        return &layers[layer][t];
    }
};

}  // namespace rl
