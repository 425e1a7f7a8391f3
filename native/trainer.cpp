#include "trainer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "errors.h"
#include "handles.h"
#include "ggml-backend.h"
#include "gguf.h"
#include "log.h"
#include "rng.h"
#include "weight_grad.h"

namespace rl {

struct Trainer::Pending {
    ggml_context * ctx = nullptr;
    ggml_cgraph * gf = nullptr;    // forward nodes
    ggml_cgraph * gbwd = nullptr;  // backward nodes (of the same graph, so activations are shared)
    ForwardGraph fg;               // LLM inputs/outputs
    ggml_tensor * head_in = nullptr;
    ggml_tensor * head_out = nullptr;
    ggml_tensor * coef = nullptr;
    ggml_tensor * loss_grad = nullptr;  // dL/dL = 1, set right before the backward pass
    ~Pending() {
        if (ctx) ggml_free(ctx);
    }
};

// The layers one training graph covers. A segment that ends before the last layer takes the gradient of its output
// hidden states (dy) in place of the log-probs' coefficients; one that starts past layer 0 reads its input hidden
// states from x_in and accumulates their gradient into dx.
struct Trainer::Segment {
    LayerRange range;
    ggml_tensor * x_in = nullptr;
    ggml_tensor * dx = nullptr;
    ggml_tensor * dy = nullptr;
    const ForwardGraph * resident = nullptr;  // inputs already on the device (build_forward)
};

// What a checkpointed forward keeps for its backward: the batch's graph inputs, and the hidden state entering every
// layer but the first (which starts from the embeddings), with two gradient buffers of the same shape, on the model's
// device. The inputs every layer reads (the attention mask above all: about S²/2 per group) stay on the device too,
// uploaded once for the forward and all the layers' recomputations, and so do the per-layer inputs that the forward
// computes from the tokens (Gemma 4 E2B's); `inputs` keeps the host values of the others.
struct Trainer::Checkpoints {
    ForwardInputs inputs;
    ForwardShape shape;
    ggml_context * ctx = nullptr;
    ggml_backend_buffer_t buf = nullptr;
    ForwardGraph resident;
    std::vector<ggml_tensor *> x;  // x[il]: entering layer il (x[0] is null)
    ggml_tensor * dy = nullptr;    // the gradient of the hidden states leaving the layer being recomputed
    ggml_tensor * dx = nullptr;    // ... and of those entering it
    ~Checkpoints() {
        if (buf) ggml_backend_buffer_free(buf);
        if (ctx) ggml_free(ctx);
    }
};

namespace {

// Why LoRA target t finds no projection to adapt in a model's layers.
std::string missing_target(const HParams & hp, Target t) {
    if ((t == T_GATE || t == T_UP || t == T_DOWN) && hp.n_expert > 0) return "its feed-forwards are mixtures of experts, which LoRA does not adapt here (targets q, k, v, o)";
    if (t == T_QKV) return "its query, key and value projections are separate (targets q, k, v)";
    if (t == T_GATE) return "its ffn_up holds the gate's rows too (target up)";
    return "its query, key and value projections are one matrix (target qkv)";
}

// Host copies of device tensors, for writing them into GGUF files (which read tensor data from host memory).
struct HostCopies {
    CtxPtr ctx;
    HostCopies(size_t n_tensors, size_t bytes) : ctx(ggml_init({n_tensors * (ggml_tensor_overhead() + 64) + bytes, nullptr, false})) {
        if (!ctx) fail(E_OOM, "out of host memory for a checkpoint");
    }
    ggml_tensor * add(const ggml_tensor * t, const std::string & name) {
        ggml_tensor * c = ggml_dup_tensor(ctx.get(), t);
        ggml_set_name(c, name.substr(0, GGML_MAX_NAME - 1).c_str());
        ggml_backend_tensor_get(t, c->data, 0, ggml_nbytes(t));
        return c;
    }
};

void write_gguf_atomically(const gguf_context * g, const std::string & path) {
    const std::string tmp = path + ".tmp";
    if (!gguf_write_to_file(g, tmp.c_str(), false) || std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        fail(E_ARGUMENT, "cannot write " + path + ": " + std::strerror(errno));
    }
}

struct GgufFile {
    gguf_context * g = nullptr;
    ggml_context * meta = nullptr;
    explicit GgufFile(const std::string & path) {
        FILE * f = std::fopen(path.c_str(), "rb");
        if (!f) fail(E_ARGUMENT, "cannot open " + path + ": " + std::strerror(errno));
        std::fclose(f);
        log_capture_begin();
        g = gguf_init_from_file(path.c_str(), {false, &meta});  // small files: read the data too
        if (!g) fail(E_ARGUMENT, path + " is not a readable GGUF file (corrupt or truncated): " + log_capture_last());
    }
    ~GgufFile() {
        if (meta) ggml_free(meta);
        if (g) gguf_free(g);
    }
    std::string str(const char * key) const {
        const int64_t id = gguf_find_key(g, key);
        return id >= 0 && gguf_get_kv_type(g, id) == GGUF_TYPE_STRING ? gguf_get_val_str(g, id) : "";
    }
    ggml_tensor * tensor(const std::string & name) const { return ggml_get_tensor(meta, name.c_str()); }
};

}  // namespace

Trainer::Trainer(Model & model, const TrainerConfig & cfg) : model_(model), cfg_(cfg) {
    if (cfg.rank <= 0) fail(E_ARGUMENT, "LoRA rank must be positive, got " + std::to_string(cfg.rank));
    if (!(cfg.alpha > 0)) fail(E_ARGUMENT, "LoRA alpha must be positive");
    for (int64_t h : cfg.head_hidden) {
        if (h <= 0) fail(E_ARGUMENT, "value-head layer widths must be positive");
    }
    model_.map_backward_twins();  // the backward pass reads weights in their file layout
    try {
        init_params();
        const auto buft = ggml_backend_get_default_buffer_type(model_.backend());
        alloc_llm_ = ggml_gallocr_new(buft);
        alloc_head_ = ggml_gallocr_new(buft);
        alloc_opt_ = ggml_gallocr_new(buft);
    } catch (...) {
        release();  // members are destroyed by unwinding; the C handles are not
        throw;
    }
}

Trainer::~Trainer() { release(); }

void Trainer::release() {
    pending_llm_.reset();
    pending_head_.reset();
    checkpoints_.reset();
    if (alloc_llm_) ggml_gallocr_free(alloc_llm_);
    if (alloc_head_) ggml_gallocr_free(alloc_head_);
    if (alloc_opt_) ggml_gallocr_free(alloc_opt_);
    if (params_buf_) ggml_backend_buffer_free(params_buf_);
    if (params_ctx_) ggml_free(params_ctx_);
    alloc_llm_ = alloc_head_ = alloc_opt_ = nullptr;
    params_buf_ = nullptr;
    params_ctx_ = nullptr;
}

void Trainer::init_params() {
    const HParams & hp = model_.hparams();
    const size_t n_max = 4 * (hp.n_layer * T_COUNT * 2 + cfg_.head_hidden.size() + 1) + 3;
    params_ctx_ = ggml_init({ggml_tensor_overhead() * n_max, nullptr, true});
    auto add = [&](const std::string & name, Group group, int64_t ne0, int64_t ne1) {
        auto tensor = [&](const std::string & prefix) {
            ggml_tensor * t = ggml_new_tensor_2d(params_ctx_, GGML_TYPE_F32, ne0, ne1);
            ggml_set_name(t, (prefix + name).substr(0, GGML_MAX_NAME - 1).c_str());
            return t;
        };
        ggml_tensor * v = tensor("");
        ggml_set_param(v);
        params_.push_back({name, group, v, tensor("grad."), tensor("adam_m."), tensor("adam_v.")});
        return v;
    };

    lora_.scale = cfg_.alpha / (float) cfg_.rank;
    lora_.layers.resize(hp.n_layer);
    for (Target t : cfg_.targets) {
        const auto adapts = [t](const Layer & L) { return L.projection(t) != nullptr; };
        if (std::none_of(model_.layers().begin(), model_.layers().end(), adapts)) {
            fail(E_ARGUMENT, "LoRA target \"" + std::string(target_short_name(t)) + "\" adapts nothing in this " + hp.arch->name + " model: " + missing_target(hp, t));
        }
    }
    for (int64_t il = 0; il < hp.n_layer; il++) {
        const Layer & L = model_.layers()[il];
        for (Target t : cfg_.targets) {
            // (a layer may lack one: Gemma 4's global layers without attn_v, as PEFT adapts only the modules there are)
            const ggml_tensor * base = L.projection(t);
            if (!base) continue;
            const std::string name = "blk." + std::to_string(il) + "." + target_tensor_name(t) + ".weight";
            lora_.layers[il][t].a = add(name + ".lora_a", G_ACTOR, base->ne[0], cfg_.rank);
            lora_.layers[il][t].b = add(name + ".lora_b", G_ACTOR, cfg_.rank, base->ne[1]);
        }
    }
    int64_t in = hp.n_embd;
    std::vector<int64_t> widths = cfg_.head_hidden;
    if (!widths.empty()) widths.push_back(1);
    for (size_t i = 0; i < widths.size(); i++) {
        head_.push_back(add("value_head." + std::to_string(i) + ".weight", G_CRITIC, in, widths[i]));
        in = widths[i];
    }

    loss_grad_ = ggml_new_tensor_1d(params_ctx_, GGML_TYPE_F32, 1);
    for (ggml_tensor *& t : adamw_hp_) t = ggml_new_tensor_1d(params_ctx_, GGML_TYPE_F32, 7);
    params_buf_ = ggml_backend_alloc_ctx_tensors_from_buft(params_ctx_, ggml_backend_get_default_buffer_type(model_.backend()));
    if (!params_buf_) fail(E_OOM, "out of memory allocating trainable parameters");
    ggml_backend_buffer_clear(params_buf_, 0);

    // A ~ U(±1/sqrt(n_in)) (PyTorch/peft's default), B = 0; head layers U(±1/sqrt(fan_in)) (nn.Linear's default).
    Rng rng{cfg_.seed * 0x2545F4914F6CDD1DULL + 7};
    for (Param & p : params_) {
        const bool is_b = p.name.size() > 7 && p.name.compare(p.name.size() - 7, 7, ".lora_b") == 0;
        if (is_b) continue;
        std::vector<float> w(ggml_nelements(p.value));
        const float bound = 1.0f / std::sqrt((float) p.value->ne[0]);
        for (float & x : w) x = (float) (rng.uniform() * 2.0 - 1.0) * bound;
        write(p.value, w);
    }
}

std::unique_ptr<Trainer::Pending> Trainer::build(bool head, const ForwardShape & shape, const Segment & seg) {
    auto p = std::make_unique<Pending>();
    const size_t nodes = head ? 256 : 4 * forward_graph_size(model_, shape);
    p->ctx = ggml_init({ggml_tensor_overhead() * nodes * 2 + 3 * ggml_graph_overhead_custom(nodes, true), nullptr, true});
    if (!p->ctx) fail(E_NATIVE, "cannot create a ggml context");
    ggml_context * ctx = p->ctx;
    std::vector<ggml_tensor *> outs;  // what the loss weighs: the head's values, the log-probs' chunks, or x_out
    if (head) {
        const int64_t N = shape.N;
        p->head_in = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, model_.hparams().n_embd, N);
        ggml_set_input(p->head_in);
        ggml_tensor * x = p->head_in;
        for (size_t i = 0; i < head_.size(); i++) {
            x = ggml_mul_mat(ctx, head_[i], x);
            if (i + 1 < head_.size()) x = ggml_relu(ctx, x);
        }
        p->head_out = ggml_reshape_1d(ctx, x, N);
        ggml_set_output(p->head_out);
        outs = {p->head_out};
    } else {
        p->fg = build_forward(ctx, model_, shape, &lora_, seg.range, seg.x_in, seg.resident);
        outs = p->fg.x_out ? std::vector<ggml_tensor *>{p->fg.x_out} : p->fg.logp;
    }
    // loss = Σ out ⊙ coef: its gradient with respect to out is coef, which the caller passes (or dy, for a segment).
    if (seg.dy) {
        p->coef = seg.dy;
    } else {
        int64_t n_out = 0;
        for (ggml_tensor * o : outs) n_out += ggml_nelements(o);
        p->coef = ggml_new_tensor_1d(ctx, GGML_TYPE_F32, n_out);
        ggml_set_input(p->coef);
    }
    ggml_tensor * loss = nullptr;
    int64_t offset = 0;
    for (ggml_tensor * o : outs) {
        // one output takes coef whole (dy has x_out's two dimensions); chunks take their runs of it
        ggml_tensor * c = outs.size() == 1 ? p->coef : ggml_view_1d(ctx, p->coef, ggml_nelements(o), offset * sizeof(float));
        ggml_tensor * part = ggml_sum(ctx, ggml_mul(ctx, o, c));
        loss = loss ? ggml_add(ctx, loss, part) : part;
        offset += ggml_nelements(o);
    }
    ggml_set_loss(loss);
    ggml_set_output(loss);

