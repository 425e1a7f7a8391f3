// N-API surface of the engine. Long work (loading, forward passes, writing models) runs off the JS thread, on the
// engine's compute thread (see ComputeThread), and resolves a Promise; the TypeScript layer (src/native.ts)
// serializes calls per model and maps error codes onto typed Error classes.
#include <napi.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "chat.h"
#include "device.h"
#include "errors.h"
#include "gguf.h"
#include "forward.h"
#include "generate.h"
#include "log.h"
#include "make_model.h"
#include "model.h"
#include "trainer.h"
#include "weight_grad.h"

namespace {

Napi::Error to_js_error(Napi::Env env, const std::string & code, const std::string & message) {
    Napi::Error e = Napi::Error::New(env, message);
    e.Set("code", Napi::String::New(env, code));
    return e;
}

// The one thread that runs all engine work, in the order it was queued. ggml's CPU backend parallelizes with OpenMP,
// whose worker team belongs to the thread that starts a parallel region: work started from libuv's pool threads in
// turn left a team per pool thread, and once a process has more OpenMP threads than cores, libgomp stops spinning at
// barriers and sleeps on a futex instead (token-by-token decoding crosses hundreds of barriers per token and ran at
// half speed with 2 threads on 2 cores). Created on first use and never destroyed, so process exit never waits on it.
class ComputeThread {
public:
    static ComputeThread & get() {
        static ComputeThread * instance = new ComputeThread();
        return *instance;
    }
    // Runs `job` on the compute thread; returns when it has run.
    void run(const std::function<void()> & job) {
        std::packaged_task<void()> task(job);
        std::future<void> done = task.get_future();
        {
            std::lock_guard<std::mutex> lock(mutex_);
            queue_.push_back(std::move(task));
        }
        ready_.notify_one();
        done.get();
    }

private:
    ComputeThread() { std::thread([this] { loop(); }).detach(); }
    [[noreturn]] void loop() {
        for (;;) {
            std::unique_lock<std::mutex> lock(mutex_);
            ready_.wait(lock, [this] { return !queue_.empty(); });
            std::packaged_task<void()> task = std::move(queue_.front());
            queue_.pop_front();
            lock.unlock();
            task();
        }
    }
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::packaged_task<void()>> queue_;
};

// Runs `work` on the compute thread (a libuv worker waits for it) and resolves with `convert(result)` on the JS thread.
template <typename R>
class Task : public Napi::AsyncWorker {
public:
    Task(Napi::Env env, std::function<R()> work, std::function<Napi::Value(Napi::Env, R &)> convert)
        : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)), convert_(std::move(convert)) {}
    Napi::Promise promise() { return deferred_.Promise(); }
    void Execute() override {
        ComputeThread::get().run([this] {
            rl::log_capture_begin();  // this call's log lines only
            try {
                result_ = work_();
            } catch (const rl::Error & e) {
                code_ = e.code;
                SetError(e.what());
            } catch (const std::bad_alloc &) {
                code_ = rl::E_OOM;
                SetError("out of host memory");
            } catch (const std::exception & e) {
                code_ = rl::E_NATIVE;
                SetError(e.what());
            }
        });
    }
    void OnOK() override { deferred_.Resolve(convert_(Env(), result_)); }
    void OnError(const Napi::Error & e) override { deferred_.Reject(to_js_error(Env(), code_, e.Message()).Value()); }

private:
    Napi::Promise::Deferred deferred_;
    std::function<R()> work_;
    std::function<Napi::Value(Napi::Env, R &)> convert_;
    R result_{};
    std::string code_;
};

template <typename R>
Napi::Promise run_async(Napi::Env env, std::function<R()> work, std::function<Napi::Value(Napi::Env, R &)> convert) {
    auto * task = new Task<R>(env, std::move(work), std::move(convert));
    Napi::Promise p = task->promise();
    task->Queue();
    return p;
}

// Synchronous calls: rl::Error becomes a JS exception with its code.
template <typename F>
Napi::Value guarded(Napi::Env env, F && f) {
    rl::log_capture_begin();
    try {
        return f();
    } catch (const rl::Error & e) {
        to_js_error(env, e.code, e.what()).ThrowAsJavaScriptException();
    } catch (const std::exception & e) {
        to_js_error(env, rl::E_NATIVE, e.what()).ThrowAsJavaScriptException();
    }
    return env.Undefined();
}

std::vector<int32_t> int_array(const Napi::Value & v, const char * what) {
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
        throw rl::Error(rl::E_ARGUMENT, std::string(what) + " must be an Int32Array");
    }
    Napi::Int32Array a = v.As<Napi::Int32Array>();
    return std::vector<int32_t>(a.Data(), a.Data() + a.ElementLength());
}

std::vector<float> float_array(const Napi::Value & v, const char * what) {
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
        throw rl::Error(rl::E_ARGUMENT, std::string(what) + " must be a Float32Array");
    }
    Napi::Float32Array a = v.As<Napi::Float32Array>();
    return std::vector<float>(a.Data(), a.Data() + a.ElementLength());
}

Napi::Float32Array to_float32(Napi::Env env, const std::vector<float> & v) {
    Napi::Float32Array a = Napi::Float32Array::New(env, v.size());
    std::copy(v.begin(), v.end(), a.Data());
    return a;
}

