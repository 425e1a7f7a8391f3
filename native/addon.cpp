// N-API surface of the engine. Long work (loading, forward passes, writing models) runs on libuv's worker pool via
// AsyncWorker and resolves a Promise; the TypeScript layer (src/native.ts) serializes calls per model and maps
// error codes onto typed Error classes.
#include <napi.h>

#include <functional>
#include <memory>
#include <thread>

#include "errors.h"
#include "forward.h"
#include "log.h"
#include "make_model.h"
#include "model.h"

namespace {

Napi::Error to_js_error(Napi::Env env, const std::string & code, const std::string & message) {
    Napi::Error e = Napi::Error::New(env, message);
    e.Set("code", Napi::String::New(env, code));
    return e;
}

// Runs `work` off the JS thread and resolves with `convert(result)` on it.
template <typename R>
class Task : public Napi::AsyncWorker {
public:
    Task(Napi::Env env, std::function<R()> work, std::function<Napi::Value(Napi::Env, R &)> convert)
        : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)), convert_(std::move(convert)) {}
    Napi::Promise promise() { return deferred_.Promise(); }
    void Execute() override {
        try {
            result_ = work_();
        } catch (const rl::Error & e) {
            code_ = e.code;
            SetError(e.what());
        } catch (const std::bad_alloc &) {
            code_ = rl::E_NATIVE;
            SetError("out of memory");
        } catch (const std::exception & e) {
            code_ = rl::E_NATIVE;
            SetError(e.what());
        }
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

Napi::Int32Array to_int32(Napi::Env env, const std::vector<int32_t> & v) {
    Napi::Int32Array a = Napi::Int32Array::New(env, v.size());
    std::copy(v.begin(), v.end(), a.Data());
    return a;
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
                               InstanceMethod("dispose", &ModelWrap::Dispose),
                           });
    }

    ModelWrap(const Napi::CallbackInfo & info) : Napi::ObjectWrap<ModelWrap>(info) {
        // Constructed only by loadModel with an External holding the loaded model.
        model_.reset(info[0].As<Napi::External<rl::Model>>().Data());
    }

private:
    rl::Model & model(Napi::Env env) {
        if (!model_) throw rl::Error("DISPOSED", "the model has been disposed");
        (void) env;
        return *model_;
    }

    Napi::Value Info(const Napi::CallbackInfo & info) {
        return guarded(info.Env(), [&]() -> Napi::Value {
            Napi::Env env = info.Env();
            const rl::Model & m = model(env);
            const rl::HParams & hp = m.hparams();
            Napi::Object o = Napi::Object::New(env);
            o.Set("nVocab", hp.n_vocab);
            o.Set("nCtxTrain", hp.n_ctx_train);
            o.Set("nEmbd", hp.n_embd);
            o.Set("nLayer", hp.n_layer);
            o.Set("nHead", hp.n_head);
            o.Set("nHeadKv", hp.n_head_kv);
            o.Set("nFf", hp.n_ff);
            o.Set("nRot", hp.n_rot);
            o.Set("headDim", hp.head_dim);
            o.Set("rmsEps", hp.rms_eps);
            o.Set("ropeFreqBase", hp.rope_freq_base);
            o.Set("ropeFreqScale", hp.rope_freq_scale);
            o.Set("tiedOutput", hp.tied_output);
            o.Set("ropeFreqs", m.rope_freqs() != nullptr);
            o.Set("vocab", m.vocab_kind());
            o.Set("bos", m.bos());
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
            return to_int32(info.Env(), model(info.Env()).tokenize(info[0].As<Napi::String>().Utf8Value(), info[1].ToBoolean()));
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
            Napi::Object o = info[0].As<Napi::Object>();
            auto batch = std::make_shared<rl::PackedBatch>();
            batch->tokens = int_array(o.Get("tokens"), "tokens");
            batch->positions = int_array(o.Get("positions"), "positions");
            batch->branch = int_array(o.Get("branch"), "branch");
            batch->n_groups = o.Get("nGroups").As<Napi::Number>().Int32Value();
            batch->out_rows = int_array(o.Get("outRows"), "outRows");
            batch->out_targets = int_array(o.Get("outTargets"), "outTargets");
            rl::Model * m = &model(info.Env());
            batch->validate(m->hparams());
            return run_async<std::vector<float>>(
                info.Env(), [m, batch]() { return rl::forward_logprobs(*m, *batch); },
                [](Napi::Env env, std::vector<float> & r) -> Napi::Value {
                    Napi::Float32Array a = Napi::Float32Array::New(env, r.size());
                    std::copy(r.begin(), r.end(), a.Data());
                    return a;
                });
        });
    }

    Napi::Value Dispose(const Napi::CallbackInfo & info) {
        model_.reset();
        return info.Env().Undefined();
    }

    std::unique_ptr<rl::Model> model_;
};

Napi::FunctionReference * model_ctor = nullptr;

// loadModel(path, nThreads) -> Promise<NativeModel>
Napi::Value LoadModel(const Napi::CallbackInfo & info) {
    const std::string path = info[0].As<Napi::String>().Utf8Value();
    const int n_threads = info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : (int) std::thread::hardware_concurrency();
    return run_async<rl::Model *>(
        info.Env(), [path, n_threads]() { return new rl::Model(path, n_threads); },
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
    opt.n_layer = o.Get("layers").As<Napi::Number>().Int64Value();
    opt.n_embd = o.Get("embd").As<Napi::Number>().Int64Value();
    opt.n_head = o.Get("heads").As<Napi::Number>().Int64Value();
    opt.n_head_kv = o.Get("kvHeads").As<Napi::Number>().Int64Value();
    opt.n_ff = o.Get("ff").As<Napi::Number>().Int64Value();
    opt.n_ctx = o.Get("ctx").As<Napi::Number>().Int64Value();
    opt.tied = o.Get("tied").ToBoolean();
    opt.rope_freqs = o.Get("ropeFreqs").ToBoolean();
    opt.rope_freq_base = o.Get("ropeFreqBase").As<Napi::Number>().FloatValue();
    opt.seed = (uint64_t) o.Get("seed").As<Napi::Number>().Int64Value();
    return run_async<bool>(
        info.Env(), [opt]() { rl::make_model(opt); return true; },
        [](Napi::Env env, bool &) -> Napi::Value { return env.Undefined(); });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
    rl::log_install();
    model_ctor = new Napi::FunctionReference(Napi::Persistent(ModelWrap::Define(env)));
    exports.Set("loadModel", Napi::Function::New(env, LoadModel));
    exports.Set("makeModel", Napi::Function::New(env, MakeModel));
    return exports;
}

}  // namespace

NODE_API_MODULE(rl_ggml, Init)