    // A checkpointed segment, already a recomputation, recomputes the LM head's probabilities chunk by chunk in its
    // backward pass too, so that they exist for one chunk at a time; a kept graph keeps them. The softmax's backward
    // reads kept probabilities, but ggml's allocator loses track of them behind the reshape view that picks the
    // targets and would reuse their memory during the backward pass; marking them outputs keeps them alive.
    const bool recompute_head = seg.x_in != nullptr;
    if (!recompute_head) {
        for (ggml_tensor * t : p->fg.probs) ggml_set_output(t);
    }
    ggml_cgraph * gb = ggml_new_graph_custom(ctx, nodes, true);
    ggml_build_forward_expand(gb, loss);
    if (p->fg.features) ggml_build_forward_expand(gb, p->fg.features);
    const int n_fwd = ggml_graph_n_nodes(gb);
    std::vector<ggml_tensor *> accs(n_fwd, nullptr);
    for (int i = 0; i < n_fwd; i++) {
        ggml_tensor * node = ggml_graph_node(gb, i);
        for (Param & prm : params_) {
            if (prm.value == node) accs[i] = prm.grad;
        }
        if (node == loss) accs[i] = loss_grad_;  // outside the compute buffer, like the parameters' accumulators
        if (node == seg.x_in) accs[i] = seg.dx;
    }
    {
        RecomputeScope recompute(!head && recompute_attention(shape.T / shape.G), recompute_head);
        ggml_build_backward_expand(ctx, gb, accs.data());
    }
    p->loss_grad = loss_grad_;