rl::PackedBatch packed_batch(const Napi::Value & v) {
    if (!v.IsObject()) throw rl::Error(rl::E_ARGUMENT, "batch must be an object");
    Napi::Object o = v.As<Napi::Object>();
    rl::PackedBatch b;
    b.tokens = int_array(o.Get("tokens"), "tokens");
    b.positions = int_array(o.Get("positions"), "positions");
    b.branch = int_array(o.Get("branch"), "branch");
    b.n_groups = o.Get("nGroups").As<Napi::Number>().Int32Value();
    b.out_rows = int_array(o.Get("outRows"), "outRows");
    b.out_targets = int_array(o.Get("outTargets"), "outTargets");
    return b;
}

rl::AdamW adamw(const Napi::Value & v) {
    rl::AdamW a;
    if (!v.IsObject()) return a;  // lr 0: the group does not step
    Napi::Object o = v.As<Napi::Object>();
    auto num = [&](const char * k, float & dst) {
        if (o.Has(k) && o.Get(k).IsNumber()) dst = o.Get(k).As<Napi::Number>().FloatValue();
    };
    num("lr", a.lr);
    num("beta1", a.beta1);
    num("beta2", a.beta2);
    num("eps", a.eps);
    num("weightDecay", a.weight_decay);
    num("maxGradNorm", a.max_grad_norm);
    return a;
}

Napi::Int32Array to_int32(Napi::Env env, const std::vector<int32_t> & v) {
    Napi::Int32Array a = Napi::Int32Array::New(env, v.size());
    std::copy(v.begin(), v.end(), a.Data());
    return a;
}

// generate(requests: [{prompt: Int32Array, maxTokens, stop: string[], slot?, seed?}], {temperature, topK, topP, seed}, slots,
//          keep: bool): with keep, every request names a slot of the owner's PromptCache, which outlives the call.
struct GenerationArgs {
    std::vector<rl::GenerationRequest> requests;
    rl::Sampling sampling;
    int slots = 1;
    bool keep = false;
};

GenerationArgs generation_args(const Napi::CallbackInfo & info) {
    GenerationArgs a;
    Napi::Array reqs = info[0].As<Napi::Array>();
    for (uint32_t i = 0; i < reqs.Length(); i++) {
        Napi::Object o = reqs.Get(i).As<Napi::Object>();
        rl::GenerationRequest r;
        r.prompt = int_array(o.Get("prompt"), "prompt");
        r.max_tokens = o.Get("maxTokens").As<Napi::Number>().Int32Value();
        Napi::Array stop = o.Get("stop").As<Napi::Array>();
        for (uint32_t j = 0; j < stop.Length(); j++) r.stop.push_back(stop.Get(j).As<Napi::String>().Utf8Value());
        if (o.Has("slot") && o.Get("slot").IsNumber()) r.slot = o.Get("slot").As<Napi::Number>().Int32Value();
        if (o.Has("seed") && o.Get("seed").IsNumber()) r.seed = o.Get("seed").As<Napi::Number>().Int64Value();
        a.requests.push_back(std::move(r));
    }
    Napi::Object s = info[1].As<Napi::Object>();
    a.sampling.temperature = s.Get("temperature").As<Napi::Number>().FloatValue();
    a.sampling.top_k = s.Get("topK").As<Napi::Number>().Int32Value();
    a.sampling.top_p = s.Get("topP").As<Napi::Number>().FloatValue();
    a.sampling.seed = (uint64_t) s.Get("seed").As<Napi::Number>().Int64Value();
    a.slots = info[2].As<Napi::Number>().Int32Value();
    a.keep = info.Length() > 3 && info[3].ToBoolean().Value();
    return a;
}

Napi::Value generations_to_js(Napi::Env env, std::vector<rl::Generation> & gs) {
    Napi::Array arr = Napi::Array::New(env, gs.size());
    for (size_t i = 0; i < gs.size(); i++) {
        Napi::Object o = Napi::Object::New(env);
        o.Set("tokens", to_int32(env, gs[i].tokens));
        o.Set("logprobs", to_float32(env, gs[i].logprobs));
        o.Set("text", gs[i].text);
        o.Set("finish", gs[i].finish);
        o.Set("cached", (double) gs[i].cached);
        arr.Set(i, o);
    }
    return arr;
}

Napi::Object device_object(Napi::Env env, const rl::DeviceInfo & d) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("id", d.id);
    o.Set("name", d.name);
    o.Set("description", d.description);
    o.Set("kind", d.gpu ? "gpu" : "cpu");
    o.Set("memoryFree", (double) d.memory_free);
    o.Set("memoryTotal", (double) d.memory_total);
    o.Set("backwardPrecision", d.backward_precision);
    return o;
}

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
public:
    static Napi::Function Define(Napi::Env env) {
        return DefineClass(env, "NativeModel",
                           {
                               InstanceMethod("info", &ModelWrap::Info),
                               InstanceMethod("tokenize", &ModelWrap::Tokenize),
                               InstanceMethod("detokenize", &ModelWrap::Detokenize),
                               InstanceMethod("tokenPiece", &ModelWrap::TokenPiece),
                               InstanceMethod("logprobs", &ModelWrap::Logprobs),
                               InstanceMethod("device", &ModelWrap::Device),
                               InstanceMethod("generate", &ModelWrap::Generate),
                               InstanceMethod("releaseCache", &ModelWrap::ReleaseCache),
                               InstanceMethod("memory", &ModelWrap::Memory),
                               InstanceMethod("dispose", &ModelWrap::Dispose),
                           });
    }

    ModelWrap(const Napi::CallbackInfo & info) : Napi::ObjectWrap<ModelWrap>(info) {
        // Constructed only by loadModel with an External holding the loaded model.
        model_.reset(info[0].As<Napi::External<rl::Model>>().Data());
    }

