#include "model.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <unordered_set>

#include "device.h"
#include "errors.h"
#include "file_map.h"
#include "ggml-alloc.h"
#include "ggml-cpu.h"
#include "handles.h"
#include "llama.h"
#include "log.h"
#include "weight_grad.h"

namespace rl {
namespace {

// A weight type is usable when the ggml CPU backend can multiply it (it has a dot-product kernel) and dequantize it
// (the backward pass needs W^T dy). Integer tensors and any type without kernels are refused by name.
bool supported_type(ggml_type t) {
    if (t == GGML_TYPE_F32) return true;
    const ggml_type_traits_cpu * cpu = ggml_get_type_traits_cpu(t);
    return !ggml_is_quantized(t) && t != GGML_TYPE_F16 && t != GGML_TYPE_BF16 ? false : cpu->vec_dot != nullptr && ggml_get_type_traits(t)->to_float != nullptr;
}

struct FileCloser {
    void operator()(FILE * f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

File open_file(const std::string & path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) fail(E_NOT_FOUND, "model file not found: " + path);
        fail(E_BAD_FILE, "cannot access model file " + path + ": " + std::strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) fail(E_BAD_FILE, path + " is a directory, not a GGUF model file");
    File f(std::fopen(path.c_str(), "rb"));
    if (!f) fail(E_BAD_FILE, "cannot open model file " + path + ": " + std::strerror(errno));
    char magic[4] = {0, 0, 0, 0};
    if (std::fread(magic, 1, 4, f.get()) != 4 || std::memcmp(magic, "GGUF", 4) != 0) {
        fail(E_BAD_FILE, path + " is not a GGUF file (bad magic)");
    }
    return f;
}

int64_t mtime_ns(const struct stat & st) { return (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec; }

int64_t file_size(const std::string & path) {
    struct stat st {};
    stat(path.c_str(), &st);
    return st.st_size;
}

// Integer keys are written as u32 by llama.cpp's converter but any integer type is accepted.
int64_t get_int(const gguf_context * g, const std::string & key, int64_t fallback, bool required) {
    const int64_t id = gguf_find_key(g, key.c_str());
    if (id < 0) {
        if (required) fail(E_BAD_MODEL, "missing hyperparameter " + key);
        return fallback;
    }
    switch (gguf_get_kv_type(g, id)) {
        case GGUF_TYPE_UINT8: return gguf_get_val_u8(g, id);
        case GGUF_TYPE_INT8: return gguf_get_val_i8(g, id);
        case GGUF_TYPE_UINT16: return gguf_get_val_u16(g, id);
        case GGUF_TYPE_INT16: return gguf_get_val_i16(g, id);
        case GGUF_TYPE_UINT32: return gguf_get_val_u32(g, id);
        case GGUF_TYPE_INT32: return gguf_get_val_i32(g, id);
        case GGUF_TYPE_UINT64: return (int64_t) gguf_get_val_u64(g, id);
        case GGUF_TYPE_INT64: return gguf_get_val_i64(g, id);
        default: fail(E_BAD_MODEL, "hyperparameter " + key + " is not an integer");
    }
}

// An integer hyperparameter a file gives once for all layers or per layer (an array of n), as llama.cpp reads
// head_count_kv and feed_forward_length.
std::vector<int64_t> get_per_layer(const gguf_context * g, const std::string & key, int64_t n, int64_t fallback, bool required) {
    const int64_t id = gguf_find_key(g, key.c_str());
    if (id < 0 || gguf_get_kv_type(g, id) != GGUF_TYPE_ARRAY) return std::vector<int64_t>(n, get_int(g, key, fallback, required));
    if (gguf_get_arr_n(g, id) != (size_t) n) fail(E_BAD_MODEL, "hyperparameter " + key + " has " + std::to_string(gguf_get_arr_n(g, id)) + " values for " + std::to_string(n) + " layers");
    const void * data = gguf_get_arr_data(g, id);
    std::vector<int64_t> out(n);
    for (int64_t i = 0; i < n; i++) {
        switch (gguf_get_arr_type(g, id)) {
            case GGUF_TYPE_UINT8: out[i] = ((const uint8_t *) data)[i]; break;
            case GGUF_TYPE_INT8: out[i] = ((const int8_t *) data)[i]; break;
            case GGUF_TYPE_UINT16: out[i] = ((const uint16_t *) data)[i]; break;
            case GGUF_TYPE_INT16: out[i] = ((const int16_t *) data)[i]; break;
            case GGUF_TYPE_UINT32: out[i] = ((const uint32_t *) data)[i]; break;
            case GGUF_TYPE_INT32: out[i] = ((const int32_t *) data)[i]; break;
            case GGUF_TYPE_UINT64: out[i] = (int64_t) ((const uint64_t *) data)[i]; break;
            case GGUF_TYPE_INT64: out[i] = ((const int64_t *) data)[i]; break;
            default: fail(E_BAD_MODEL, "hyperparameter " + key + " is not an integer or an array of integers");
        }
    }
    return out;
}

float get_float(const gguf_context * g, const std::string & key, float fallback) {
    const int64_t id = gguf_find_key(g, key.c_str());
    if (id < 0) return fallback;
    switch (gguf_get_kv_type(g, id)) {
        case GGUF_TYPE_FLOAT32: return gguf_get_val_f32(g, id);
        case GGUF_TYPE_FLOAT64: return (float) gguf_get_val_f64(g, id);
        default: fail(E_BAD_MODEL, "hyperparameter " + key + " is not a float");
    }
}

std::string shape_str(const std::vector<int64_t> & s) {
    std::string out = "[";
    for (size_t i = 0; i < s.size(); i++) out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
}

// "f32 [64, 256, 16, 1] (strided)": an operand as a GPU's missing kernel is reported, for the bug report it becomes.
std::string operand_str(const ggml_tensor * t) {
    return std::string(ggml_type_name(t->type)) + " " + shape_str({t->ne[0], t->ne[1], t->ne[2], t->ne[3]}) +
           (ggml_is_contiguous(t) ? "" : " (strided)");
}

}  // namespace

Model::Model(const std::string & path, int n_threads, const std::string & device) : path_(path), n_threads_(std::max(1, n_threads)) {
    log_capture_begin();
    try {
        device_ = resolve_device(device);
        read_hparams(path);
        bind_tensors();
        check_device_support();
        backend_ = ggml_backend_dev_init(device_, nullptr);
        if (!backend_) fail(E_DEVICE, std::string("cannot initialize device ") + ggml_backend_dev_name(device_) + ": " + log_capture_last());
        if (!on_gpu()) ggml_backend_cpu_set_n_threads(backend_, n_threads_);
        load_weights(path);
        alloc_ = ggml_gallocr_new(ggml_backend_get_default_buffer_type(backend_));

        llama_model_params mp = llama_model_default_params();
        mp.vocab_only = true;
        vocab_model_ = llama_model_load_from_file(path.c_str(), mp);
        if (!vocab_model_) fail(E_BAD_MODEL, "the tokenizer in " + path + " could not be loaded: " + log_capture_last());
        vocab_ = llama_model_get_vocab(vocab_model_);
        if (llama_vocab_n_tokens(vocab_) != hp_.n_vocab) {
            fail(E_BAD_MODEL, "tokenizer has " + std::to_string(llama_vocab_n_tokens(vocab_)) + " tokens but token_embd.weight has " +
                                  std::to_string(hp_.n_vocab) + " rows");
        }
    } catch (...) {
        release();  // members are destroyed by unwinding; the C handles are not
        throw;
    }
}

Model::~Model() { release(); }

size_t Model::weight_bytes() const {
    size_t n = 0;
    for (ggml_backend_buffer_t b : {weights_, weights_repack_}) n += b ? ggml_backend_buffer_get_size(b) : 0;
    return n + twin_bytes_;
}

bool Model::on_gpu() const { return ggml_backend_dev_type(device_) == GGML_BACKEND_DEVICE_TYPE_GPU; }

void Model::release() {
    if (vocab_model_) llama_model_free(vocab_model_);
    if (alloc_) ggml_gallocr_free(alloc_);
    alloc_ = nullptr;
    if (weights_) ggml_backend_buffer_free(weights_);
    if (weights_repack_) ggml_backend_buffer_free(weights_repack_);
    weights_repack_ = nullptr;
    if (twin_ctx_) {
        for (ggml_tensor * t = ggml_get_first_tensor(twin_ctx_); t; t = ggml_get_next_tensor(twin_ctx_, t)) {
            set_backward_twin(ggml_get_tensor(meta_, t->name), nullptr);
        }
        ggml_free(twin_ctx_);
    }
    if (twin_buf_) ggml_backend_buffer_free(twin_buf_);
    file_map_.reset();
    twin_ctx_ = nullptr;
    twin_buf_ = nullptr;
    twin_bytes_ = 0;
    if (backend_) ggml_backend_free(backend_);
    if (meta_) ggml_free(meta_);
    if (gguf_) gguf_free(gguf_);
    vocab_model_ = nullptr;
    weights_ = nullptr;
    backend_ = nullptr;
    meta_ = nullptr;
    gguf_ = nullptr;
}

namespace {

const Architecture architectures[] = {
    {.name = "llama", .dense_biases = true, .experts = Experts::instead},
    {.name = "qwen2", .rope_type = GGML_ROPE_TYPE_NEOX, .qkv_biases = true, .output_bias = true},
    {.name = "qwen3", .rope_type = GGML_ROPE_TYPE_NEOX, .qk_norm = QkNorm::per_head},
    {.name = "qwen3moe", .rope_type = GGML_ROPE_TYPE_NEOX, .qk_norm = QkNorm::per_head, .experts = Experts::always},
    {.name = "smollm3", .no_rope_every = 4},  // a fixed step in llama.cpp, not a key
    {.name = "gemma2", .rope_type = GGML_ROPE_TYPE_NEOX, .scaled_queries = true, .post_norms = true, .gemma = true, .attn_softcap = 50.0f,
     .final_softcap = 30.0f, .swa_every = 2, .swa_window = 4096, .lm_head = LmHead::tied},
    {.name = "gemma3", .rope_type = GGML_ROPE_TYPE_NEOX, .qk_norm = QkNorm::per_head, .scaled_queries = true, .post_norms = true, .gemma = true,
     .swa_every = 6, .swa_rope_base = 10000.0f},
    {.name = "olmo2", .rope_type = GGML_ROPE_TYPE_NEOX, .qk_norm = QkNorm::whole, .pre_norms = false, .post_norms = true, .swa_every = 4,
     .lm_head = LmHead::own, .swa_layer_list = true},
    {.name = "exaone4", .rope_type = GGML_ROPE_TYPE_NEOX, .qk_norm = QkNorm::per_head, .pre_norms = false, .post_norms = true, .swa_every = 4,
     .swa_window = 4096, .swa_at_layers = 64, .global_nope = true, .swa_layer_list = true},
    {.name = "ernie4_5"},  // llama's block (llama.cpp loads an attn_output bias but does not add it: refused here)
    {.name = "glm4", .qkv_biases = true, .post_norms = true, .fused_up = true, .half_rotary = true},
    {.name = "mistral3", .dense_biases = true, .attn_temperature = true},
    {.name = "granite", .dense_biases = true, .multipliers = true},
    {.name = "gemma4", .rope_type = GGML_ROPE_TYPE_NEOX, .qk_norm = QkNorm::per_head, .post_norms = true, .gemma = true, .final_softcap = 30.0f,
     .swa_every = 6, .swa_window = 1024, .swa_rope_base = 10000.0f, .swa_layer_list = true, .final_softcap_key = true, .v_norm = true,
     .unit_scores = true, .out_scales = true, .layer_inputs = true, .shared_kv = true, .experts = Experts::beside},
    {.name = "phi3", .rope_type = GGML_ROPE_TYPE_NEOX, .fused_qkv = true, .scaled_queries = true, .fused_up = true},  // its window is off in llama.cpp
};

}  // namespace

const Architecture * find_architecture(const std::string & name) {
    for (const Architecture & a : architectures) {
        if (name == a.name) return &a;
    }
    return nullptr;
}

std::string architecture_names() {
    std::string out;
    for (const Architecture & a : architectures) out += (out.empty() ? "" : ", ") + std::string(a.name);
    return out;
}

void Model::read_hparams(const std::string & path) {
    open_file(path);  // existence, directory and magic checks with precise messages
    gguf_init_params params{/*no_alloc =*/true, /*ctx =*/&meta_};
    gguf_ = gguf_init_from_file(path.c_str(), params);
    if (!gguf_) fail(E_BAD_FILE, path + " is a corrupt or truncated GGUF file: " + log_capture_last());

    // The header parsed; make sure every tensor's data is actually in the file.
    const int64_t size = file_size(path);
    const int64_t n_tensors = gguf_get_n_tensors(gguf_);
    for (int64_t i = 0; i < n_tensors; i++) {
        const int64_t end = (int64_t) (gguf_get_data_offset(gguf_) + gguf_get_tensor_offset(gguf_, i) + gguf_get_tensor_size(gguf_, i));
        if (end > size) {
            fail(E_BAD_FILE, path + " is truncated: tensor " + gguf_get_tensor_name(gguf_, i) + " ends at byte " + std::to_string(end) +
                                 " but the file has " + std::to_string(size) + " bytes");
        }
    }

    const int64_t arch_id = gguf_find_key(gguf_, "general.architecture");
    if (arch_id < 0 || gguf_get_kv_type(gguf_, arch_id) != GGUF_TYPE_STRING) fail(E_BAD_MODEL, "missing general.architecture");
    const std::string arch = gguf_get_val_str(gguf_, arch_id);
    const int64_t type_id = gguf_find_key(gguf_, "general.type");
    if (type_id >= 0 && gguf_get_kv_type(gguf_, type_id) == GGUF_TYPE_STRING && std::string(gguf_get_val_str(gguf_, type_id)) == "adapter") {
        fail(E_UNSUPPORTED, path + " is a LoRA adapter, not a base model");
    }
    hp_.arch = find_architecture(arch);
    if (!hp_.arch) fail(E_UNSUPPORTED, "unsupported architecture \"" + arch + "\" (rl-ggml supports " + architecture_names() + ")");
    const std::string k = arch + ".";  // the hyperparameters' prefix

    // What no supported architecture's graph has: multimodal RoPE's sections (GLM-4.1V's, Qwen2-VL's), layers that
    // predict further tokens (GLM-4.5's, MiMo's)
    const int64_t sections = gguf_find_key(gguf_, (k + "rope.dimension_sections").c_str());
    if (sections >= 0 && gguf_get_kv_type(gguf_, sections) == GGUF_TYPE_ARRAY && gguf_get_arr_type(gguf_, sections) == GGUF_TYPE_INT32) {
        const int32_t * n = (const int32_t *) gguf_get_arr_data(gguf_, sections);
        for (size_t i = 0; i < gguf_get_arr_n(gguf_, sections); i++) {
            if (n[i] != 0) fail(E_UNSUPPORTED, "multimodal RoPE (" + k + "rope.dimension_sections) is not supported");
        }
    }
    if (get_int(gguf_, k + "nextn_predict_layers", 0, false) > 0) fail(E_UNSUPPORTED, "next-token prediction layers (" + k + "nextn_predict_layers) are not supported");
    hp_.n_ctx_train = get_int(gguf_, k + "context_length", 0, true);
    hp_.n_embd = get_int(gguf_, k + "embedding_length", 0, true);
    hp_.n_layer = get_int(gguf_, k + "block_count", 0, true);
    hp_.n_head = get_int(gguf_, k + "attention.head_count", 0, true);
    hp_.rms_eps = get_float(gguf_, k + "attention.layer_norm_rms_epsilon", 1e-5f);
    if (hp_.n_embd <= 0 || hp_.n_layer <= 0 || hp_.n_head <= 0 || hp_.n_ctx_train <= 0) {
        fail(E_BAD_MODEL, "hyperparameters must be positive (embedding_length, block_count, head_count, context_length)");
    }
    read_rope(k);
    read_sliding_window(k);
    read_layer_dims(k);
    read_shared_kv_and_layer_inputs(k);
    read_experts(k);
    // Gemma 2 27B (46 layers) and Gemma 3 27B (62) scale scores by the embedding's share per head, as Google's reference
    // does (llama.cpp tells them by their layer count too); Gemma 4 leaves them unscaled
    const bool per_embedding = hp_.arch->gemma && hp_.n_layer == (arch == "gemma2" ? 46 : 62);
    hp_.kq_scale = hp_.arch->unit_scores ? 1.0f : 1.0f / std::sqrt((float) (per_embedding ? hp_.n_embd / hp_.n_head : hp_.head_dim));
    if (hp_.arch->gemma) hp_.embd_scale = std::sqrt((float) hp_.n_embd);
    if (hp_.arch->multipliers) read_multipliers(k);
    read_soft_caps(k);
}

// Gemma 4 E2B's and E4B's parts, where the architecture has them and the file gives them (other architectures' files
// that ask for them are refused by name): the last attention.shared_kv_layers layers attend with the keys and values
// of the last windowed or global layer before them (as llama.cpp's KV cache shares them, which takes those two layers
// to be a windowed one and then a global one), and every layer adds an input of its own from the tokens,
// embedding_length_per_layer_input wide.
void Model::read_shared_kv_and_layer_inputs(const std::string & k) {
    const std::string shared_key = k + "attention.shared_kv_layers", inputs_key = k + "embedding_length_per_layer_input";
    const int64_t shared = get_int(gguf_, shared_key, 0, false);
    hp_.n_embd_per_layer = get_int(gguf_, inputs_key, 0, false);
    if (shared != 0 && !hp_.arch->shared_kv) fail(E_UNSUPPORTED, "layers that share earlier layers' keys and values (" + shared_key + ") are not part of " + hp_.arch->name + " models");
    if (hp_.n_embd_per_layer != 0 && !hp_.arch->layer_inputs) fail(E_UNSUPPORTED, "per-layer token inputs (" + inputs_key + ") are not part of " + hp_.arch->name + " models");
    if (shared < 0 || hp_.n_embd_per_layer < 0) fail(E_BAD_MODEL, shared_key + " and " + inputs_key + " must not be negative");
    hp_.n_layer_kv = hp_.n_layer - shared;
    if (shared == 0) return;
    const int64_t first = hp_.n_layer_kv;
    if (first < 2 || !hp_.is_swa(first - 2) || hp_.is_swa(first - 1)) {
        fail(E_BAD_MODEL, shared_key + " = " + std::to_string(shared) + ": the two layers before the shared ones must be a windowed one, then a global one");
    }
    for (int64_t il = first; il < hp_.n_layer; il++) {
        const LayerDims & d = hp_.dims(il), & src = hp_.dims(hp_.kv_source(il));
        if (d.head_dim != src.head_dim || d.n_head_kv != src.n_head_kv) {
            fail(E_BAD_MODEL, "layer " + std::to_string(il) + " shares the keys and values of layer " + std::to_string(hp_.kv_source(il)) + ", whose heads differ from its own");
        }
    }
}

// Mixtures of experts as llama.cpp reads them for llama, gemma4 and qwen3moe: expert_count experts of
// expert_feed_forward_length hidden units (llama's: always feed_forward_length; the others' where the file gives none:
// feed_forward_length / expert_used_count), expert_used_count of them per token. Shared experts, and the choices of
// gating and weighting that other architectures' files give, have no place in these graphs.
void Model::read_experts(const std::string & k) {
    const std::string count_key = k + "expert_count", used_key = k + "expert_used_count";
    hp_.n_expert = get_int(gguf_, count_key, 0, false);
    const Experts kind = hp_.arch->experts;
    if (hp_.n_expert != 0 && kind == Experts::none) fail(E_UNSUPPORTED, "mixture-of-experts layers (" + count_key + ") are not part of " + hp_.arch->name + " models as rl-ggml runs them");
    if (hp_.n_expert == 0 && kind == Experts::always) fail(E_BAD_MODEL, "missing hyperparameter " + count_key + " (" + hp_.arch->name + " models are mixtures of experts)");
    if (hp_.n_expert == 0) return;
    for (const char * shared : {"expert_shared_count", "expert_shared_feed_forward_length"}) {
        if (get_int(gguf_, k + shared, 0, false) != 0) fail(E_UNSUPPORTED, "shared experts (" + k + shared + ") are not supported");
    }
    hp_.n_expert_used = get_int(gguf_, used_key, 0, true);
    hp_.n_ff_exp = kind == Experts::instead ? hp_.n_ff : get_int(gguf_, k + "expert_feed_forward_length", hp_.n_expert_used > 0 ? hp_.n_ff / hp_.n_expert_used : 0, false);
    if (hp_.n_expert < 0 || hp_.n_expert_used <= 0 || hp_.n_expert_used > hp_.n_expert || hp_.n_ff_exp <= 0) {
        fail(E_BAD_MODEL, used_key + " " + std::to_string(hp_.n_expert_used) + " must be between 1 and " + count_key + " " + std::to_string(hp_.n_expert) +
                              ", and the experts' feed-forward length positive");
    }
}

// Each layer's head size, RoPE dimensions, kv heads and feed-forward width: the head size is attention.key_length
// (else embedding_length / head_count), and attention.key_length_swa in windowed layers where the file gives one;
// kv heads and the feed-forward may be arrays of one per layer.
void Model::read_layer_dims(const std::string & k) {
    const auto head_size = [&](const std::string & suffix, int64_t fallback) {
        const int64_t key = get_int(gguf_, k + "attention.key_length" + suffix, fallback, false);
        const int64_t value = get_int(gguf_, k + "attention.value_length" + suffix, key, false);
        if (key <= 0 || value != key) fail(E_UNSUPPORTED, k + "attention.key_length" + suffix + " " + std::to_string(key) + " and value_length" + suffix + " " + std::to_string(value) + " must be equal and positive");
        return key;
    };
    if (gguf_find_key(gguf_, (k + "attention.key_length").c_str()) < 0 && hp_.n_embd % hp_.n_head != 0) {
        fail(E_BAD_MODEL, "embedding_length " + std::to_string(hp_.n_embd) + " is not a multiple of head_count " + std::to_string(hp_.n_head));
    }
    const int64_t hd = head_size("", hp_.n_embd / hp_.n_head), hd_swa = head_size("_swa", hd);
    const int64_t n_rot = get_int(gguf_, k + "rope.dimension_count", hd, false), n_rot_swa = get_int(gguf_, k + "rope.dimension_count_swa", n_rot, false);
    const std::vector<int64_t> n_head_kv = get_per_layer(gguf_, k + "attention.head_count_kv", hp_.n_layer, hp_.n_head, false);
    const std::vector<int64_t> n_ff = get_per_layer(gguf_, k + "feed_forward_length", hp_.n_layer, 0, true);
    hp_.n_rot = n_rot;
    for (int64_t il = 0; il < hp_.n_layer; il++) {
        const bool swa = hp_.is_swa(il);
        const LayerDims d{swa ? hd_swa : hd, n_head_kv[il], n_ff[il], swa ? n_rot_swa : n_rot};
        const std::string at = " (layer " + std::to_string(il) + ")";
        if (d.n_head_kv <= 0 || d.n_ff <= 0) fail(E_BAD_MODEL, "hyperparameters must be positive (head_count_kv, feed_forward_length)" + at);
        if (hp_.n_head % d.n_head_kv != 0) fail(E_BAD_MODEL, "head_count " + std::to_string(hp_.n_head) + " is not a multiple of head_count_kv " + std::to_string(d.n_head_kv) + at);
        if (d.n_rot <= 0 || d.n_rot > d.head_dim || d.n_rot % 2 != 0) fail(E_BAD_MODEL, "rope.dimension_count " + std::to_string(d.n_rot) + " does not fit head size " + std::to_string(d.head_dim) + at);
        hp_.layer_dims.push_back(d);
        hp_.head_dim = std::max(hp_.head_dim, d.head_dim);
        hp_.n_head_kv = std::max(hp_.n_head_kv, d.n_head_kv);
        hp_.n_ff = std::max(hp_.n_ff, d.n_ff);
    }
}

// RoPE as llama.cpp reads it: a scaling factor applies linearly unless the file names another scaling ("none", or
// "yarn", which interpolates between the extrapolated and the scaled frequencies from the original context on).
void Model::read_rope(const std::string & k) {
    hp_.rope.base = get_float(gguf_, k + "rope.freq_base", 10000.0f);
    const int64_t type_id = gguf_find_key(gguf_, (k + "rope.scaling.type").c_str());
    if (type_id >= 0 && gguf_get_kv_type(gguf_, type_id) != GGUF_TYPE_STRING) fail(E_BAD_MODEL, k + "rope.scaling.type is not a string");
    const std::string kind = type_id >= 0 ? gguf_get_val_str(gguf_, type_id) : "linear";
    if (kind != "none" && kind != "linear" && kind != "yarn") fail(E_UNSUPPORTED, "unsupported rope scaling type \"" + kind + "\" (rl-ggml supports linear and yarn)");
    const float factor = get_float(gguf_, k + "rope.scaling.factor", get_float(gguf_, k + "rope.scale_linear", 0.0f));
    if (factor < 0) fail(E_BAD_MODEL, k + "rope.scaling.factor must not be negative");
    if (kind != "none" && factor != 0.0f && factor != 1.0f) {
        hp_.rope.scale = 1.0f / factor;
        if (kind == "yarn") hp_.rope.ext_factor = 1.0f;
    }
    hp_.rope.attn_factor = get_float(gguf_, k + "rope.scaling.attn_factor", 1.0f);
    hp_.n_ctx_orig = get_int(gguf_, k + "rope.scaling.original_context_length", hp_.n_ctx_train, false);
    if (!hp_.arch->attn_temperature) return;
    hp_.rope.beta_fast = get_float(gguf_, k + "rope.scaling.yarn_beta_fast", hp_.rope.beta_fast);
    hp_.rope.beta_slow = get_float(gguf_, k + "rope.scaling.yarn_beta_slow", hp_.rope.beta_slow);
    // YaRN's attention factor as llama.cpp sets it with a log multiplier m: mscale(f, 1) / mscale(f, m), less the
    // mscale(f, 1) = 1 + 0.1·ln f that ggml's YaRN applies itself
    const float log_mul = get_float(gguf_, k + "rope.scaling.yarn_log_multiplier", 0.0f);
    if (hp_.rope.ext_factor != 0.0f && log_mul != 0.0f) {
        const float ln_f = std::log(1.0f / hp_.rope.scale);
        hp_.rope.attn_factor *= 1.0f / (0.1f * log_mul * ln_f + 1.0f);
    }
    hp_.attn_temp_scale = get_float(gguf_, k + "attention.temperature_scale", 0.0f);
    if (!std::isfinite(hp_.attn_temp_scale)) fail(E_BAD_MODEL, k + "attention.temperature_scale must be finite");
    // its floor is the original context (as llama.cpp's)
    if (hp_.attn_temp_scale != 0.0f && hp_.n_ctx_orig <= 0) fail(E_BAD_MODEL, k + "rope.scaling.original_context_length must be positive for the attention temperature");
}

// Soft caps: Gemma 2's, with llama.cpp's defaults where the file gives none; Gemma 4's on the logits, where the file
// gives one. Other architectures have none, and a file that asks for them is refused rather than run without.
void Model::read_soft_caps(const std::string & k) {
    const std::string attn = k + "attn_logit_softcapping", final = k + "final_logit_softcapping";
    const bool attn_caps = hp_.arch->attn_softcap > 0, final_caps = attn_caps || hp_.arch->final_softcap_key;
    for (const auto & [key, read] : {std::pair{attn, attn_caps}, std::pair{final, final_caps}}) {
        if (!read && get_float(gguf_, key, 0.0f) != 0.0f) fail(E_UNSUPPORTED, "logit soft-capping (" + key + ") is not part of " + hp_.arch->name + " models");
    }
    hp_.attn_softcap = get_float(gguf_, attn, hp_.arch->attn_softcap);
    hp_.final_softcap = final_caps ? get_float(gguf_, final, hp_.arch->final_softcap) : 0.0f;
    if (!(hp_.attn_softcap >= 0) || !(hp_.final_softcap >= 0) || (attn_caps && !(hp_.attn_softcap > 0 && hp_.final_softcap > 0))) {
        fail(E_BAD_MODEL, attn + " and " + final + " must be positive");
    }
}

// Granite's μP multipliers, as llama.cpp reads them: logit_scale required, the others where given and not 0; and its
// switch for RoPE, rope.scaling.finetuned (absent: on).
void Model::read_multipliers(const std::string & k) {
    if (gguf_find_key(gguf_, (k + "logit_scale").c_str()) < 0) fail(E_BAD_MODEL, "missing hyperparameter " + k + "logit_scale");
    hp_.logit_scale = get_float(gguf_, k + "logit_scale", 1.0f);
    const auto given = [&](const char * key, float otherwise) {
        const float v = get_float(gguf_, k + key, 0.0f);
        return v != 0.0f ? v : otherwise;
    };
    hp_.embd_scale = given("embedding_scale", 1.0f);
    hp_.residual_scale = given("residual_scale", 1.0f);
    hp_.kq_scale = given("attention.scale", hp_.kq_scale);
    for (float v : {hp_.logit_scale, hp_.embd_scale, hp_.residual_scale, hp_.kq_scale}) {
        if (!(v > 0) || !std::isfinite(v)) fail(E_BAD_MODEL, k + "logit_scale, embedding_scale, residual_scale and attention.scale must be positive");
    }
    // Granite Vision's: image embeddings added to the residual stream of chosen layers
    if (gguf_find_key(gguf_, (k + "deepstack_mapping").c_str()) >= 0) fail(E_UNSUPPORTED, "Granite Vision's deepstack layers (" + k + "deepstack_mapping) are not supported");
    const int64_t id = gguf_find_key(gguf_, (k + "rope.scaling.finetuned").c_str());
    if (id >= 0 && gguf_get_kv_type(gguf_, id) != GGUF_TYPE_BOOL) fail(E_BAD_MODEL, k + "rope.scaling.finetuned is not a boolean");
    hp_.rope_off = id >= 0 && !gguf_get_val_bool(gguf_, id);
}

// Sliding-window attention, where the architecture has it and the file gives a window: the layers that
// attention.sliding_window_pattern names, one boolean per layer (as converters write a config's layer types: OLMo
// 3's), or every layer but each n-th (n that key's integer, else the architecture's default; 0: all), with a RoPE
// base of their own.
void Model::read_sliding_window(const std::string & k) {
    const int64_t depth = hp_.arch->swa_at_layers;
    const bool windows = hp_.arch->swa_every > 0 && (depth == 0 || hp_.n_layer == depth);
    hp_.n_swa = windows ? get_int(gguf_, k + "attention.sliding_window", hp_.arch->swa_window, false) : 0;
    if (hp_.n_swa < 0) fail(E_BAD_MODEL, k + "attention.sliding_window must not be negative");
    if (hp_.n_swa == 0) return;
    hp_.swa_layers.assign(hp_.n_layer, false);
    const std::string pattern = k + "attention.sliding_window_pattern";
    const int64_t id = gguf_find_key(gguf_, pattern.c_str());
    if (id >= 0 && gguf_get_kv_type(gguf_, id) == GGUF_TYPE_ARRAY) {
        if (gguf_get_arr_type(gguf_, id) != GGUF_TYPE_BOOL || gguf_get_arr_n(gguf_, id) != (size_t) hp_.n_layer) {
            fail(E_BAD_MODEL, pattern + " must be an integer or one boolean per layer (" + std::to_string(hp_.n_layer) + ")");
        }
        const int8_t * windowed = (const int8_t *) gguf_get_arr_data(gguf_, id);  // GGUF booleans are bytes
        for (int64_t il = 0; il < hp_.n_layer; il++) hp_.swa_layers[il] = windowed[il] != 0;
    } else {
        const int64_t every = get_int(gguf_, pattern, hp_.arch->swa_every, false);
        if (every < 0) fail(E_BAD_MODEL, pattern + " must not be negative");
        for (int64_t il = 0; il < hp_.n_layer; il++) hp_.swa_layers[il] = windowed_layer(il, every);
    }
    const float base = hp_.arch->swa_rope_base > 0 ? hp_.arch->swa_rope_base : hp_.rope.base;
    hp_.rope_freq_base_swa = get_float(gguf_, k + "rope.freq_base_swa", base);
}

void Model::bind_tensors() {
    for (ggml_tensor * t = ggml_get_first_tensor(meta_); t; t = ggml_get_next_tensor(meta_, t)) {
        if (!supported_type(t->type)) {
            fail(E_UNSUPPORTED, std::string("tensor ") + t->name + " has unsupported type " + ggml_type_name(t->type));
        }
        std::vector<int64_t> shape;
        for (int d = 0; d < ggml_n_dims(t); d++) shape.push_back(t->ne[d]);
        tensor_info_.push_back({t->name, ggml_type_name(t->type), shape});
    }

    const int64_t E = hp_.n_embd;
    std::unordered_set<const ggml_tensor *> used;
    auto get = [&](const std::string & name, std::vector<int64_t> shape, bool required = true) -> ggml_tensor * {
        ggml_tensor * t = ggml_get_tensor(meta_, name.c_str());
        if (!t) {
            if (required) fail(E_BAD_MODEL, "missing tensor " + name);
            return nullptr;
        }
        used.insert(t);
        std::vector<int64_t> actual;
        for (int d = 0; d < GGML_MAX_DIMS; d++) actual.push_back(t->ne[d]);
        shape.resize(GGML_MAX_DIMS, 1);
        if (actual != shape) fail(E_BAD_MODEL, "tensor " + name + " has shape " + shape_str(actual) + ", expected " + shape_str(shape));
        if (shape[1] == 1 && t->type != GGML_TYPE_F32) fail(E_UNSUPPORTED, "1-d tensor " + name + " must be F32, found " + ggml_type_name(t->type));
        return t;
    };

    ggml_tensor * embd = ggml_get_tensor(meta_, "token_embd.weight");
    if (!embd) fail(E_BAD_MODEL, "missing tensor token_embd.weight");
    hp_.n_vocab = embd->ne[1];
    token_embd_ = get("token_embd.weight", {E, hp_.n_vocab});
    output_norm_ = get("output_norm.weight", {E});
    // output.weight as the architecture has it: Gemma 2's files never have one (llama.cpp's graph reads the embedding)
    const LmHead head = hp_.arch->lm_head;
    output_ = head == LmHead::tied ? nullptr : get("output.weight", {E, hp_.n_vocab}, head == LmHead::own);
    hp_.tied_output = output_ == nullptr;
    if (!output_) output_ = token_embd_;
    if (hp_.arch->output_bias) output_b_ = get("output.bias", {hp_.n_vocab}, false);
    // RoPE frequency factors: Llama 3's, or LongRoPE's (Phi-3's long-context models) for contexts up to the original
    // one, which llama.cpp also uses there (their long ones apply beyond it, a context rl-ggml does not offer)
    rope_freqs_ = get("rope_freqs.weight", {hp_.n_rot / 2}, false);
    if (!rope_freqs_ && get("rope_factors_long.weight", {hp_.n_rot / 2}, false)) {
        rope_freqs_ = get("rope_factors_short.weight", {hp_.n_rot / 2});
        hp_.n_ctx_train = std::min(hp_.n_ctx_train, hp_.n_ctx_orig);
    }

    const int64_t P = hp_.n_embd_per_layer;
    if (P > 0) {
        per_layer_token_embd_ = get("per_layer_token_embd.weight", {P * hp_.n_layer, hp_.n_vocab});
        per_layer_model_proj_ = get("per_layer_model_proj.weight", {E, P * hp_.n_layer});
        per_layer_proj_norm_ = get("per_layer_proj_norm.weight", {P});
    }

    for (int64_t il = 0; il < hp_.n_layer; il++) {
        const std::string p = "blk." + std::to_string(il) + ".";
        const LayerDims & d = hp_.dims(il);
        const int64_t F = d.n_ff, hd = d.head_dim, kv = d.n_head_kv * hd, q = hp_.n_head * hd;
        Layer L;
        L.attn_norm = get(p + "attn_norm.weight", {E}, hp_.arch->pre_norms);
        // fused or not as the file has them; where it has neither, as the architecture's files do (for the message)
        const auto has = [&](const std::string & name) { return ggml_get_tensor(meta_, (p + name).c_str()) != nullptr; };
        if (hp_.arch->fused_qkv ? !has("attn_q.weight") : has("attn_qkv.weight")) {
            L.wqkv = get(p + "attn_qkv.weight", {E, q + 2 * kv});
            L.bqkv = get(p + "attn_qkv.bias", {q + 2 * kv}, hp_.arch->qkv_biases);
        } else {
            L.wq = get(p + "attn_q.weight", {E, q});
            L.wk = get(p + "attn_k.weight", {E, kv}, hp_.has_kv(il));
            L.wv = get(p + "attn_v.weight", {E, kv}, !hp_.arch->v_norm && hp_.has_kv(il));
            L.bq = get(p + "attn_q.bias", {q}, hp_.arch->qkv_biases);
            L.bk = get(p + "attn_k.bias", {kv}, hp_.arch->qkv_biases);
            L.bv = get(p + "attn_v.bias", {kv}, hp_.arch->qkv_biases);
        }
        if (hp_.arch->qk_norm != QkNorm::none) {
            const bool whole = hp_.arch->qk_norm == QkNorm::whole;
            L.q_norm = get(p + "attn_q_norm.weight", {whole ? q : hd});
            L.k_norm = get(p + "attn_k_norm.weight", {whole ? kv : hd}, hp_.has_kv(il));
        }
        L.wo = get(p + "attn_output.weight", {q, E});
        if (hp_.arch->dense_biases) {
            L.bo = get(p + "attn_output.bias", {E}, false);
            if (hp_.n_expert == 0) {  // (experts' biases, which a file of Mixtral's would not have, are left unread: refused)
                L.ffn_gate_b = get(p + "ffn_gate.bias", {F}, false);
                L.ffn_up_b = get(p + "ffn_up.bias", {F}, false);
                L.ffn_down_b = get(p + "ffn_down.bias", {E}, false);
            }
        }
        if (hp_.arch->post_norms) {
            L.attn_post_norm = get(p + "post_attention_norm.weight", {E});
            L.ffn_post_norm = get(p + "post_ffw_norm.weight", {E});
        }
        L.ffn_norm = get(p + "ffn_norm.weight", {E}, hp_.arch->pre_norms);
        const bool beside = hp_.arch->experts == Experts::beside;
        if (hp_.n_expert > 0) {
            const int64_t X = hp_.n_expert, Fx = hp_.n_ff_exp;
            L.ffn_gate_inp = get(p + "ffn_gate_inp.weight", {E, X}, !beside);  // (Gemma 4's: in the layers that have one)
            if (L.ffn_gate_inp) {
                L.ffn_gate_up_exps = get(p + "ffn_gate_up_exps.weight", {E, 2 * Fx, X}, false);
                L.ffn_gate_exps = L.ffn_gate_up_exps ? nullptr : get(p + "ffn_gate_exps.weight", {E, Fx, X});
                L.ffn_up_exps = L.ffn_gate_up_exps ? nullptr : get(p + "ffn_up_exps.weight", {E, Fx, X});
                L.ffn_down_exps = get(p + "ffn_down_exps.weight", {Fx, E, X});
            }
            if (L.ffn_gate_inp && beside) {
                L.ffn_gate_inp_s = get(p + "ffn_gate_inp.scale", {E});
                L.ffn_down_exps_s = get(p + "ffn_down_exps.scale", {X}, false);
                L.ffn_pre_norm_2 = get(p + "pre_ffw_norm_2.weight", {E});
                L.ffn_post_norm_1 = get(p + "post_ffw_norm_1.weight", {E});
                L.ffn_post_norm_2 = get(p + "post_ffw_norm_2.weight", {E});
            }
        }
        if (!L.ffn_gate_inp || beside) {
            if (!hp_.arch->fused_up) L.ffn_gate = get(p + "ffn_gate.weight", {E, F});
            L.ffn_up = get(p + "ffn_up.weight", {E, hp_.arch->fused_up ? 2 * F : F});
            L.ffn_down = get(p + "ffn_down.weight", {F, E});
        }
        if (hp_.arch->out_scales) L.out_scale = get(p + "layer_output_scale.weight", {1}, false);
        if (P > 0) {
            L.pe_gate = get(p + "inp_gate.weight", {E, P});
            L.pe_proj = get(p + "proj.weight", {P, E});
            L.pe_post_norm = get(p + "post_norm.weight", {E});
        }
        if (!hp_.has_kv(il)) {  // a layer that shares another's keys and values: its own (where the file has them) unread,
                                // as llama.cpp leaves them, and not adapted
            L.wk = L.wv = L.bk = L.bv = L.k_norm = nullptr;
        }
        layers_.push_back(L);
    }
    if (ggml_get_tensor(meta_, ("blk." + std::to_string(hp_.n_layer) + ".attn_q.weight").c_str())) {
        fail(E_BAD_MODEL, "the file has more blocks than block_count = " + std::to_string(hp_.n_layer));
    }
    // A tensor the graph would not read (a bias, a norm of another architecture) means a model we would run wrong;
    // llama.cpp refuses such files too ("wrong number of tensors").
    for (ggml_tensor * t = ggml_get_first_tensor(meta_); t; t = ggml_get_next_tensor(meta_, t)) {
        if (!used.count(t)) fail(E_UNSUPPORTED, std::string("tensor ") + t->name + " has no place in a " + hp_.arch->name + " model as rl-ggml runs it");
    }
}

// Asks the device whether it runs every op the engine applies to the weights (forward and backward), so that a
// type the device lacks kernels for is refused at load time, by name, rather than failing mid-graph.
void Model::check_device_support() {
    CtxPtr owned(ggml_init({ggml_tensor_overhead() * 128, nullptr, true}));
    ggml_context * ctx = owned.get();
    auto refuse = [&](const ggml_tensor * w, const char * what) {
        fail(E_UNSUPPORTED, std::string("tensor ") + w->name + " has type " + ggml_type_name(w->type) + ", which device " +
                                 ggml_backend_dev_name(device_) + " cannot " + what);
    };
    ggml_tensor * ids = ggml_new_tensor_1d(ctx, GGML_TYPE_I32, 1);
    if (!ggml_backend_dev_supports_op(device_, ggml_get_rows(ctx, token_embd_, ids))) refuse(token_embd_, "look up rows of");
    std::vector<ggml_type> seen;
    std::vector<ggml_tensor *> mats = {output_};
    if (per_layer_token_embd_ && !ggml_backend_dev_supports_op(device_, ggml_get_rows(ctx, per_layer_token_embd_, ids))) refuse(per_layer_token_embd_, "look up rows of");
    for (const Layer & L : layers_) {
        for (int t = 0; t < T_COUNT; t++) mats.push_back(L.projection((Target) t));
        mats.push_back(L.pe_gate);
        mats.push_back(L.pe_proj);
    }
    mats.push_back(per_layer_model_proj_);
    // the experts' products (their backward pass, dx per expert, is checked where a training graph runs: a device may
    // score a mixture of experts without it)
    std::vector<ggml_type> seen_experts;
    for (const Layer & L : layers_) {
        for (ggml_tensor * w : {L.ffn_gate_inp, L.ffn_gate_exps, L.ffn_up_exps, L.ffn_gate_up_exps, L.ffn_down_exps}) {
            if (!w || std::find(seen_experts.begin(), seen_experts.end(), w->type) != seen_experts.end()) continue;
            seen_experts.push_back(w->type);
            ggml_tensor * as = ggml_reshape_3d(ctx, w, w->ne[0], ggml_n_dims(w) == 3 ? w->ne[1] : 1, ggml_n_dims(w) == 3 ? w->ne[2] : w->ne[1]);
            ggml_tensor * chosen = ggml_new_tensor_2d(ctx, GGML_TYPE_I32, 1, 4);
            if (!ggml_backend_dev_supports_op(device_, ggml_mul_mat_id(ctx, as, ggml_new_tensor_3d(ctx, GGML_TYPE_F32, w->ne[0], 1, 4), chosen))) refuse(w, "multiply per expert");
        }
    }
    for (ggml_tensor * w : mats) {
        if (!w || std::find(seen.begin(), seen.end(), w->type) != seen.end()) continue;
        seen.push_back(w->type);
        ggml_tensor * x = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, w->ne[0], 4);
        ggml_tensor * dy = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, w->ne[1], 4);
        if (!ggml_backend_dev_supports_op(device_, ggml_mul_mat(ctx, w, x))) refuse(w, "multiply");
        if (!ggml_backend_dev_supports_op(device_, ggml_mul_mat_t(ctx, w, dy))) refuse(w, "backpropagate through");
    }
}

namespace {

// ggml's CPU "repack" buffer type (interleaved weight layouts with faster matmul kernels), or null where the CPU has none.
ggml_backend_buffer_type_t repack_buffer_type() {
    const char * env = std::getenv("RL_GGML_REPACK");
    if ((env && std::string(env) == "0") || generic_backward()) return nullptr;
    ggml_backend_dev_t dev = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
    if (!dev) return nullptr;
    auto get_extra = (ggml_backend_dev_get_extra_bufts_t) ggml_backend_reg_get_proc_address(ggml_backend_dev_backend_reg(dev), "ggml_backend_dev_get_extra_bufts");
    if (!get_extra) return nullptr;
    for (ggml_backend_buffer_type_t * b = get_extra(dev); b && *b; b++) {
        if (std::string(ggml_backend_buft_name(*b)) == "CPU_REPACK") return *b;
    }
    return nullptr;
}

}  // namespace

namespace {

// Places `ts` in one new buffer of type buft.
ggml_backend_buffer_t allocate_in(ggml_backend_buffer_type_t buft, const std::vector<ggml_tensor *> & ts) {
    if (ts.empty()) return nullptr;
    const size_t align = ggml_backend_buft_get_alignment(buft);
    size_t size = align;
    for (ggml_tensor * t : ts) size += GGML_PAD(ggml_backend_buft_get_alloc_size(buft, t), align);
    ggml_backend_buffer_t buf = ggml_backend_buft_alloc_buffer(buft, size);
    if (!buf) fail(E_OOM, "out of memory allocating the model weights");
    ggml_backend_buffer_set_usage(buf, GGML_BACKEND_BUFFER_USAGE_WEIGHTS);
    ggml_tallocr talloc = ggml_tallocr_new(buf);
    for (ggml_tensor * t : ts) {
        if (ggml_tallocr_alloc(&talloc, t) != GGML_STATUS_SUCCESS) fail(E_NATIVE, "cannot place weight tensor " + std::string(t->name));
    }
    return buf;
}

}  // namespace

void Model::load_weights(const std::string & path) {
    struct stat st {};
    if (stat(path.c_str(), &st) == 0) loaded_file_ = {st.st_size, mtime_ns(st)};
    // Projection weights that ggml can repack for this CPU go to the repack buffer (only ever multiplied, so any
    // layout works for the forward pass); everything else, including token_embd (read by get_rows), stays plain.
    ggml_backend_buffer_type_t repack = on_gpu() ? nullptr : repack_buffer_type();
    std::vector<ggml_tensor *> matmul_only;
    for (const Layer & L : layers_) {
        for (int t = 0; t < T_COUNT; t++) {
            if (L.projection((Target) t)) matmul_only.push_back(L.projection((Target) t));
        }
        for (ggml_tensor * w : {L.pe_gate, L.pe_proj, L.ffn_gate_exps, L.ffn_up_exps, L.ffn_gate_up_exps, L.ffn_down_exps}) {
            if (w) matmul_only.push_back(w);
        }
    }
    if (!hp_.tied_output) matmul_only.push_back(output_);
    if (per_layer_model_proj_) matmul_only.push_back(per_layer_model_proj_);

    std::vector<ggml_tensor *> to_plain, to_repack;
    ggml_backend_buffer_t probe_buf = repack ? ggml_backend_buft_alloc_buffer(repack, 64) : nullptr;
    for (ggml_tensor * t = ggml_get_first_tensor(meta_); t; t = ggml_get_next_tensor(meta_, t)) {
        bool use_repack = false;
        if (probe_buf && std::find(matmul_only.begin(), matmul_only.end(), t) != matmul_only.end()) {
            ggml_tensor probe = *t;
            probe.extra = nullptr;
            ggml_backend_buffer_init_tensor(probe_buf, &probe);  // sets extra to the repack kernel, if any
            use_repack = probe.extra != nullptr;
        }
        (use_repack ? to_repack : to_plain).push_back(t);
    }
    if (probe_buf) ggml_backend_buffer_free(probe_buf);

    weights_ = allocate_in(ggml_backend_get_default_buffer_type(backend_), to_plain);
    weights_repack_ = allocate_in(repack, to_repack);
    read_tensors(path, to_plain);
    read_tensors(path, to_repack);
}

void Model::read_tensors(const std::string & path, const std::vector<ggml_tensor *> & ts) {
    File f = open_file(path);
    std::vector<uint8_t> staging;
    for (ggml_tensor * t : ts) {
        const int64_t i = gguf_find_tensor(gguf_, t->name);
        const size_t n = ggml_nbytes(t);
        const long offset = (long) (gguf_get_data_offset(gguf_) + gguf_get_tensor_offset(gguf_, i));
        if (std::fseek(f.get(), offset, SEEK_SET) != 0) fail(E_BAD_FILE, "cannot seek to tensor " + std::string(t->name));
        const bool host = ggml_backend_buffer_is_host(t->buffer) && !t->extra;
        void * dst = t->data;
        if (!host) {
            staging.resize(n);
            dst = staging.data();
        }
        if (std::fread(dst, 1, n, f.get()) != n) fail(E_BAD_FILE, path + " is truncated inside tensor " + t->name);
        if (!host) ggml_backend_tensor_set(t, dst, 0, n);
    }
}

void Model::map_backward_twins() {
    if (!weights_repack_ || twin_ctx_) return;
    const int fd = open(path_.c_str(), O_RDONLY);
    if (fd < 0) fail(E_BAD_FILE, "cannot reopen model file " + path_ + " for training: " + std::strerror(errno));
    struct stat st {};
    if (fstat(fd, &st) != 0 || std::make_pair((int64_t) st.st_size, mtime_ns(st)) != loaded_file_) {
        close(fd);
        fail(E_BAD_FILE, path_ + " changed after the model was loaded; load it again to train on it");
    }
    file_map_ = std::make_unique<FileMap>(fd, (size_t) st.st_size, path_);

    // The file is the one the weights were read from (same size and time), so every tensor lies inside it.
    std::vector<std::pair<ggml_tensor *, size_t>> repacked;  // weight, offset in the file
    for (ggml_tensor * t = ggml_get_first_tensor(meta_); t; t = ggml_get_next_tensor(meta_, t)) {
        if (t->buffer != weights_repack_) continue;
        repacked.emplace_back(t, gguf_get_data_offset(gguf_) + gguf_get_tensor_offset(gguf_, gguf_find_tensor(gguf_, t->name)));
    }
    twin_ctx_ = ggml_init({repacked.size() * ggml_tensor_overhead(), nullptr, true});
    twin_buf_ = ggml_backend_cpu_buffer_from_ptr(file_map_->data(), file_map_->size());
    ggml_backend_buffer_set_usage(twin_buf_, GGML_BACKEND_BUFFER_USAGE_WEIGHTS);
    for (auto [t, offset] : repacked) {
        ggml_tensor * twin = ggml_dup_tensor(twin_ctx_, t);
        ggml_set_name(twin, t->name);
        ggml_backend_tensor_alloc(twin_buf_, twin, (char *) file_map_->data() + offset);
        twin_bytes_ += ggml_nbytes(t);
        set_backward_twin(t, twin);
    }
}

void Model::check_backward_twins() const {
    if (!file_map_) return;
    struct stat st {};
    const bool same = fstat(file_map_->fd(), &st) == 0 && std::make_pair((int64_t) st.st_size, mtime_ns(st)) == loaded_file_;
    if (same && !file_map_->faulted()) return;
    fail(E_BAD_FILE, path_ + " was modified in place while training (the backward pass reads weights from it); load it again to go on");
}

void Model::compute(ggml_cgraph * graph) const {
    if (ggml_graph_n_nodes(graph) == 0) return;
    if (on_gpu()) {
        for (int i = 0; i < ggml_graph_n_nodes(graph); i++) {
            const ggml_tensor * node = ggml_graph_node(graph, i);
            if (!ggml_backend_supports_op(backend_, node)) {
                std::string operands;
                for (int s = 0; s < GGML_MAX_SRC && node->src[s]; s++) operands += (s ? ", " : "") + operand_str(node->src[s]);
                fail(E_UNSUPPORTED, std::string("device ") + ggml_backend_dev_name(device_) + " has no kernel for " + ggml_op_desc(node) + " of " +
                                        operands + " (node " + std::to_string(i) + " of " + std::to_string(ggml_graph_n_nodes(graph)) + ")");
            }
        }
    }
    if (ggml_backend_graph_compute(backend_, graph) != GGML_STATUS_SUCCESS) fail(E_NATIVE, "graph computation failed on " + std::string(ggml_backend_dev_name(device_)));
}

std::string Model::vocab_kind() const {
    switch (llama_vocab_type(vocab_)) {
        case LLAMA_VOCAB_TYPE_SPM: return "spm";
        case LLAMA_VOCAB_TYPE_BPE: return "bpe";
        case LLAMA_VOCAB_TYPE_WPM: return "wpm";
        case LLAMA_VOCAB_TYPE_UGM: return "ugm";
        case LLAMA_VOCAB_TYPE_RWKV: return "rwkv";
        default: return "none";
    }
}

std::vector<int32_t> Model::tokenize(const std::string & text, bool add_bos, bool special) const {
    std::vector<int32_t> out(text.size() + 2);
    int32_t n = llama_tokenize(vocab_, text.data(), (int32_t) text.size(), out.data(), (int32_t) out.size(), add_bos, special);
    if (n < 0) {
        out.resize(-n);
        n = llama_tokenize(vocab_, text.data(), (int32_t) text.size(), out.data(), (int32_t) out.size(), add_bos, special);
    }
    if (n < 0) fail(E_NATIVE, "tokenization failed");
    out.resize(n);
    return out;
}

std::string Model::detokenize(const std::vector<int32_t> & ids) const {
    for (int32_t id : ids) {
        if (id < 0 || id >= hp_.n_vocab) fail(E_ARGUMENT, "token id " + std::to_string(id) + " is outside the vocabulary (0.." + std::to_string(hp_.n_vocab - 1) + ")");
    }
    std::string out(ids.size() * 8 + 16, '\0');
    int32_t n = llama_detokenize(vocab_, ids.data(), (int32_t) ids.size(), out.data(), (int32_t) out.size(), false, false);
    if (n < 0) {
        out.resize(-n);
        n = llama_detokenize(vocab_, ids.data(), (int32_t) ids.size(), out.data(), (int32_t) out.size(), false, false);
    }
    out.resize(std::max(0, n));
    return out;
}

std::string Model::token_piece(int32_t id) const {
    if (id < 0 || id >= hp_.n_vocab) fail(E_ARGUMENT, "token id " + std::to_string(id) + " is outside the vocabulary");
    char buf[256];
    int32_t n = llama_token_to_piece(vocab_, id, buf, sizeof(buf), 0, true);
    return std::string(buf, std::max(0, n));
}

int32_t Model::bos() const { return llama_vocab_bos(vocab_); }
bool Model::adds_bos() const { return llama_vocab_get_add_bos(vocab_); }

int32_t Model::eos() const { return llama_vocab_eos(vocab_); }
bool Model::ends_generation(int32_t token) const { return llama_vocab_is_eog(vocab_, token); }

bool Model::splits_text(int32_t token) const {
    const llama_token_attr a = llama_vocab_get_attr(vocab_, token);
    return (a & (LLAMA_TOKEN_ATTR_CONTROL | LLAMA_TOKEN_ATTR_USER_DEFINED | LLAMA_TOKEN_ATTR_UNKNOWN)) &&
           !(a & (LLAMA_TOKEN_ATTR_LSTRIP | LLAMA_TOKEN_ATTR_RSTRIP));
}

std::optional<std::string> Model::chat_template() const {
    const char * t = llama_model_chat_template(vocab_model_, nullptr);
    return t ? std::optional<std::string>(t) : std::nullopt;
}

}  // namespace rl
