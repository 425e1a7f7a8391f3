// The llama forward pass as one ggml graph over a *packed* batch: any set of token sequences that share prefixes,
// described by per-token positions and an attention mask. Plain text is the special case of one causal sequence;
// TWOSOME's [prompt | a1 | ... | aK] packing and multi-turn conversations use the same graph.
#pragma once
#include <cstdint>
#include <cstddef>
#include <vector>

#include "ggml.h"
#include "lora.h"
#include "model.h"

namespace rl {

// One packed batch of n_groups groups, each a padded slot of T / n_groups tokens (a prompt and its branches).
// Within a group, token i attends to token j iff j <= i and branch[j] is -1 (the shared prefix) or equals branch[i];
// padding tokens (branch -2) are not computed: the graph runs its per-token work (projections, feed-forward) on the
// real tokens only and lays them out in slots just for attention. Positions restart per branch, so the caller sets
// them. Groups never see each other, and attention costs sum(group²), not (sum group)².
struct PackedBatch {
    std::vector<int32_t> tokens;
    std::vector<int32_t> positions;
    std::vector<int32_t> branch;
    int32_t n_groups = 1;
    // Log-probs are read only for these (row, target) pairs: hidden state at `row` predicts token `target`.
    std::vector<int32_t> out_rows;
    std::vector<int32_t> out_targets;