    p->gf = ggml_new_graph_custom(ctx, nodes, false);
    p->gbwd = ggml_new_graph_custom(ctx, nodes, false);
    for (int i = 0; i < ggml_graph_n_nodes(gb); i++) ggml_graph_add_node(i < n_fwd ? p->gf : p->gbwd, ggml_graph_node(gb, i));
    if (!ggml_gallocr_alloc_graph(head ? alloc_head_ : alloc_llm_, gb)) fail(E_OOM, "out of memory allocating the training graph");
    return p;
}

// The forward pass alone: for evaluation (on the model's allocator), or a checkpointed training forward that copies
// each layer's input hidden states into `ck` as it goes (on the training allocator).
std::unique_ptr<Trainer::Pending> Trainer::build_forward_only(const ForwardShape & shape, bool lora, const Checkpoints * ck) {
    auto p = std::make_unique<Pending>();
    const size_t nodes = forward_graph_size(model_, shape) + model_.layers().size();
    p->ctx = ggml_init({ggml_tensor_overhead() * nodes + ggml_graph_overhead_custom(nodes, false), nullptr, true});
    if (!p->ctx) fail(E_NATIVE, "cannot create a ggml context");
    // (the per-layer inputs are computed here, and kept for the recomputations)
    ForwardGraph resident;
    if (ck) {
        resident = ck->resident;
        resident.layer_inputs = nullptr;
    }
    p->fg = build_forward(p->ctx, model_, shape, lora ? &lora_ : nullptr, {}, nullptr, ck ? &resident : nullptr);
    p->gf = ggml_new_graph_custom(p->ctx, nodes, false);
    // The copies come first in the graph's order, so each layer's input is copied out as soon as it is computed
    // rather than held in the compute buffer until the outputs are.
    if (ck && ck->resident.layer_inputs) ggml_build_forward_expand(p->gf, ggml_cpy(p->ctx, p->fg.layer_inputs, ck->resident.layer_inputs));
    for (size_t il = 1; ck && il < ck->x.size(); il++) ggml_build_forward_expand(p->gf, ggml_cpy(p->ctx, p->fg.layer_in[il], ck->x[il]));
    for (ggml_tensor * t : p->fg.logp) ggml_build_forward_expand(p->gf, t);
    if (p->fg.features) ggml_build_forward_expand(p->gf, p->fg.features);
    if (!ggml_gallocr_alloc_graph(ck ? alloc_llm_ : model_.allocator(), p->gf)) fail(E_OOM, "out of memory allocating the forward graph");
    return p;
}

