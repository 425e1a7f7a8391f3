// Text generation with a KV cache: prompts are prefilled one at a time into cache slots, then all slots of a wave
// decode one token per step in one graph. A PromptCache keeps the slots' K,V between calls (a conversation per
// slot), so that a prompt extending what its slot holds computes only its new tokens. Sampling (greedy, temperature, top-k, top-p) runs on the host over the
// step's logits; each sampled token's log-probability under the model's own distribution (temperature 1) is
// reported, which is what PPO/DPO-style training on generated text needs.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "forward.h"
#include "handles.h"
#include "lora.h"
#include "model.h"

namespace rl {

struct Sampling {
    float temperature = 0.0f;  // 0: greedy
    int top_k = 0;             // 0: all tokens
    float top_p = 1.0f;
    uint64_t seed = 1;
};

struct GenerationRequest {
    std::vector<int32_t> prompt;        // token ids, BOS included if wanted
    int max_tokens = 128;
    std::vector<std::string> stop;      // stop when the generated text contains one (it is cut off)
    int slot = -1;                      // with a PromptCache: the slot that keeps this conversation
    int64_t seed = -1;                  // >= 0: this request samples from its own stream (else the call's seed and its index)
};

struct Generation {
    std::vector<int32_t> tokens;        // generated tokens (the EOS that ended generation is not included)
    std::vector<float> logprobs;        // log p(token | prefix) of each generated token, at temperature 1
    std::string text;                   // detokenized tokens, cut before a stop string
    std::string finish;                 // "eos" | "stop" | "length"
    int64_t cached = 0;                 // prompt tokens whose K,V were already in the slot
};

// A KV cache on the model's device, n_slots sequences of n_ctx cells (F16, as llama.cpp's default).
struct KvStore {
    CtxPtr ctx;
    BufferPtr buf;
    KvCache kv;
    KvStore(const Model & model, int64_t n_ctx, int64_t n_slots);
    // Bytes of K and V (f16) per cell of n_slots slots.
    static size_t bytes_per_cell(const HParams & hp, int64_t n_slots);
};

// K,V kept between generate() calls. `held[s]` are the tokens whose K,V slot s holds (in cells 0..size-1); a request in
// slot s reuses the longest common prefix of its prompt with them. It is valid for one set of weights: a change of the
// adapter's version empties it, and it grows (emptied) when a request needs more cells or slots than it has.
struct PromptCache {
    std::unique_ptr<KvStore> store;
    std::vector<std::vector<int32_t>> held;
    uint64_t version = 0;
};

// Generates for every request. Without a cache: `slots` at a time (each wave shares its decoding steps). With one:
// every request names a distinct slot in [0, slots) and all decode together. `lora` may be null.
std::vector<Generation> generate(const Model & model, const std::vector<GenerationRequest> & requests, const Sampling & sampling, int slots,
                                 const LoraWeights * lora, PromptCache * cache = nullptr);

}  // namespace rl