public:
    rl::Model & model(Napi::Env env) {
        if (!model_) throw rl::Error("DISPOSED", "the model has been disposed");
        (void) env;
        return *model_;
    }

private:
    // The device the model lives on, with its memory now.
    Napi::Value Device(const Napi::CallbackInfo & info) {
        return guarded(info.Env(), [&]() -> Napi::Value { return device_object(info.Env(), rl::describe(model(info.Env()).device())); });
    }

    Napi::Value Info(const Napi::CallbackInfo & info) {
        return guarded(info.Env(), [&]() -> Napi::Value {
            Napi::Env env = info.Env();
            const rl::Model & m = model(env);
            const rl::HParams & hp = m.hparams();
            Napi::Object o = Napi::Object::New(env);
            o.Set("architecture", hp.arch->name);
            o.Set("nVocab", hp.n_vocab);
            o.Set("nCtxTrain", hp.n_ctx_train);
            o.Set("nEmbd", hp.n_embd);
            o.Set("nLayer", hp.n_layer);
            o.Set("nHead", hp.n_head);
            o.Set("nHeadKv", hp.n_head_kv);
            o.Set("nFf", hp.n_ff);
            o.Set("nRot", hp.n_rot);
            o.Set("headDim", hp.head_dim);
            Napi::Array dims = Napi::Array::New(env, hp.layer_dims.size());
            for (size_t il = 0; il < hp.layer_dims.size(); il++) {
                const rl::LayerDims & d = hp.dims(il);
                Napi::Object l = Napi::Object::New(env);
                l.Set("headDim", d.head_dim);
                l.Set("nHeadKv", d.n_head_kv);
                l.Set("nFf", d.n_ff);
                l.Set("nRot", d.n_rot);
                dims.Set(il, l);
            }
            o.Set("layers", dims);
            o.Set("perLayerInputs", hp.n_embd_per_layer);
            o.Set("sharedKvLayers", hp.n_layer - hp.n_layer_kv);
            if (hp.n_expert > 0) {
                Napi::Object x = Napi::Object::New(env);
                x.Set("count", hp.n_expert);
                x.Set("used", hp.n_expert_used);
                x.Set("ff", hp.n_ff_exp);
                x.Set("shared", hp.arch->experts == rl::Experts::beside);
                o.Set("experts", x);
            } else {
                o.Set("experts", env.Null());
            }
            o.Set("rmsEps", hp.rms_eps);
            o.Set("ropeFreqBase", hp.rope.base);
            o.Set("ropeFreqScale", hp.rope.scale);
            o.Set("ropeScaling", hp.rope_scaling());
            o.Set("tiedOutput", hp.tied_output);
            o.Set("slidingWindow", hp.n_swa);
            Napi::Object caps = Napi::Object::New(env);
            caps.Set("attention", hp.attn_softcap);
            caps.Set("final", hp.final_softcap);
            o.Set("softCaps", caps);
            o.Set("fusedQkv", m.layers()[0].wqkv != nullptr);
            o.Set("fusedUp", hp.arch->fused_up);
            o.Set("ropeFreqs", m.has_rope_freqs());
            o.Set("outputBias", m.output_bias() != nullptr);
            Napi::Object scales = Napi::Object::New(env);
            scales.Set("embedding", hp.embd_scale);
            scales.Set("residual", hp.residual_scale);
            scales.Set("attention", hp.kq_scale);
            scales.Set("logit", hp.logit_scale);
            o.Set("scales", scales);
            o.Set("noRope", hp.rope_off);
            o.Set("attnTemperature", hp.attn_temp_scale);
            o.Set("vocab", m.vocab_kind());
            o.Set("bos", m.bos());
            o.Set("addsBos", m.adds_bos());
            o.Set("eos", m.eos());
            std::vector<int32_t> eog, splitting;
            for (int32_t id = 0; id < hp.n_vocab; id++) {
                if (m.ends_generation(id)) eog.push_back(id);
                if (m.splits_text(id)) splitting.push_back(id);
            }
            o.Set("eog", to_int32(env, eog));
            o.Set("splitting", to_int32(env, splitting));
            const std::optional<std::string> chat = m.chat_template();
            o.Set("chatTemplate", chat ? Napi::Value(Napi::String::New(env, *chat)) : env.Null());
            Napi::Array tensors = Napi::Array::New(env, m.tensors().size());
            for (size_t i = 0; i < m.tensors().size(); i++) {
                const rl::TensorInfo & t = m.tensors()[i];
                Napi::Object to = Napi::Object::New(env);
                to.Set("name", t.name);
                to.Set("type", t.type);
                Napi::Array shape = Napi::Array::New(env, t.shape.size());
                for (size_t d = 0; d < t.shape.size(); d++) shape.Set(d, Napi::Number::New(env, (double) t.shape[d]));
                to.Set("shape", shape);
                tensors.Set(i, to);
            }
            o.Set("tensors", tensors);
            return o;
        });
    }

    Napi::Value Tokenize(const Napi::CallbackInfo & info) {
        return guarded(info.Env(), [&]() -> Napi::Value {
            return to_int32(info.Env(), model(info.Env()).tokenize(info[0].As<Napi::String>().Utf8Value(), info[1].ToBoolean(), info[2].ToBoolean()));
        });
    }

    Napi::Value Detokenize(const Napi::CallbackInfo & info) {
        return guarded(info.Env(), [&]() -> Napi::Value {
            const std::string s = model(info.Env()).detokenize(int_array(info[0], "ids"));
            return Napi::String::New(info.Env(), s);
        });
    }

    Napi::Value TokenPiece(const Napi::CallbackInfo & info) {
        return guarded(info.Env(), [&]() -> Napi::Value {
            const std::string s = model(info.Env()).token_piece(info[0].As<Napi::Number>().Int32Value());
            return Napi::Buffer<char>::Copy(info.Env(), s.data(), s.size());
        });
    }

    // logprobs({tokens, positions, branch, nGroups, outRows, outTargets}) -> Promise<Float32Array>
    Napi::Value Logprobs(const Napi::CallbackInfo & info) {
        return guarded(info.Env(), [&]() -> Napi::Value {
            auto batch = std::make_shared<rl::PackedBatch>(packed_batch(info[0]));
            rl::Model * m = &model(info.Env());
            batch->validate(m->hparams());
            return run_async<std::vector<float>>(
                info.Env(), [m, batch]() { return rl::forward_logprobs(*m, *batch); },
                [](Napi::Env env, std::vector<float> & r) -> Napi::Value { return to_float32(env, r); });
        });
    }

    Napi::Value Generate(const Napi::CallbackInfo & info) {
        return guarded(info.Env(), [&]() -> Napi::Value {
            auto args = std::make_shared<GenerationArgs>(generation_args(info));
            rl::Model * m = &model(info.Env());
            rl::PromptCache * cache = args->keep ? &cache_ : nullptr;
            return run_async<std::vector<rl::Generation>>(
                info.Env(), [m, args, cache]() { return rl::generate(*m, args->requests, args->sampling, args->slots, nullptr, cache); },
                generations_to_js);
        });
    }

    // Frees the K,V that generate(..., keep) kept.
    Napi::Value ReleaseCache(const Napi::CallbackInfo & info) {
        cache_ = {};
        return info.Env().Undefined();
    }

    // {weights, compute}: bytes on the device
    Napi::Value Memory(const Napi::CallbackInfo & info) {
        return guarded(info.Env(), [&]() -> Napi::Value {
            const rl::Model & m = model(info.Env());
            Napi::Object o = Napi::Object::New(info.Env());
            o.Set("weights", (double) m.weight_bytes());
            o.Set("compute", (double) m.compute_bytes());
            return o;
        });
    }

    Napi::Value Dispose(const Napi::CallbackInfo & info) {
        cache_ = {};
        model_.reset();
        return info.Env().Undefined();
    }

    std::unique_ptr<rl::Model> model_;
    rl::PromptCache cache_;  // after model_: destroyed first, while the model's device is still there
};


