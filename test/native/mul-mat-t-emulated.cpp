// Runs the CUDA kernel of ggml_mul_mat_t (vendor/.../ggml-cuda/mul-mat-t-kernel.cuh, from
// native/patches/0002-mul-mat-t.patch) on the host through cuda-host-emulation.h and compares it with a double
// precision product of ggml's own dequantization. Built per variant: MMT_TENSOR_CORES (whether the target has bf16
// tensor cores) and MMT_BF16 (the kernel's bf16 argument: false when f32 is asked for). Shapes leave every tile
// partial where the type allows. Prints one line per case: "<type> <M> <b layout> <max |error| / max |dst|>".
#include "mul-mat-t-decode.cuh"
#include "cuda-host-emulation.h"
#include "ggml-rows.h"
#include "mul-mat-t-kernel.cuh"

#include <algorithm>
#include <cmath>
#include <cstdio>

template <ggml_type T> static void check(int64_t K, int64_t M, int64_t N, bool aligned_b) {
    std::mt19937 rng(7);
    const ggml_rows a = random_rows(T, K, M, 1.0f, rng);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    // B one float past a 16-byte boundary when the vector path must be refused
    std::vector<float> b_store(M * N + 4);
    float * b = b_store.data() + (aligned_b ? 0 : 1);
    for (int64_t i = 0; i < M * N; i++) b[i] = normal(rng);
    std::vector<float> dst(K * N, NAN);

    const bool b_vec = mmt_b_vectorizable(b, M);
    emulate_launch(mmt_grid(K, N), MMT_THREADS,
        [&] { mul_mat_t_kernel<T, MMT_BF16>(a.data.data(), (int64_t) a.row_bytes, b, b_vec, dst.data(), K, M, N); });

    double worst = 0, scale = 0;
    for (int64_t n = 0; n < N; n++) {
        for (int64_t k = 0; k < K; k++) {
            double s = 0;
            for (int64_t m = 0; m < M; m++) s += (double) a.values[m * K + k] * b[n * M + m];
            scale = std::max(scale, std::fabs(s));
            const double e = std::fabs(s - dst[n * K + k]);
            worst = std::isnan(e) ? INFINITY : std::max(worst, e);
        }
    }
    printf("%s %lld %s %g\n", ggml_type_name(T), (long long) M, b_vec ? "vector" : "scalar", worst / scale);
}

int main() {
    // K: columns of dst (partial last tile where the block size allows); M: the reduction (a partial last panel; a
    // multiple of 4 for the float4 loads of B, else not); N: rows of dst (a partial last tile).
    check<GGML_TYPE_F32>(100, 70, 130, false);
    check<GGML_TYPE_F32>(100, 68, 130, true);
    check<GGML_TYPE_F16>(72, 33, 129, true);
    check<GGML_TYPE_BF16>(72, 64, 5, true);
    check<GGML_TYPE_Q4_0>(96, 68, 130, true);
    check<GGML_TYPE_Q4_1>(96, 40, 17, true);
    check<GGML_TYPE_Q5_0>(96, 40, 17, true);
    check<GGML_TYPE_Q5_1>(96, 40, 17, true);
    check<GGML_TYPE_Q8_0>(96, 68, 130, false);
    check<GGML_TYPE_Q2_K>(256, 36, 20, true);
    check<GGML_TYPE_Q3_K>(256, 36, 20, true);
    check<GGML_TYPE_Q4_K>(256, 36, 20, true);
    check<GGML_TYPE_Q5_K>(256, 36, 20, true);
    check<GGML_TYPE_Q6_K>(256, 36, 20, true);
    check<GGML_TYPE_IQ2_XXS>(256, 36, 20, true);
    check<GGML_TYPE_IQ2_XS>(256, 36, 20, true);
    check<GGML_TYPE_IQ2_S>(256, 36, 20, true);
    check<GGML_TYPE_IQ3_XXS>(256, 36, 20, true);
    check<GGML_TYPE_IQ3_S>(256, 36, 20, true);
    check<GGML_TYPE_IQ1_S>(256, 36, 20, true);
    check<GGML_TYPE_IQ1_M>(256, 36, 20, true);
    check<GGML_TYPE_IQ4_NL>(96, 40, 17, true);
    check<GGML_TYPE_IQ4_XS>(256, 36, 20, true);
    return 0;
}
