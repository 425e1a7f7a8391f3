// Text generation with a KV cache: prompts are prefilled one at a time into cache slots, then all slots of a wave
// decode one token per step in one graph. Sampling (greedy, temperature, top-k, top-p) runs on the host over the
// step's logits; each sampled token's log-probability under the model's own distribution (temperature 1) is
// reported, which is what PPO/DPO-style training on generated text needs.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

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
};

struct Generation {
    std::vector<int32_t> tokens;        // generated tokens (the EOS that ended generation is not included)
    std::vector<float> logprobs;        // log p(token | prefix) of each generated token, at temperature 1
    std::string text;                   // detokenized tokens, cut before a stop string
    std::string finish;                 // "eos" | "stop" | "length"
};

// Generates for every request, `slots` at a time (each wave shares its decoding steps). `lora` may be null.
std::vector<Generation> generate(const Model & model, const std::vector<GenerationRequest> & requests, const Sampling & sampling, int slots,
                                 const LoraWeights * lora);

}  // namespace rl