Napi::FunctionReference * trainer_ctor = nullptr;

// A Trainer bound to its model; the JS object keeps the model alive. Long calls run off the JS thread.
class TrainerWrap : public Napi::ObjectWrap<TrainerWrap> {
public:
    static Napi::Function Define(Napi::Env env) {
        return DefineClass(env, "NativeTrainer",
                           {
                               InstanceMethod("forward", &TrainerWrap::Forward),
                               InstanceMethod("generate", &TrainerWrap::Generate),
                               InstanceMethod("releaseCache", &TrainerWrap::ReleaseCache),
                               InstanceMethod("memory", &TrainerWrap::Memory),
                               InstanceMethod("backward", &TrainerWrap::Backward),
                               InstanceMethod("headForward", &TrainerWrap::HeadForward),
                               InstanceMethod("headBackward", &TrainerWrap::HeadBackward),
                               InstanceMethod("zeroGrad", &TrainerWrap::ZeroGrad),
                               InstanceMethod("step", &TrainerWrap::Step),
                               InstanceMethod("params", &TrainerWrap::Params),
                               InstanceMethod("getParam", &TrainerWrap::GetParam),
                               InstanceMethod("setParam", &TrainerWrap::SetParam),
                               InstanceMethod("getGrad", &TrainerWrap::GetGrad),
                               InstanceMethod("saveAdapter", &TrainerWrap::SaveAdapter),
                               InstanceMethod("loadAdapter", &TrainerWrap::LoadAdapter),
                               InstanceMethod("saveState", &TrainerWrap::SaveState),
                               InstanceMethod("loadState", &TrainerWrap::LoadState),
                               InstanceMethod("dispose", &TrainerWrap::Dispose),
                           });
    }

    TrainerWrap(const Napi::CallbackInfo & info) : Napi::ObjectWrap<TrainerWrap>(info) {
        trainer_.reset(info[0].As<Napi::External<rl::Trainer>>().Data());
        model_ref_ = Napi::Persistent(info[1].As<Napi::Object>());
    }

private:
    rl::Trainer & trainer() {
        if (!trainer_) throw rl::Error("DISPOSED", "the trainer has been disposed");
        return *trainer_;
    }

    template <typename R>
    Napi::Value async(const Napi::CallbackInfo & info, std::function<R(rl::Trainer &)> work, std::function<Napi::Value(Napi::Env, R &)> convert) {
        return guarded(info.Env(), [&]() -> Napi::Value {
            rl::Trainer * t = &trainer();
            return run_async<R>(info.Env(), [t, work]() { return work(*t); }, convert);
        });
    }

    static Napi::Value undef(Napi::Env env, bool &) { return env.Undefined(); }

