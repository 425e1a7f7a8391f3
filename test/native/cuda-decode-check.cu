// Host check of the CUDA kernel's weight decoders (vendor/.../ggml-cuda/mul-mat-t-decode.cuh, from
// native/patches/0002-mul-mat-t.patch) against ggml's own CPU dequantization: the decoders are __host__ __device__,
// so their bit formats are verified without a GPU. Prints one line per type: "<type> <max abs difference>".
#include "mul-mat-t-decode.cuh"
#include "ggml-rows.h"

#include <cmath>
#include <cstdio>

template <ggml_type T> static double worst_difference(int64_t K, int rows) {
    std::mt19937 rng(42);
    const ggml_rows a = random_rows(T, K, rows, 0.5f, rng);
    double worst = 0;
    for (int r = 0; r < rows; r++) {
        for (int64_t k = 0; k < K; k += 8) {
            float v[8];
            mmt_decode8<T>(a.data.data() + r * a.row_bytes, k, K, v);
            for (int i = 0; i < 8 && k + i < K; i++) worst = std::fmax(worst, std::fabs(v[i] - a.values[r * K + k + i]));
        }
    }
    return worst;
}

int main() {
    // Row lengths: not a multiple of 8 for the float types (the tail), several blocks for the quantized ones.
#define CHECK(T, K) printf("%s %g\n", ggml_type_name(T), worst_difference<T>(K, 7));
    CHECK(GGML_TYPE_F32, 100) CHECK(GGML_TYPE_F16, 100) CHECK(GGML_TYPE_BF16, 100)
    CHECK(GGML_TYPE_Q4_0, 512) CHECK(GGML_TYPE_Q4_1, 512) CHECK(GGML_TYPE_Q5_0, 512) CHECK(GGML_TYPE_Q5_1, 512)
    CHECK(GGML_TYPE_Q8_0, 512) CHECK(GGML_TYPE_Q2_K, 768) CHECK(GGML_TYPE_Q3_K, 768) CHECK(GGML_TYPE_Q4_K, 768)
    CHECK(GGML_TYPE_Q5_K, 768) CHECK(GGML_TYPE_Q6_K, 768) CHECK(GGML_TYPE_IQ2_XXS, 768) CHECK(GGML_TYPE_IQ2_XS, 768)
    CHECK(GGML_TYPE_IQ2_S, 768) CHECK(GGML_TYPE_IQ3_XXS, 768) CHECK(GGML_TYPE_IQ3_S, 768) CHECK(GGML_TYPE_IQ1_S, 768)
    CHECK(GGML_TYPE_IQ1_M, 768) CHECK(GGML_TYPE_IQ4_NL, 512) CHECK(GGML_TYPE_IQ4_XS, 768)
    return 0;
}
