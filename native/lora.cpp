#include "lora.h"

#include "errors.h"

namespace rl {
namespace {
const char * kShort[T_COUNT] = {"q", "k", "v", "o", "gate", "up", "down", "qkv"};
const char * kTensor[T_COUNT] = {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down", "attn_qkv"};
}  // namespace

const char * target_short_name(Target t) { return kShort[t]; }
const char * target_tensor_name(Target t) { return kTensor[t]; }

Target parse_target(const std::string & name) {
    for (int t = 0; t < T_COUNT; t++) {
        if (name == kShort[t]) return (Target) t;
    }
    std::string names;
    for (const char * n : kShort) names += (names.empty() ? "" : ", ") + std::string(n);
    fail(E_ARGUMENT, "unknown LoRA target \"" + name + "\" (" + names + ")");
}

}  // namespace rl