    // {params, compute}: bytes on the device
    Napi::Value Memory(const Napi::CallbackInfo & info) {
        return guarded(info.Env(), [&]() -> Napi::Value {
            Napi::Object o = Napi::Object::New(info.Env());
            o.Set("params", (double) trainer().param_bytes());
            o.Set("compute", (double) trainer().compute_bytes());
            return o;
        });
    }

    // generate(...) as the model's, with the adapter
    Napi::Value Generate(const Napi::CallbackInfo & info) {
        return guarded(info.Env(), [&]() -> Napi::Value {
            auto args = std::make_shared<GenerationArgs>(generation_args(info));
            rl::Trainer * t = &trainer();
            rl::PromptCache * cache = args->keep ? &cache_ : nullptr;
            return run_async<std::vector<rl::Generation>>(
                info.Env(), [t, args, cache]() { return rl::generate(t->model(), args->requests, args->sampling, args->slots, &t->lora(), cache); },
                generations_to_js);
        });
    }

    Napi::Value ReleaseCache(const Napi::CallbackInfo & info) {
        cache_ = {};
        return info.Env().Undefined();
    }

    // forward(batch, featureRows: Int32Array, lora: bool, keep: bool, checkpoint: bool) -> Promise<{logp, features}>
    Napi::Value Forward(const Napi::CallbackInfo & info) {
        rl::PackedBatch batch;
        std::vector<int32_t> rows;
        try {
            batch = packed_batch(info[0]);
            rows = int_array(info[1], "featureRows");
        } catch (const rl::Error & e) {
            to_js_error(info.Env(), e.code, e.what()).ThrowAsJavaScriptException();
            return info.Env().Undefined();
        }
        const bool lora = info[2].ToBoolean(), keep = info[3].ToBoolean(), checkpoint = info[4].ToBoolean();
        return async<rl::ForwardResult>(
            info, [batch, rows, lora, keep, checkpoint](rl::Trainer & t) { return t.forward(batch, rows, lora, keep, checkpoint); },
            [](Napi::Env env, rl::ForwardResult & r) -> Napi::Value {
                Napi::Object o = Napi::Object::New(env);
                o.Set("logp", to_float32(env, r.logp));
                o.Set("features", to_float32(env, r.features));
                return o;
            });
    }

    Napi::Value Backward(const Napi::CallbackInfo & info) {
        return guarded(info.Env(), [&]() -> Napi::Value {
            auto coef = float_array(info[0], "coefficients");
            return async<bool>(info, [coef](rl::Trainer & t) { t.backward(coef); return true; }, undef);
        });
    }

    Napi::Value HeadForward(const Napi::CallbackInfo & info) {
        return guarded(info.Env(), [&]() -> Napi::Value {
            auto features = float_array(info[0], "features");
            const int64_t n = info[1].As<Napi::Number>().Int64Value();
            const bool keep = info[2].ToBoolean();
            return async<std::vector<float>>(
                info, [features, n, keep](rl::Trainer & t) { return t.head_forward(features, n, keep); },
                [](Napi::Env env, std::vector<float> & v) -> Napi::Value { return to_float32(env, v); });
        });
    }

    Napi::Value HeadBackward(const Napi::CallbackInfo & info) {
        return guarded(info.Env(), [&]() -> Napi::Value {
            auto d = float_array(info[0], "value gradients");
            return async<bool>(info, [d](rl::Trainer & t) { t.head_backward(d); return true; }, undef);
        });
    }

    Napi::Value ZeroGrad(const Napi::CallbackInfo & info) {
        return guarded(info.Env(), [&]() -> Napi::Value {
            trainer().zero_grad();
            return info.Env().Undefined();
        });
    }

    // step(actor, critic) -> Promise<{actorNorm, criticNorm, skipped}>
    Napi::Value Step(const Napi::CallbackInfo & info) {
        const rl::AdamW actor = adamw(info[0]), critic = adamw(info[1]);
        return async<rl::StepReport>(
            info, [actor, critic](rl::Trainer & t) { return t.step(actor, critic); },
            [](Napi::Env env, rl::StepReport & r) -> Napi::Value {
                Napi::Object o = Napi::Object::New(env);
                o.Set("actorNorm", r.actor_norm);
                o.Set("criticNorm", r.critic_norm);
                o.Set("skipped", r.skipped);
                return o;
            });
    }

    Napi::Value Params(const Napi::CallbackInfo & info) {
        return guarded(info.Env(), [&]() -> Napi::Value {
            Napi::Env env = info.Env();
            const auto & ps = trainer().params();
            Napi::Array out = Napi::Array::New(env, ps.size());
            for (size_t i = 0; i < ps.size(); i++) {
                Napi::Object o = Napi::Object::New(env);
                o.Set("name", ps[i].name);
                o.Set("group", ps[i].group == rl::G_ACTOR ? "actor" : "critic");
                Napi::Array shape = Napi::Array::New(env, 2);
                shape.Set(0u, Napi::Number::New(env, (double) ps[i].value->ne[0]));
                shape.Set(1u, Napi::Number::New(env, (double) ps[i].value->ne[1]));
                o.Set("shape", shape);
                out.Set(i, o);
            }
            return out;
        });
    }

    Napi::Value GetParam(const Napi::CallbackInfo & info) {
        return guarded(info.Env(), [&]() -> Napi::Value {
            rl::Trainer & t = trainer();
            return to_float32(info.Env(), t.read(t.param(info[0].As<Napi::String>().Utf8Value()).value));
        });
    }

