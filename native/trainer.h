// The differentiable engine: LoRA adapters (actor) and an MLP value head (critic) on a frozen base model, with
// forward/backward over packed batches, gradient accumulation, global-norm clipping and AdamW per group, and
// save/load in llama.cpp's adapter format plus rl-ggml's own state file.
//
// Protocol: forward(keep) builds one graph holding the forward pass and its backward, computes the forward part and
// keeps the activations; backward(coefficients) computes the rest. The loss is Σ_r coef[r]·logp[r] over the output
// rows, so the coefficients the caller passes *are* the upstream gradients dL/dlogp — any loss computed in
// TypeScript (PPO, SFT, DPO) backpropagates exactly. The value head works the same way on features read from a
// forward pass (detached from the LLM by construction).
//
// Layer checkpointing (forward with checkpoint = true) keeps only the hidden state entering each layer instead of
// all activations; the backward pass then recomputes one layer at a time, last to first, and backpropagates through
// it (the same ops, so the same gradients) for one more forward pass of compute.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "forward.h"
#include "ggml-alloc.h"
#include "lora.h"
#include "model.h"

namespace rl {

struct TrainerConfig {
    int rank = 8;
    float alpha = 16.0f;
    std::vector<Target> targets = {T_Q, T_V};
    std::vector<int64_t> head_hidden = {1024, 512};  // empty: no value head
    uint64_t seed = 1;
};

struct AdamW {
    float lr = 0, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0, max_grad_norm = 0;  // 0: no clipping
};

struct StepReport {
    double actor_norm = 0, critic_norm = 0;
    bool skipped = false;
};

enum Group { G_ACTOR = 0, G_CRITIC = 1 };

// A trainable tensor with its gradient accumulator and AdamW moments, all on the model's device.
struct Param {
    std::string name;
    Group group;
    ggml_tensor * value;
    ggml_tensor * grad;
    ggml_tensor * m;
    ggml_tensor * v;
};

struct ForwardResult {
    std::vector<float> logp;
    std::vector<float> features;
};

class Trainer {
public:
    Trainer(Model & model, const TrainerConfig & cfg);
    ~Trainer();
    Trainer(const Trainer &) = delete;
    Trainer & operator=(const Trainer &) = delete;

    const TrainerConfig & config() const { return cfg_; }
    const Model & model() const { return model_; }
    const LoraWeights & lora() const { return lora_; }
    // Bytes on the device: parameters with gradients and AdamW moments, and the training graphs' compute buffers
    // (their high-water marks; the forward of a minibatch keeps its activations there until its backward) plus the
    // largest layer checkpoints so far.
    size_t param_bytes() const { return ggml_backend_buffer_get_size(params_buf_); }
    size_t compute_bytes() const;
    const std::vector<Param> & params() const { return params_; }

    // LLM forward with (lora = true) or without the adapter; keep = retain for backward (lora must be true), all
    // activations or, with checkpoint, each layer's input only.
    ForwardResult forward(const PackedBatch & batch, const std::vector<int32_t> & feature_rows, bool lora, bool keep, bool checkpoint = false);
    void backward(const std::vector<float> & coef);

    std::vector<float> head_forward(const std::vector<float> & features, int64_t n, bool keep);
    void head_backward(const std::vector<float> & dvalues);

    void zero_grad();
    StepReport step(const AdamW & actor, const AdamW & critic);

    // Parameter access (for tests and checkpoints).
    Param & param(const std::string & name);
    std::vector<float> read(const ggml_tensor * t) const;
    void write(ggml_tensor * t, const std::vector<float> & data);

    // chat_template: the chat template the adapter was trained in (rl-ggml.chat_template; empty: not written)
    void save_adapter(const std::string & path, const std::string & chat_template = "") const;
    void load_adapter(const std::string & path);
    void save_state(const std::string & path, const std::string & meta_json) const;
    std::string load_state(const std::string & path);  // returns the meta JSON

private:
    struct Pending;
    struct Checkpoints;
    struct Segment;
    void init_params();
    void release();
    // A training graph (forward and backward): the value head (reading shape.N feature rows), or the LLM's layers in
    // `seg` (all of them by default).
    std::unique_ptr<Pending> build(bool head, const ForwardShape & shape, const Segment & seg);
    std::unique_ptr<Pending> build_forward_only(const ForwardShape & shape, bool lora, const Checkpoints * ck);
    void run_backward(Pending & p, const std::vector<float> & coef);
    void backward_checkpointed(Checkpoints & ck, const std::vector<float> & coef);
    std::array<double, 2> grad_square_norms();

    Model & model_;
    TrainerConfig cfg_;
    LoraWeights lora_;
    std::vector<ggml_tensor *> head_;
    std::vector<Param> params_;
    int64_t steps_[2] = {0, 0};
    ggml_context * params_ctx_ = nullptr;
    ggml_backend_buffer_t params_buf_ = nullptr;
    ggml_tensor * loss_grad_ = nullptr;  // dL/dL, the loss's gradient accumulator
    ggml_tensor * adamw_hp_[2] = {nullptr, nullptr};  // per group: lr, beta1, beta2, eps, wd, bias corrections
    ggml_gallocr_t alloc_llm_ = nullptr;
    ggml_gallocr_t alloc_head_ = nullptr;
    ggml_gallocr_t alloc_opt_ = nullptr;
    std::unique_ptr<Pending> pending_llm_, pending_head_;
    std::unique_ptr<Checkpoints> checkpoints_;
    size_t checkpoint_bytes_ = 0;  // the largest checkpoint buffer so far
};

}  // namespace rl