ForwardResult Trainer::forward(const PackedBatch & batch, const std::vector<int32_t> & feature_rows, bool lora, bool keep, bool checkpoint) {
    const HParams & hp = model_.hparams();
    batch.validate(hp);
    for (int32_t r : feature_rows) {
        if (r < 0 || (size_t) r >= batch.tokens.size()) fail(E_ARGUMENT, "feature row out of range");
        if (batch.branch[r] == -2) fail(E_ARGUMENT, "a feature row is a padding token");
    }
    if (keep && (!lora || batch.out_rows.empty())) fail(E_ARGUMENT, "a kept forward needs the adapter and at least one scored token");
    if (checkpoint && !keep) fail(E_ARGUMENT, "a checkpointed forward must be kept");
    if (batch.out_rows.empty() && feature_rows.empty()) fail(E_ARGUMENT, "a forward pass needs scored tokens or feature rows");
    const ForwardShape shape = forward_shape(hp, batch, feature_rows.size());
    if (keep) {
        pending_llm_.reset();
        checkpoints_.reset();
    }

    std::unique_ptr<Pending> p;
    std::unique_ptr<Checkpoints> ck;
    if (keep && checkpoint && hp.n_layer > 1) {
        ck = std::make_unique<Checkpoints>();
        ck->shape = shape;
        ck->ctx = ggml_init({ggml_tensor_overhead() * (hp.n_layer + 8), nullptr, true});
        if (!ck->ctx) fail(E_NATIVE, "cannot create a ggml context");
        ck->x.assign(hp.n_layer, nullptr);
        for (int64_t il = 1; il < hp.n_layer; il++) ck->x[il] = ggml_new_tensor_2d(ck->ctx, GGML_TYPE_F32, hp.n_embd, shape.N);
        ck->dy = ggml_new_tensor_2d(ck->ctx, GGML_TYPE_F32, hp.n_embd, shape.N);
        ck->dx = ggml_new_tensor_2d(ck->ctx, GGML_TYPE_F32, hp.n_embd, shape.N);
        ck->resident = resident_inputs(ck->ctx, shape);
        if (hp.n_embd_per_layer > 0) ck->resident.layer_inputs = ggml_new_tensor_3d(ck->ctx, GGML_TYPE_F32, hp.n_embd_per_layer, shape.N, hp.n_layer);
        ck->buf = ggml_backend_alloc_ctx_tensors_from_buft(ck->ctx, ggml_backend_get_default_buffer_type(model_.backend()));
        if (!ck->buf) fail(E_OOM, "out of memory allocating the layer checkpoints");
        checkpoint_bytes_ = std::max(checkpoint_bytes_, ggml_backend_buffer_get_size(ck->buf));
        p = build_forward_only(shape, true, ck.get());
    } else {
        p = keep ? build(false, shape, {}) : build_forward_only(shape, lora, nullptr);
    }
    ForwardInputs inputs = forward_inputs(hp, batch, shape, feature_rows);
    set_forward_inputs(p->fg, inputs);
    model_.compute(p->gf);

    ForwardResult r;
    r.logp = read_logp(p->fg);
    if (p->fg.features) r.features = read(p->fg.features);
    if (ck) {
        ck->inputs = std::move(inputs);
        for (auto * v : {&ck->inputs.positions, &ck->inputs.slot_row, &ck->inputs.row_slot}) *v = {};  // resident now
        ck->inputs.mask = ck->inputs.mask_swa = {};
        ck->inputs.temper = {};
        checkpoints_ = std::move(ck);
    } else if (keep) {
        pending_llm_ = std::move(p);
    }
    return r;
}