    Napi::Value GetGrad(const Napi::CallbackInfo & info) {
        return guarded(info.Env(), [&]() -> Napi::Value {
            rl::Trainer & t = trainer();
            return to_float32(info.Env(), t.read(t.param(info[0].As<Napi::String>().Utf8Value()).grad));
        });
    }

    Napi::Value SetParam(const Napi::CallbackInfo & info) {
        return guarded(info.Env(), [&]() -> Napi::Value {
            rl::Trainer & t = trainer();
            t.write(t.param(info[0].As<Napi::String>().Utf8Value()).value, float_array(info[1], "values"));
            return info.Env().Undefined();
        });
    }

    Napi::Value SaveAdapter(const Napi::CallbackInfo & info) {
        const std::string path = info[0].As<Napi::String>().Utf8Value();
        const std::string chat_template = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : std::string();
        return async<bool>(info, [path, chat_template](rl::Trainer & t) { t.save_adapter(path, chat_template); return true; }, undef);
    }

    Napi::Value LoadAdapter(const Napi::CallbackInfo & info) {
        const std::string path = info[0].As<Napi::String>().Utf8Value();
        return async<bool>(info, [path](rl::Trainer & t) { t.load_adapter(path); return true; }, undef);
    }

    Napi::Value SaveState(const Napi::CallbackInfo & info) {
        const std::string path = info[0].As<Napi::String>().Utf8Value(), meta = info[1].As<Napi::String>().Utf8Value();
        return async<bool>(info, [path, meta](rl::Trainer & t) { t.save_state(path, meta); return true; }, undef);
    }

    Napi::Value LoadState(const Napi::CallbackInfo & info) {
        const std::string path = info[0].As<Napi::String>().Utf8Value();
        return async<std::string>(
            info, [path](rl::Trainer & t) { return t.load_state(path); },
            [](Napi::Env env, std::string & meta) -> Napi::Value { return Napi::String::New(env, meta); });
    }

    Napi::Value Dispose(const Napi::CallbackInfo & info) {
        cache_ = {};
        trainer_.reset();
        model_ref_.Reset();
        return info.Env().Undefined();
    }

    std::unique_ptr<rl::Trainer> trainer_;
    Napi::ObjectReference model_ref_;
    rl::PromptCache cache_;  // K,V of generate(..., keep) with the adapter; destroyed first
};



// createTrainer(model, {rank, alpha, targets: string[], head: number[], seed}) -> Promise<NativeTrainer>
Napi::Value CreateTrainer(const Napi::CallbackInfo & info) {
    return guarded(info.Env(), [&]() -> Napi::Value {
        Napi::Object model_obj = info[0].As<Napi::Object>();
        rl::Model * m = &Napi::ObjectWrap<ModelWrap>::Unwrap(model_obj)->model(info.Env());
        Napi::Object o = info[1].As<Napi::Object>();
        rl::TrainerConfig cfg;
        cfg.rank = o.Get("rank").As<Napi::Number>().Int32Value();
        cfg.alpha = o.Get("alpha").As<Napi::Number>().FloatValue();
        cfg.targets.clear();
        Napi::Array targets = o.Get("targets").As<Napi::Array>();
        for (uint32_t i = 0; i < targets.Length(); i++) cfg.targets.push_back(rl::parse_target(targets.Get(i).As<Napi::String>().Utf8Value()));
        cfg.head_hidden.clear();
        Napi::Array head = o.Get("head").As<Napi::Array>();
        for (uint32_t i = 0; i < head.Length(); i++) cfg.head_hidden.push_back(head.Get(i).As<Napi::Number>().Int64Value());
        cfg.seed = (uint64_t) o.Get("seed").As<Napi::Number>().Int64Value();
        auto model_ref = std::make_shared<Napi::ObjectReference>(Napi::Persistent(model_obj));
        return run_async<rl::Trainer *>(
            info.Env(), [m, cfg]() { return new rl::Trainer(*m, cfg); },
            [model_ref](Napi::Env env, rl::Trainer *& t) -> Napi::Value {
                return trainer_ctor->New({Napi::External<rl::Trainer>::New(env, t), model_ref->Value()});
            });
    });
}

Napi::FunctionReference * model_ctor = nullptr;


// loadModel(path, nThreads, device) -> Promise<NativeModel>
Napi::Value LoadModel(const Napi::CallbackInfo & info) {
    const std::string path = info[0].As<Napi::String>().Utf8Value();
    const int n_threads = info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : (int) std::thread::hardware_concurrency();
    const std::string device = info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "auto";
    return run_async<rl::Model *>(
        info.Env(), [path, n_threads, device]() { return new rl::Model(path, n_threads, device); },
        [](Napi::Env env, rl::Model *& m) -> Napi::Value {
            return model_ctor->New({Napi::External<rl::Model>::New(env, m)});
        });
}

