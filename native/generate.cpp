#include "generate.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>

#include "errors.h"
#include "handles.h"
#include "forward.h"
#include "ggml-alloc.h"
#include "ggml-backend.h"
#include "rng.h"

namespace rl {

size_t KvStore::bytes_per_cell(const HParams & hp, int64_t n_slots) {
    size_t per_slot = 0;
    for (int64_t il = 0; il < hp.n_layer_kv; il++) per_slot += 2 * sizeof(ggml_fp16_t) * hp.dims(il).head_dim * hp.dims(il).n_head_kv;
    return per_slot * n_slots;
}

// Zeroed once so that masked cells are finite (a masked score contributes 0 × value, which is NaN if the value is).
KvStore::KvStore(const Model & model, int64_t n_ctx, int64_t n_slots) {
    const HParams & hp = model.hparams();
    ctx.reset(ggml_init({ggml_tensor_overhead() * 2 * (size_t) hp.n_layer, nullptr, true}));
    kv.n_ctx = n_ctx;
    kv.n_slots = n_slots;
    // (layers that attend with another's keys and values have no cache of their own: they read that layer's)
    for (int64_t il = 0; il < hp.n_layer; il++) {
        const LayerDims & d = hp.dims(il);
        const bool own = hp.has_kv(il);
        kv.k.push_back(own ? ggml_new_tensor_2d(ctx.get(), GGML_TYPE_F16, d.head_dim, n_ctx * d.n_head_kv * n_slots) : kv.k[hp.kv_source(il)]);
        kv.v.push_back(own ? ggml_new_tensor_2d(ctx.get(), GGML_TYPE_F16, 1, n_ctx * d.head_dim * d.n_head_kv * n_slots) : kv.v[hp.kv_source(il)]);
    }
    buf.reset(ggml_backend_alloc_ctx_tensors_from_buft(ctx.get(), ggml_backend_get_default_buffer_type(model.backend())));
    if (!buf) {
        fail(E_OOM, "out of memory for a KV cache of " + std::to_string(n_slots) + " × " + std::to_string(n_ctx) + " tokens (" +
                        std::to_string(bytes_per_cell(hp, n_slots) * n_ctx >> 20) + " MiB): generate fewer sequences at once");
    }
    ggml_backend_buffer_clear(buf.get(), 0);
}

namespace {

struct Step {
    std::vector<float> logits, probs;  // [V, nb]
};

// One decoding graph: T new tokens for each slot in [slot0, slot0 + nb) whose caches hold past[b] tokens. A slot with
// past[b] < 0 is idle (T = 1): it writes a dummy token into its last cell, which no slot's held tokens ever reach
// (a request needs at most n_ctx cells and its last sampled token is never fed), and its logits are ignored.
Step decode(const Model & model, const KvCache & cache, int64_t slot0, const std::vector<std::vector<int32_t>> & tokens,
            const std::vector<int64_t> & past, const LoraWeights * lora) {
    const HParams & hp = model.hparams();
    const int64_t nb = (int64_t) tokens.size(), T = (int64_t) tokens[0].size(), C = cache.n_ctx;
    // Attend over a multiple of 64 cells so that graph shapes (and the allocator's buffer) repeat across steps.
    const int64_t n_kv = std::min<int64_t>(C, (std::max<int64_t>(0, *std::max_element(past.begin(), past.end())) + T + 63) / 64 * 64);
    const size_t nodes = forward_graph_size(model) + 8 * (size_t) hp.n_layer;
    CtxPtr ctx(ggml_init({ggml_tensor_overhead() * nodes + ggml_graph_overhead_custom(nodes, false), nullptr, true}));
    const DecodeGraph g = build_decode(ctx.get(), model, cache, slot0, nb, T, n_kv, lora);
    ggml_cgraph * gf = ggml_new_graph_custom(ctx.get(), nodes, false);
    ggml_build_forward_expand(gf, g.probs);
    if (!ggml_gallocr_alloc_graph(model.allocator(), gf)) fail(E_OOM, "out of memory allocating the decoding graph");

    std::vector<int32_t> tok, pos, last(nb);
    std::vector<float> temper;
    std::vector<std::vector<int64_t>> k_rows(g.cache_index.size()), v_cells(g.cache_index.size());
    std::vector<float> mask((size_t) (n_kv * T * nb), -INFINITY), mask_swa(g.mask_swa ? mask.size() : 0, -INFINITY);
    for (int64_t b = 0; b < nb; b++) {
        const int64_t slot = slot0 + b;
        for (int64_t t = 0; t < T; t++) {
            const bool idle = past[b] < 0;
            const int64_t p = idle ? C - 1 : past[b] + t;
            tok.push_back(idle ? 0 : tokens[b][t]);
            pos.push_back((int32_t) p);
            if (g.temper) temper.push_back(hp.attn_temperature(p));
            for (size_t i = 0; i < g.cache_index.size(); i++) {
                const int64_t hd = g.cache_index[i].hd, Hkv = g.cache_index[i].Hkv;
                for (int64_t h = 0; h < Hkv; h++) k_rows[i].push_back(p + C * (h + Hkv * slot));
                for (int64_t h = 0; h < Hkv; h++) {
                    for (int64_t d = 0; d < hd; d++) v_cells[i].push_back(p + C * (d + hd * (h + Hkv * slot)));
                }
            }
            // cells [0, end) are visible (a cell's index is its position); the sliding-window layers see the last n_swa
            const int64_t row = (b * T + t) * n_kv, end = idle ? 1 : p + 1;
            std::fill(mask.begin() + row, mask.begin() + row + end, 0.0f);
            if (g.mask_swa) std::fill(mask_swa.begin() + row + std::max<int64_t>(0, end - hp.n_swa), mask_swa.begin() + row + end, 0.0f);
        }
        last[b] = (int32_t) (b * T + T - 1);
    }
    ggml_backend_tensor_set(g.tokens, tok.data(), 0, tok.size() * sizeof(int32_t));
    ggml_backend_tensor_set(g.positions, pos.data(), 0, pos.size() * sizeof(int32_t));
    if (g.temper) ggml_backend_tensor_set(g.temper, temper.data(), 0, temper.size() * sizeof(float));
    for (size_t i = 0; i < g.cache_index.size(); i++) {
        ggml_backend_tensor_set(g.cache_index[i].k_rows, k_rows[i].data(), 0, k_rows[i].size() * sizeof(int64_t));
        ggml_backend_tensor_set(g.cache_index[i].v_cells, v_cells[i].data(), 0, v_cells[i].size() * sizeof(int64_t));
    }
    for (auto [t, m] : {std::pair{g.mask, &mask}, std::pair{g.mask_swa, &mask_swa}}) {
        if (t && t->buffer) ggml_backend_tensor_set(t, m->data(), 0, m->size() * sizeof(float));  // unread by any layer: none
    }
    ggml_backend_tensor_set(g.last, last.data(), 0, last.size() * sizeof(int32_t));
    model.compute(gf);
    Step out{std::vector<float>((size_t) (hp.n_vocab * nb)), std::vector<float>((size_t) (hp.n_vocab * nb))};
    ggml_backend_tensor_get(g.logits, out.logits.data(), 0, out.logits.size() * sizeof(float));
    ggml_backend_tensor_get(g.probs, out.probs.data(), 0, out.probs.size() * sizeof(float));
    return out;
}

// Picks the next token from one slot's logits and their softmax; returns it with its log-probability at temperature 1.
std::pair<int32_t, float> sample(const float * logits, const float * probs, int64_t n_vocab, const Sampling & s, Rng & rng) {
    const int32_t best = (int32_t) (std::max_element(logits, logits + n_vocab) - logits);
    const float max = logits[best];
    // log z = max - log p(best): p(best) >= 1/n_vocab, so this is exact to float rounding, with no exp on the host.
    const double log_z = max - std::log((double) probs[best]);
    int32_t pick = best;  // greedy
    if (s.temperature > 0) {
        std::vector<int32_t> ids(n_vocab);
        std::iota(ids.begin(), ids.end(), 0);
        const int64_t k = s.top_k > 0 ? std::min<int64_t>(s.top_k, n_vocab) : n_vocab;
        if (k < n_vocab || s.top_p < 1.0f) {  // only a cut needs the tokens in order
            std::partial_sort(ids.begin(), ids.begin() + k, ids.end(), [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
            ids.resize(k);
        }
        std::vector<double> w(k);
        double total = 0;
        for (int64_t i = 0; i < k; i++) {
            w[i] = s.temperature == 1.0f ? probs[ids[i]] : std::exp(((double) logits[ids[i]] - max) / s.temperature);
            total += w[i];
        }
        // top-p: the smallest prefix of the sorted tokens whose probability reaches p
        int64_t keep = k;
        double mass = 0;
        for (int64_t i = 0; i < k && s.top_p < 1.0f; i++) {
            mass += w[i] / total;
            if (mass >= s.top_p) {
                keep = i + 1;
                break;
            }
        }
        double r = rng.uniform() * std::accumulate(w.begin(), w.begin() + keep, 0.0);
        pick = ids[keep - 1];
        for (int64_t i = 0; i < keep; i++) {
            if ((r -= w[i]) <= 0) {
                pick = ids[i];
                break;
            }
        }
    }
    return {pick, (float) (logits[pick] - log_z)};
}

struct Slot {
    size_t request;
    int64_t slot;  // the cache slot
    Rng rng;       // per request, so that samples do not depend on which requests share a wave
    Generation out;
    int64_t past = 0;
    int32_t next = 0;  // sampled, not yet in the cache
    bool done = false;
};

// Appends `token` to the slot's generation, or ends it (an end-of-generation token, a stop string, the token budget).
void accept(const Model & model, const GenerationRequest & req, Slot & s, int32_t token, float logprob) {
    if (model.ends_generation(token)) {
        s.out.finish = "eos";
        s.done = true;
        return;
    }
    s.out.tokens.push_back(token);
    s.out.logprobs.push_back(logprob);
    if (!req.stop.empty()) {  // the text so far is needed only to look for stop strings; else it is made once, at the end
        const std::string text = model.detokenize(s.out.tokens);
        for (const std::string & stop : req.stop) {
            const size_t at = stop.empty() ? std::string::npos : text.find(stop);
            if (at != std::string::npos) {
                s.out.text = text.substr(0, at);
                s.out.finish = "stop";
                s.done = true;
                return;
            }
        }
    }
    if ((int) s.out.tokens.size() >= req.max_tokens) {
        s.out.finish = "length";
        s.done = true;
    }
    s.next = token;
}

}  // namespace

std::vector<Generation> generate(const Model & model, const std::vector<GenerationRequest> & requests, const Sampling & sampling, int slots,
                                 const LoraWeights * lora, PromptCache * cache) {
    const HParams & hp = model.hparams();
    if (slots <= 0) fail(E_ARGUMENT, "slots must be positive");
    if (!(sampling.temperature >= 0) || !(sampling.top_p > 0 && sampling.top_p <= 1) || sampling.top_k < 0) {
        fail(E_ARGUMENT, "sampling needs temperature >= 0, 0 < top_p <= 1 and top_k >= 0");
    }
    int64_t n_ctx = 0;
    std::vector<bool> taken((size_t) slots, false);
    for (const GenerationRequest & r : requests) {
        if (r.prompt.empty()) fail(E_ARGUMENT, "a prompt has no tokens");
        if (r.max_tokens <= 0) fail(E_ARGUMENT, "max_tokens must be positive");
        for (int32_t t : r.prompt) {
            if (t < 0 || t >= hp.n_vocab) fail(E_ARGUMENT, "token id " + std::to_string(t) + " is outside the vocabulary");
        }
        const int64_t need = (int64_t) r.prompt.size() + r.max_tokens;
        if (need > hp.n_ctx_train) {
            fail(E_ARGUMENT, "a prompt of " + std::to_string(r.prompt.size()) + " tokens plus " + std::to_string(r.max_tokens) +
                                 " new ones exceeds the model's context of " + std::to_string(hp.n_ctx_train));
        }
        n_ctx = std::max(n_ctx, need);
        if (cache) {
            if (r.slot < 0 || r.slot >= slots) fail(E_ARGUMENT, "cache slot " + std::to_string(r.slot) + " is outside [0, " + std::to_string(slots) + ")");
            if (taken[(size_t) r.slot]) fail(E_ARGUMENT, "two prompts name cache slot " + std::to_string(r.slot));
            taken[(size_t) r.slot] = true;
        }
    }
    std::vector<Generation> out(requests.size());
    if (requests.empty()) return out;

    PromptCache local;
    PromptCache & pc = cache ? *cache : local;
    const int64_t n_slots = cache ? slots : std::min<int64_t>(slots, (int64_t) requests.size());
    if (!pc.store || pc.store->kv.n_ctx < n_ctx || pc.store->kv.n_slots < n_slots) {
        // A kept cache grows by doubling, so that a conversation getting longer round by round re-allocates rarely;
        // but a doubled cache takes at most half of the device's free memory (the old cache's included), so that on a
        // small GPU it is the conversations' own length, not the doubling, that runs out of memory.
        const int64_t n = std::max<int64_t>(n_slots, pc.store ? pc.store->kv.n_slots : 0);
        const int64_t need = (n_ctx + 63) / 64 * 64;
        int64_t cells = need;
        if (pc.store) {
            size_t free = 0, total = 0;
            ggml_backend_dev_memory(model.device(), &free, &total);
            free += ggml_backend_buffer_get_size(pc.store->buf.get());
            const int64_t affordable = (int64_t) (free / 2 / KvStore::bytes_per_cell(hp, n));
            cells = std::max(need, std::min(2 * pc.store->kv.n_ctx, affordable));
        }
        cells = std::min<int64_t>(hp.n_ctx_train, cells);
        pc.store.reset();
        pc.held.assign((size_t) n, {});
        pc.store = std::make_unique<KvStore>(model, cells, n);
    }
    const uint64_t version = lora ? lora->version : 0;
    if (pc.version != version) {
        for (auto & h : pc.held) h.clear();
        pc.version = version;
    }
    const KvCache & kv = pc.store->kv;

    // waves of (request, slot): all requests at once in their named slots, or n_slots at a time
    std::vector<std::vector<std::pair<size_t, int64_t>>> waves;
    for (size_t i = 0; i < requests.size(); i++) {
        if (cache ? waves.empty() : i % (size_t) n_slots == 0) waves.emplace_back();
        waves.back().push_back({i, cache ? requests[i].slot : (int64_t) (i % (size_t) n_slots)});
    }
    for (const auto & members : waves) {
        std::vector<Slot> wave;
        int64_t lo = kv.n_slots, hi = 0;
        for (const auto & [i, slot] : members) {
            const int64_t own = requests[i].seed;
            wave.push_back({i, slot, own >= 0 ? Rng::stream((uint64_t) own, 0) : Rng::stream(sampling.seed, i), {}, 0, 0, false});
            lo = std::min(lo, slot);
            hi = std::max(hi, slot);
        }
        for (Slot & s : wave) {  // prefill, one slot at a time: what the slot does not hold yet
            const GenerationRequest & req = requests[s.request];
            std::vector<int32_t> & held = pc.held[(size_t) s.slot];
            size_t common = 0;  // at most all but the last prompt token, whose logits are needed
            while (common < held.size() && common + 1 < req.prompt.size() && held[common] == req.prompt[common]) common++;
            held.resize(common);
            const std::vector<int32_t> rest(req.prompt.begin() + (ptrdiff_t) common, req.prompt.end());
            const Step step = decode(model, kv, s.slot, {rest}, {(int64_t) common}, lora);
            held = req.prompt;
            s.out.cached = (int64_t) common;
            s.past = (int64_t) req.prompt.size();
            const auto [tok, lp] = sample(step.logits.data(), step.probs.data(), hp.n_vocab, sampling, s.rng);
            accept(model, req, s, tok, lp);
        }
        // Decode: the wave's slots step together (slots lo..hi; the others in that range idle).
        std::vector<Slot *> at((size_t) (hi - lo + 1), nullptr);
        for (Slot & s : wave) at[(size_t) (s.slot - lo)] = &s;
        while (std::any_of(wave.begin(), wave.end(), [](const Slot & s) { return !s.done; })) {
            std::vector<std::vector<int32_t>> next;
            std::vector<int64_t> past;
            for (Slot * s : at) {
                const bool live = s && !s->done;
                next.push_back({live ? s->next : 0});
                past.push_back(live ? s->past : -1);
            }
            const Step step = decode(model, kv, lo, next, past, lora);
            for (size_t b = 0; b < at.size(); b++) {
                Slot * s = at[b];
                if (!s || s->done) continue;
                pc.held[(size_t) s->slot].push_back(s->next);
                s->past++;
                const size_t row = b * (size_t) hp.n_vocab;
                const auto [tok, lp] = sample(step.logits.data() + row, step.probs.data() + row, hp.n_vocab, sampling, s->rng);
                accept(model, requests[s->request], *s, tok, lp);
            }
        }
        for (Slot & s : wave) {
            if (s.out.finish != "stop") s.out.text = model.detokenize(s.out.tokens);
            out[s.request] = std::move(s.out);
        }
    }
    return out;
}

}  // namespace rl
