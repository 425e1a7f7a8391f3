// Drives native/log.cpp's abort hook through ggml's real abort path (ggml_abort, then the hook) and prints, per case,
// the code and message of the rl::Error it throws: "<case>\t<code>\t<message>".
#include <cstdio>

#include "errors.h"
#include "ggml-impl.h"
#include "log.h"

namespace {

// What ggml's CUDA backend does on a failed CUDA or cuBLAS call (ggml_cuda_error): three error lines, then abort.
void cuda_failure(const char * error) {
    GGML_LOG_ERROR("CUDA error: %s\n", error);
    GGML_LOG_ERROR("  current device: 0, in function alloc at ggml-cuda.cu:508\n");
    GGML_LOG_ERROR("  err\n");
    GGML_ABORT("CUDA error");
}

template <typename F>
void run(const char * name, F && f) {
    rl::log_capture_begin();
    try {
        f();
        std::printf("%s\tnone\t\n", name);
    } catch (const rl::Error & e) {
        std::printf("%s\t%s\t%s\n", name, e.code.c_str(), e.what());
    }
}

}  // namespace

int main() {
    rl::log_install();
    run("cuda-oom", [] { cuda_failure("out of memory"); });
    run("cublas-oom", [] { cuda_failure("the resource allocation failed"); });
    run("cuda-fault", [] { cuda_failure("an illegal memory access was encountered"); });
    run("assert", [] { GGML_ASSERT(1 + 1 == 3); });
    run("stale", [] {
        GGML_LOG_ERROR("CUDA error: out of memory\n");
        rl::log_capture_begin();  // a later engine call: the earlier failure is not its cause
        GGML_ABORT("fatal error");
    });
    run("warnings", [] {
        GGML_LOG_WARN("out of memory, retrying\n");  // only error lines explain an abort
        GGML_ABORT("fatal error");
    });
    return 0;
}