// makeModel({...}) -> Promise<void>
Napi::Value MakeModel(const Napi::CallbackInfo & info) {
    Napi::Object o = info[0].As<Napi::Object>();
    rl::MakeModelOptions opt;
    opt.out = o.Get("out").As<Napi::String>().Utf8Value();
    opt.vocab_file = o.Get("vocabFile").As<Napi::String>().Utf8Value();
    opt.type = o.Get("type").As<Napi::String>().Utf8Value();
    opt.arch = o.Get("arch").As<Napi::String>().Utf8Value();
    opt.n_layer = o.Get("layers").As<Napi::Number>().Int64Value();
    opt.n_embd = o.Get("embd").As<Napi::Number>().Int64Value();
    opt.n_head = o.Get("heads").As<Napi::Number>().Int64Value();
    opt.n_head_kv = o.Get("kvHeads").As<Napi::Number>().Int64Value();
    opt.n_ff = o.Get("ff").As<Napi::Number>().Int64Value();
    if (o.Has("headDim") && o.Get("headDim").IsNumber()) opt.head_dim = o.Get("headDim").As<Napi::Number>().Int64Value();
    if (o.Has("headDimSwa") && o.Get("headDimSwa").IsNumber()) opt.head_dim_swa = o.Get("headDimSwa").As<Napi::Number>().Int64Value();
    if (o.Has("kvHeadsGlobal") && o.Get("kvHeadsGlobal").IsNumber()) opt.n_head_kv_global = o.Get("kvHeadsGlobal").As<Napi::Number>().Int64Value();
    opt.k_eq_v = o.Get("kEqV").ToBoolean();
    if (o.Has("perLayerInputs") && o.Get("perLayerInputs").IsNumber()) opt.n_embd_per_layer = o.Get("perLayerInputs").As<Napi::Number>().Int64Value();
    if (o.Has("sharedKvLayers") && o.Get("sharedKvLayers").IsNumber()) opt.n_kv_shared = o.Get("sharedKvLayers").As<Napi::Number>().Int64Value();
    if (o.Has("experts") && o.Get("experts").IsObject()) {
        Napi::Object x = o.Get("experts").As<Napi::Object>();
        opt.n_expert = x.Get("count").ToNumber().Int64Value();
        opt.n_expert_used = x.Get("used").ToNumber().Int64Value();
        if (x.Get("ff").IsNumber()) opt.n_ff_exp = x.Get("ff").As<Napi::Number>().Int64Value();
    }
    if (o.Has("slidingWindow") && o.Get("slidingWindow").IsNumber()) opt.n_swa = o.Get("slidingWindow").As<Napi::Number>().Int64Value();
    if (o.Has("attnSoftcap") && o.Get("attnSoftcap").IsNumber()) opt.attn_softcap = o.Get("attnSoftcap").As<Napi::Number>().FloatValue();
    if (o.Has("finalSoftcap") && o.Get("finalSoftcap").IsNumber()) opt.final_softcap = o.Get("finalSoftcap").As<Napi::Number>().FloatValue();
    if (o.Has("ropeScaling") && o.Get("ropeScaling").IsObject()) {
        Napi::Object s = o.Get("ropeScaling").As<Napi::Object>();
        opt.rope_scaling = s.Get("type").ToString().Utf8Value();
        opt.rope_scaling_factor = s.Get("factor").ToNumber().FloatValue();
        if (s.Get("originalContext").IsNumber()) opt.rope_original_ctx = s.Get("originalContext").As<Napi::Number>().Int64Value();
    }
    opt.n_ctx = o.Get("ctx").As<Napi::Number>().Int64Value();
    if (o.Get("tied").IsBoolean()) opt.tied = o.Get("tied").As<Napi::Boolean>().Value();
    if (o.Get("fusedQkv").IsBoolean()) opt.fused_qkv = o.Get("fusedQkv").As<Napi::Boolean>().Value();
    opt.rope_freqs = o.Get("ropeFreqs").ToBoolean();
    opt.biases = o.Get("biases").ToBoolean();
    opt.no_rope = o.Get("noRope").ToBoolean();
    if (o.Has("attnTemperature") && o.Get("attnTemperature").IsNumber()) opt.attn_temperature = o.Get("attnTemperature").As<Napi::Number>().FloatValue();
    opt.rope_freq_base = o.Get("ropeFreqBase").As<Napi::Number>().FloatValue();
    opt.seed = (uint64_t) o.Get("seed").As<Napi::Number>().Int64Value();
    if (o.Has("outputScale") && o.Get("outputScale").IsNumber()) opt.output_scale = o.Get("outputScale").As<Napi::Number>().FloatValue();
    if (o.Has("roundTrip") && o.Get("roundTrip").IsString()) opt.round_trip = o.Get("roundTrip").As<Napi::String>().Utf8Value();
    if (o.Has("chatTemplate") && o.Get("chatTemplate").IsString()) opt.chat_template = o.Get("chatTemplate").As<Napi::String>().Utf8Value();
    return run_async<bool>(
        info.Env(), [opt]() { rl::make_model(opt); return true; },
        [](Napi::Env env, bool &) -> Napi::Value { return env.Undefined(); });
}

struct AdapterInfo {
    float alpha = 0;
    std::string architecture;
    std::string chat_template;  // rl-ggml.chat_template, where written
    std::vector<rl::TensorInfo> tensors;
};