void Trainer::run_backward(Pending & p, const std::vector<float> & coef) {
    if (!coef.empty()) write(p.coef, coef);
    const float one = 1.0f;
    ggml_backend_tensor_set(p.loss_grad, &one, 0, sizeof(float));
    model_.compute(p.gbwd);
}

void Trainer::backward(const std::vector<float> & coef) {
    if (!pending_llm_ && !checkpoints_) fail(E_ARGUMENT, "backward without a kept forward");
    const int64_t n_coef = checkpoints_ ? checkpoints_->shape.R : ggml_nelements(pending_llm_->coef);
    if ((int64_t) coef.size() != n_coef) {
        fail(E_ARGUMENT, "backward got " + std::to_string(coef.size()) + " coefficients for " + std::to_string(n_coef) + " scored tokens");
    }
    model_.check_backward_twins();
    if (checkpoints_) {
        std::unique_ptr<Checkpoints> ck = std::move(checkpoints_);
        backward_checkpointed(*ck, coef);
    } else {
        run_backward(*pending_llm_, coef);
        pending_llm_.reset();
    }
    model_.check_backward_twins();  // the file changed during the pass: its gradients are not to be used
}

// Last layer to first: recompute the layer from its kept input, then backpropagate the gradient of its output
// (the log-probs' coefficients for the last layer, dy for the others) into its adapters and its input (dx, which
// becomes dy of the layer below). Layers that attend with earlier layers' keys and values (Gemma 4 E2B's last 20 of
// 35) are recomputed in one graph with those layers (from the first of them on).
void Trainer::backward_checkpointed(Checkpoints & ck, const std::vector<float> & coef) {
    const HParams & hp = model_.hparams();
    const size_t n_layer = ck.x.size(), last = hp.n_layer_kv < hp.n_layer ? (size_t) hp.n_layer_kv - 2 : n_layer - 1;
    for (size_t end = n_layer; end > 0;) {
        const size_t il = end == n_layer ? last : end - 1;
        Segment seg{{il, end}, ck.x[il], il > 0 ? ck.dx : nullptr, end < n_layer ? ck.dy : nullptr, &ck.resident};
        end = il;
        if (seg.x_in) ggml_set_param(seg.x_in);  // so that autodiff differentiates with respect to it
        std::unique_ptr<Pending> p = build(false, ck.shape, seg);
        set_forward_inputs(p->fg, ck.inputs);
        if (seg.dx) ggml_backend_tensor_memset(seg.dx, 0, 0, ggml_nbytes(seg.dx));
        model_.compute(p->gf);
        run_backward(*p, seg.dy ? std::vector<float>{} : coef);
        std::swap(ck.dx, ck.dy);
    }
}