    void validate(const HParams & hp) const;
    int64_t n_real() const;  // tokens that are not padding
};

// Graph inputs created by build_forward; the caller fills them after allocation. Rows are the N real tokens in batch
// order; slots are the padded layout attention works in (T = S · G).
struct ForwardGraph {
    ggml_tensor * tokens = nullptr;     // I32 [N]
    ggml_tensor * positions = nullptr;  // I32 [N]
    ggml_tensor * slot_row = nullptr;   // I32 [T]: the row in each slot (padding: any row); null when N == T
    ggml_tensor * row_slot = nullptr;   // I32 [N]: the slot of each row; null when N == T or in a one-layer model
    ggml_tensor * mask = nullptr;       // F16, by blocks of queries: [s0 + n, n, 1, G] for the block of n from query s0
    ggml_tensor * mask_swa = nullptr;   // F16, laid out as mask: the sliding-window layers' (null when shape.n_swa == 0)
    ggml_tensor * temper = nullptr;     // F32 [1, 1, N]: each row's attention temperature (null unless shape.temper)
    ggml_tensor * keep = nullptr;       // I32 [R + F]: the rows the heads read (scored, then feature rows)
    ggml_tensor * keep_slot = nullptr;  // I32 [R + F]: their slots
    ggml_tensor * picks = nullptr;      // I32 [R]: (r - r0)*n_vocab + target into the flattened probabilities of r's chunk
    std::vector<ggml_tensor *> probs;   // F32 [V, n] per LM-head chunk: the softmax over the vocabulary
    std::vector<ggml_tensor *> logp;    // F32 [n] output per LM-head chunk: log p(target | row); none when R == 0
    ggml_tensor * features = nullptr;   // F32 [E, F] output: final-norm hidden states at feature_rows; null when F == 0
    std::vector<ggml_tensor *> layer_in;  // F32 [E, N]: the hidden state entering each layer of the graph, in order
    // F32 [P, N, L]: each layer's input of its own (Gemma 4 E2B's and E4B's), computed from the tokens, or resident
    ggml_tensor * layer_inputs = nullptr;
    ggml_tensor * x_out = nullptr;      // F32 [E, N]: the hidden state leaving a graph that ends before the heads
};

// The layers [first, end) of a forward graph, for layer checkpointing: a graph that starts past layer 0 reads its
// input hidden states from a given tensor instead of the embeddings, and one that ends before the last layer returns
// its output hidden states (x_out) instead of the heads' log-probs and features.
struct LayerRange {
    size_t first = 0, end = SIZE_MAX;
};

// The LM head runs over the scored rows in chunks of this many rows: a vocabulary-wide row per scored token (four in
// a training step: logits, probabilities and their gradients; 500 KiB for LLaMA's 32,000 tokens, 2 MiB for Llama 3's
// 128,256) would otherwise dominate a long sequence's memory, and r·n_vocab would overflow the int32 picks past 2^31.
// Narrower chunks would be slower: the backward of each one reads the head's whole weight matrix (on the CPU,
// dequantizes it), which 128 rows of product outweigh (measured: as fast as one chunk; 32 rows: 1.6× the backward).
// RL_GGML_HEAD_CHUNK_ROWS=n sets another width (for tests).
inline constexpr int64_t kHeadChunkRows = 128;
int64_t head_chunk_rows();

// Attention in slots longer than this runs by blocks of this many queries, each block's scores and probabilities
// ([s0 + B, B, H, G]) a graph node of its own, so that the whole S² · H matrix never exists at once where it need
// not be kept: in forward passes, and in backward passes that recompute it (weight_grad.h) one block at a time. A
// block attends only to the keys up to its last query (a slot's tokens see earlier ones only), which skips nearly
// half of a long slot's attention.
// RL_GGML_ATTENTION_BLOCK_ROWS=n sets another block (for tests).
inline constexpr int64_t kAttentionBlockRows = 256;
int64_t attention_block_rows();

// Builds the forward graph of a batch (its shape: see forward_shape) into ctx (a no_alloc context): log-probs for R
// (row, target) pairs and hidden-state features at F rows. `lora` (may be null) adds the adapter. With a layer range
// starting past layer 0, `x_in` (F32 [E, N]) is the hidden state entering its first layer.
struct ForwardShape {
    int64_t T = 0, G = 1, N = 0, R = 0, F = 0;  // slots, groups, real tokens, scored rows, feature rows
    int64_t C = 1;                              // scored rows per LM-head chunk
    int64_t B = 1;                              // queries per attention block (the slot length S = T / G: one block)
    int64_t n_swa = 0;                          // the sliding window, where a slot is longer (so the window hides keys)
    bool temper = false;                        // whether a position meets an attention temperature (HParams::tempers)
    int64_t head_chunks() const { return (R + C - 1) / C; }
    int64_t attention_blocks() const { return T > 0 ? (T / G + B - 1) / B : 1; }
    // Where the mask of the block of queries from s0 (a multiple of B) starts: the blocks before it are full, block
    // j of them [(j + 1)·B, B, 1, G]. mask_offset(S) is the mask's size.
    int64_t mask_offset(int64_t s0) const {
        const int64_t b = s0 / B, S = T / G;
        return G * (B * B * b * (b + 1) / 2 + (s0 - b * B) * S);
    }
};
ForwardShape forward_shape(const HParams & hp, const PackedBatch & batch, size_t n_features = 0);
//
// `resident` (may be null) supplies the inputs every layer reads (positions, masks, temperatures, slot_row, row_slot) as tensors
// that already hold their values on the device: the graphs that recompute a checkpointed pass layer by layer share
// one upload of them (see resident_inputs).
ForwardGraph build_forward(ggml_context * ctx, const Model & model, const ForwardShape & shape, const LoraWeights * lora = nullptr,
                           LayerRange range = {}, ggml_tensor * x_in = nullptr, const ForwardGraph * resident = nullptr);
// Creates, in ctx (no_alloc), the per-layer inputs of a graph of this shape, for `resident` above.
ForwardGraph resident_inputs(ggml_context * ctx, const ForwardShape & shape);

// The values of a batch's graph inputs (the tensors of ForwardGraph), computed on the host once per batch; feature rows
// are slot indices like out_rows.
struct ForwardInputs {
    std::vector<int32_t> tokens, positions, slot_row, row_slot, picks, keep, keep_slot;
    std::vector<ggml_fp16_t> mask, mask_swa;
    std::vector<float> temper;
};
ForwardInputs forward_inputs(const HParams & hp, const PackedBatch & batch, const ForwardShape & shape, const std::vector<int32_t> & feature_rows = {});

// Writes them into the input tensors a graph has (after allocation).
void set_forward_inputs(const ForwardGraph & g, const ForwardInputs & inputs);

// A KV cache for incremental decoding in n_slots independent slots of n_ctx cells: per layer, keys as rows of its head size
// (k: [hd, n_ctx * Hkv * n_slots], i.e. [hd, n_ctx, Hkv, slot]) and values transposed, one cell each
// (v: [1, n_ctx * hd * Hkv * n_slots], i.e. [n_ctx, hd, Hkv, slot]), so attention reads both as plain matrices.
struct KvCache {
    std::vector<ggml_tensor *> k, v;
    int64_t n_ctx = 0, n_slots = 0;
};

// Inputs and output of build_decode; the caller fills the inputs after allocation (see generate.cpp).
struct DecodeGraph {
    ggml_tensor * tokens = nullptr;     // I32 [T * nb], slot-major
    ggml_tensor * positions = nullptr;  // I32 [T * nb]
    // Where the new keys and values go, per shape of layers' heads (hd, Hkv; most models have one): the cache row of
    // each new key vector, I64 [Hkv * T * nb], and the cache cell of each new value, I64 [hd * Hkv * T * nb].
    struct CacheIndex {
        int64_t hd = 0, Hkv = 0;
        ggml_tensor * k_rows = nullptr;
        ggml_tensor * v_cells = nullptr;
    };
    std::vector<CacheIndex> cache_index;
    ggml_tensor * mask = nullptr;       // F32 [n_kv, T, 1, nb]
    ggml_tensor * mask_swa = nullptr;   // F32 [n_kv, T, 1, nb]: the sliding-window layers', where n_kv exceeds the window
    ggml_tensor * temper = nullptr;     // F32 [1, 1, T * nb]: the attention temperature, where n_kv reaches beyond 1's
    ggml_tensor * last = nullptr;       // I32 [nb]: row of each slot's last new token
    ggml_tensor * logits = nullptr;     // F32 [V, nb] output: next-token logits of each slot
    ggml_tensor * probs = nullptr;      // F32 [V, nb] output: their softmax (the device's vectorized exp, not the host's)
};

// The decoding graph: T new tokens in each of the cache slots [slot0, slot0 + nb), written into the cache, attending
// to its first n_kv cells; next-token logits after each slot's last new token. `lora` (may be null) adds the adapter.
DecodeGraph build_decode(ggml_context * ctx, const Model & model, const KvCache & cache, int64_t slot0, int64_t nb, int64_t T, int64_t n_kv,
                         const LoraWeights * lora = nullptr);

// Node budget of a forward graph of this shape (its backward roughly triples it).
size_t forward_graph_size(const Model & model, const ForwardShape & shape = {});

// The log-probs of a computed graph, its chunks in order.
std::vector<float> read_logp(const ForwardGraph & g);

// Runs the whole forward pass on the model's backend and returns one log-prob per (row, target) pair.
std::vector<float> forward_logprobs(const Model & model, const PackedBatch & batch);

}  // namespace rl