// adapterInfo(path) -> Promise<{alpha, architecture, chatTemplate, tensors: [{name, shape}]}>: a LoRA GGUF's header.
Napi::Value AdapterInfoFn(const Napi::CallbackInfo & info) {
    const std::string path = info[0].As<Napi::String>().Utf8Value();
    return run_async<AdapterInfo>(
        info.Env(),
        [path]() {
            AdapterInfo a;
            ggml_context * meta = nullptr;
            gguf_context * g = gguf_init_from_file(path.c_str(), {true, &meta});
            if (!g) rl::fail(rl::E_ARGUMENT, path + " is not a readable GGUF file");
            auto str = [&](const char * key) {
                const int64_t id = gguf_find_key(g, key);
                return id >= 0 && gguf_get_kv_type(g, id) == GGUF_TYPE_STRING ? std::string(gguf_get_val_str(g, id)) : std::string();
            };
            const int64_t alpha = gguf_find_key(g, "adapter.lora.alpha");
            const bool ok = str("general.type") == "adapter" && str("adapter.type") == "lora" && alpha >= 0 && gguf_get_kv_type(g, alpha) == GGUF_TYPE_FLOAT32;
            if (ok) {
                a.alpha = gguf_get_val_f32(g, alpha);
                a.architecture = str("general.architecture");
                a.chat_template = str("rl-ggml.chat_template");
                for (ggml_tensor * t = ggml_get_first_tensor(meta); t; t = ggml_get_next_tensor(meta, t)) a.tensors.push_back({t->name, ggml_type_name(t->type), {t->ne[0], t->ne[1]}});
            }
            ggml_free(meta);
            gguf_free(g);
            if (!ok) rl::fail(rl::E_ARGUMENT, path + " is not a LoRA adapter (general.type, adapter.type and a float32 adapter.lora.alpha are required)");
            return a;
        },
        [](Napi::Env env, AdapterInfo & a) -> Napi::Value {
            Napi::Object o = Napi::Object::New(env);
            o.Set("alpha", a.alpha);
            o.Set("architecture", a.architecture);
            o.Set("chatTemplate", a.chat_template.empty() ? env.Null() : Napi::Value(Napi::String::New(env, a.chat_template)));
            Napi::Array ts = Napi::Array::New(env, a.tensors.size());
            for (size_t i = 0; i < a.tensors.size(); i++) {
                Napi::Object t = Napi::Object::New(env);
                t.Set("name", a.tensors[i].name);
                Napi::Array shape = Napi::Array::New(env, 2);
                shape.Set(0u, Napi::Number::New(env, (double) a.tensors[i].shape[0]));
                shape.Set(1u, Napi::Number::New(env, (double) a.tensors[i].shape[1]));
                t.Set("shape", shape);
                ts.Set(i, t);
            }
            o.Set("tensors", ts);
            return o;
        });
}

// listDevices() -> Promise<{cudaBuilt, devices: [...]}>; async because the first call initializes the GPU driver.
Napi::Value ListDevices(const Napi::CallbackInfo & info) {
    return run_async<std::vector<rl::DeviceInfo>>(
        info.Env(), []() { return rl::list_devices(); },
        [](Napi::Env env, std::vector<rl::DeviceInfo> & ds) -> Napi::Value {
            Napi::Object o = Napi::Object::New(env);
            o.Set("cudaBuilt", rl::gpu_backend_built());
            Napi::Array arr = Napi::Array::New(env, ds.size());
            for (size_t i = 0; i < ds.size(); i++) arr.Set(i, device_object(env, ds[i]));
            o.Set("devices", arr);
            return o;
        });
}

// chatTemplates() -> the names llama.cpp renders; applyChatTemplate(name, roles, contents, addAssistant) -> text.
Napi::Value ChatTemplates(const Napi::CallbackInfo & info) {
    return guarded(info.Env(), [&]() -> Napi::Value {
        const std::vector<std::string> names = rl::chat_template_names();
        Napi::Array arr = Napi::Array::New(info.Env(), names.size());
        for (size_t i = 0; i < names.size(); i++) arr.Set(i, names[i]);
        return arr;
    });
}

Napi::Value ApplyChatTemplate(const Napi::CallbackInfo & info) {
    return guarded(info.Env(), [&]() -> Napi::Value {
        Napi::Array roles = info[1].As<Napi::Array>();
        Napi::Array contents = info[2].As<Napi::Array>();
        std::vector<std::pair<std::string, std::string>> messages;
        for (uint32_t i = 0; i < roles.Length(); i++) {
            messages.emplace_back(roles.Get(i).As<Napi::String>().Utf8Value(), contents.Get(i).As<Napi::String>().Utf8Value());
        }
        return Napi::String::New(info.Env(), rl::apply_chat_template(info[0].As<Napi::String>().Utf8Value(), messages, info[3].ToBoolean()));
    });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
    rl::log_install();
    rl::install_weight_grad_hook();
    model_ctor = new Napi::FunctionReference(Napi::Persistent(ModelWrap::Define(env)));
    trainer_ctor = new Napi::FunctionReference(Napi::Persistent(TrainerWrap::Define(env)));
    exports.Set("createTrainer", Napi::Function::New(env, CreateTrainer));
    exports.Set("adapterInfo", Napi::Function::New(env, AdapterInfoFn));
    exports.Set("loadModel", Napi::Function::New(env, LoadModel));
    exports.Set("listDevices", Napi::Function::New(env, ListDevices));
    exports.Set("makeModel", Napi::Function::New(env, MakeModel));
    exports.Set("chatTemplates", Napi::Function::New(env, ChatTemplates));
    exports.Set("applyChatTemplate", Napi::Function::New(env, ApplyChatTemplate));
    exports.Set("headChunkRows", Napi::Number::New(env, (double) rl::kHeadChunkRows));
    exports.Set("attentionBlockRows", Napi::Number::New(env, (double) rl::kAttentionBlockRows));
    exports.Set("recomputeAttentionFromSlot", Napi::Number::New(env, (double) rl::kRecomputeAttentionFromSlot));
    return exports;
}

}  // namespace

NODE_API_MODULE(rl_ggml, Init)