std::vector<float> Trainer::head_forward(const std::vector<float> & features, int64_t n, bool keep) {
    if (head_.empty()) fail(E_ARGUMENT, "this trainer has no value head");
    if (n <= 0 || (int64_t) features.size() != n * model_.hparams().n_embd) fail(E_ARGUMENT, "features must hold n × n_embd values");
    ForwardShape rows;
    rows.N = n;
    std::unique_ptr<Pending> p = build(true, rows, {});
    write(p->head_in, features);
    model_.compute(p->gf);
    std::vector<float> values = read(p->head_out);
    pending_head_ = keep ? std::move(p) : nullptr;
    return values;
}

void Trainer::head_backward(const std::vector<float> & dvalues) {
    if (!pending_head_) fail(E_ARGUMENT, "head backward without a kept head forward");
    if ((int64_t) dvalues.size() != ggml_nelements(pending_head_->coef)) fail(E_ARGUMENT, "head backward got the wrong number of value gradients");
    run_backward(*pending_head_, dvalues);
    pending_head_.reset();
}

void Trainer::zero_grad() {
    for (Param & p : params_) ggml_backend_tensor_memset(p.grad, 0, 0, ggml_nbytes(p.grad));
}

// Σ grad² per group, computed where the gradients live; a NaN or Inf anywhere makes its group's sum non-finite.
std::array<double, 2> Trainer::grad_square_norms() {
    const size_t nodes = 4 * params_.size() + 16;  // nodes and leaves (the gradients)
    CtxPtr ctx(ggml_init({ggml_tensor_overhead() * nodes + ggml_graph_overhead_custom(nodes, false), nullptr, true}));
    ggml_cgraph * gf = ggml_new_graph_custom(ctx.get(), nodes, false);
    ggml_tensor * total[2] = {nullptr, nullptr};
    for (Param & p : params_) {
        ggml_tensor * s = ggml_sum(ctx.get(), ggml_sqr(ctx.get(), p.grad));
        total[p.group] = total[p.group] ? ggml_add(ctx.get(), total[p.group], s) : s;
    }
    for (ggml_tensor * t : total) {
        if (!t) continue;
        ggml_set_output(t);
        ggml_build_forward_expand(gf, t);
    }
    if (!ggml_gallocr_alloc_graph(alloc_opt_, gf)) fail(E_OOM, "out of memory computing gradient norms");
    model_.compute(gf);
    std::array<double, 2> out = {0, 0};
    for (int g = 0; g < 2; g++) {
        float v = 0;
        if (total[g]) ggml_backend_tensor_get(total[g], &v, 0, sizeof(v));
        out[g] = v;
    }
    return out;
}

