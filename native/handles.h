// Owning handles for ggml's C objects, so that every exit path, a thrown rl::Error included, frees them.
#pragma once
#include <memory>

#include "ggml-backend.h"
#include "ggml.h"
#include "gguf.h"

namespace rl {

struct GgmlFree {
    void operator()(ggml_context * c) const { ggml_free(c); }
    void operator()(gguf_context * g) const { gguf_free(g); }
    void operator()(ggml_backend_buffer_t b) const { ggml_backend_buffer_free(b); }
};

using CtxPtr = std::unique_ptr<ggml_context, GgmlFree>;
using GgufPtr = std::unique_ptr<gguf_context, GgmlFree>;
using BufferPtr = std::unique_ptr<ggml_backend_buffer, GgmlFree>;

}  // namespace rl