StepReport Trainer::step(const AdamW & actor, const AdamW & critic) {
    StepReport rep;
    const std::array<double, 2> sq = grad_square_norms();
    rep.actor_norm = std::sqrt(sq[G_ACTOR]);
    rep.critic_norm = std::sqrt(sq[G_CRITIC]);
    if (!std::isfinite(sq[G_ACTOR]) || !std::isfinite(sq[G_CRITIC])) {  // a NaN/Inf gradient: drop it, keep the weights
        rep.skipped = true;
        zero_grad();
        return rep;
    }
    lora_.version++;
    // torch.nn.utils.clip_grad_norm_ then torch.optim.AdamW, per group, as one graph of ggml AdamW steps.
    const AdamW * opt[2] = {&actor, &critic};
    const double norm[2] = {rep.actor_norm, rep.critic_norm};
    float clip[2] = {1.0f, 1.0f};
    for (int gi = 0; gi < 2; gi++) {
        const AdamW & o = *opt[gi];
        if (!(o.lr > 0)) continue;
        steps_[gi]++;
        if (o.max_grad_norm > 0 && norm[gi] > o.max_grad_norm) clip[gi] = (float) (o.max_grad_norm / (norm[gi] + 1e-6));
        const float hp[7] = {o.lr, o.beta1, o.beta2, o.eps, o.weight_decay, (float) (1.0 / (1.0 - std::pow((double) o.beta1, (double) steps_[gi]))),
                             (float) (1.0 / (1.0 - std::pow((double) o.beta2, (double) steps_[gi])))};
        ggml_backend_tensor_set(adamw_hp_[gi], hp, 0, sizeof(hp));
    }
    const size_t nodes = 6 * params_.size() + 16;  // nodes and leaves (value, gradient, moments per parameter)
    CtxPtr ctx(ggml_init({ggml_tensor_overhead() * nodes + ggml_graph_overhead_custom(nodes, false), nullptr, true}));
    ggml_cgraph * gf = ggml_new_graph_custom(ctx.get(), nodes, false);
    for (Param & p : params_) {
        if (!(opt[p.group]->lr > 0)) continue;
        ggml_tensor * g = clip[p.group] == 1.0f ? p.grad : ggml_scale(ctx.get(), p.grad, clip[p.group]);
        ggml_build_forward_expand(gf, ggml_opt_step_adamw(ctx.get(), p.value, g, p.m, p.v, adamw_hp_[p.group]));
    }
    if (!ggml_gallocr_alloc_graph(alloc_opt_, gf)) fail(E_OOM, "out of memory for the optimizer step");
    model_.compute(gf);
    return rep;
}

size_t Trainer::compute_bytes() const {
    size_t n = 0;
    for (ggml_gallocr_t a : {alloc_llm_, alloc_head_, alloc_opt_}) n += ggml_gallocr_get_buffer_size(a, 0);
    return n + checkpoint_bytes_;
}

Param & Trainer::param(const std::string & name) {
    for (Param & p : params_) {
        if (p.name == name) return p;
    }
    fail(E_ARGUMENT, "no trainable parameter named " + name);
}

std::vector<float> Trainer::read(const ggml_tensor * t) const {
    std::vector<float> out(ggml_nelements(t));
    ggml_backend_tensor_get(t, out.data(), 0, out.size() * sizeof(float));
    return out;
}

void Trainer::write(ggml_tensor * t, const std::vector<float> & data) {
    if ((int64_t) data.size() != ggml_nelements(t)) fail(E_ARGUMENT, std::string("wrong number of values for ") + ggml_get_name(t));
    ggml_backend_tensor_set(t, data.data(), 0, data.size() * sizeof(float));
    lora_.version++;
}

void Trainer::save_adapter(const std::string & path, const std::string & chat_template) const {
    GgufPtr file(gguf_init_empty());
    gguf_context * g = file.get();
    gguf_set_val_str(g, "general.type", "adapter");
    gguf_set_val_str(g, "general.architecture", model_.hparams().arch->name);
    gguf_set_val_str(g, "general.name", "rl-ggml LoRA adapter");
    gguf_set_val_str(g, "adapter.type", "lora");
    gguf_set_val_f32(g, "adapter.lora.alpha", cfg_.alpha);
    if (!chat_template.empty()) gguf_set_val_str(g, "rl-ggml.chat_template", chat_template.c_str());  // llama.cpp ignores it
    HostCopies host(params_.size(), ggml_backend_buffer_get_size(params_buf_));
    for (const Param & p : params_) {
        if (p.group == G_ACTOR) gguf_add_tensor(g, host.add(p.value, p.name));
    }
    write_gguf_atomically(g, path);
}

void Trainer::load_adapter(const std::string & path) {
    GgufFile f(path);
    if (f.str("general.type") != "adapter" || f.str("adapter.type") != "lora") fail(E_ARGUMENT, path + " is not a LoRA adapter file");
    const std::string arch = model_.hparams().arch->name;
    if (f.str("general.architecture") != arch) {
        fail(E_ARGUMENT, path + " is an adapter for architecture \"" + f.str("general.architecture") + "\", the model's is \"" + arch + "\"");
    }
    int n_actor = 0;
    for (Param & p : params_) {
        if (p.group != G_ACTOR) continue;
        n_actor++;
        ggml_tensor * t = f.tensor(p.name);
        if (!t) fail(E_ARGUMENT, path + " has no tensor " + p.name + " (an adapter for other targets or another model)");
        if (t->type != GGML_TYPE_F32 || !ggml_are_same_shape(t, p.value)) {
            fail(E_ARGUMENT, "tensor " + p.name + " in " + path + " has shape [" + std::to_string(t->ne[0]) + ", " + std::to_string(t->ne[1]) +
                                 "], this model and rank need [" + std::to_string(p.value->ne[0]) + ", " + std::to_string(p.value->ne[1]) + "]");
        }
    }
    if (gguf_get_n_tensors(f.g) != n_actor) fail(E_ARGUMENT, path + " has adapters this configuration does not (other targets or more layers)");
    for (Param & p : params_) {
        if (p.group == G_ACTOR) ggml_backend_tensor_set(p.value, f.tensor(p.name)->data, 0, ggml_nbytes(p.value));
    }
    lora_.version++;
}

void Trainer::save_state(const std::string & path, const std::string & meta_json) const {
    GgufPtr file(gguf_init_empty());
    gguf_context * g = file.get();
    gguf_set_val_u32(g, "rlggml.state.version", 1);
    gguf_set_val_str(g, "rlggml.meta", meta_json.c_str());
    gguf_set_val_u64(g, "rlggml.steps.actor", (uint64_t) steps_[G_ACTOR]);
    gguf_set_val_u64(g, "rlggml.steps.critic", (uint64_t) steps_[G_CRITIC]);
    HostCopies host(3 * params_.size(), ggml_backend_buffer_get_size(params_buf_));
    for (const Param & p : params_) {
        if (p.group == G_CRITIC) gguf_add_tensor(g, host.add(p.value, p.name));
        gguf_add_tensor(g, host.add(p.m, "adam_m." + p.name));
        gguf_add_tensor(g, host.add(p.v, "adam_v." + p.name));
    }
    write_gguf_atomically(g, path);
}

std::string Trainer::load_state(const std::string & path) {
    GgufFile f(path);
    const int64_t ver = gguf_find_key(f.g, "rlggml.state.version");
    if (ver < 0 || gguf_get_val_u32(f.g, ver) != 1) fail(E_ARGUMENT, path + " is not an rl-ggml state file of version 1");
    for (Param & p : params_) {
        std::vector<std::pair<std::string, ggml_tensor *>> wanted = {{"adam_m." + p.name, p.m}, {"adam_v." + p.name, p.v}};
        if (p.group == G_CRITIC) wanted.push_back({p.name, p.value});
        for (auto & [name, dst] : wanted) {
            ggml_tensor * t = f.tensor(name.substr(0, GGML_MAX_NAME - 1));
            if (!t || t->type != GGML_TYPE_F32 || !ggml_are_same_shape(t, p.value)) fail(E_ARGUMENT, path + " does not match this trainer: tensor " + name);
            ggml_backend_tensor_set(dst, t->data, 0, ggml_nbytes(t));
        }
    }
    for (const auto & [key, group] : {std::pair<const char *, Group>{"rlggml.steps.actor", G_ACTOR}, {"rlggml.steps.critic", G_CRITIC}}) {
        const int64_t id = gguf_find_key(f.g, key);
        if (id < 0 || gguf_get_kv_type(f.g, id) != GGUF_TYPE_UINT64) fail(E_ARGUMENT, path + " lacks " + key);
        steps_[group] = (int64_t) gguf_get_val_u64(f.g, id);
    }
    return f.str("rlggml.meta");
}

}  // namespace rl
