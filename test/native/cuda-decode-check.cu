// Host check of the CUDA kernel's weight decoders (vendor/.../ggml-cuda/mul-mat-t-decode.cuh, from
// native/patches/0002-mul-mat-t.patch) against ggml's own CPU dequantization: the decoders are __host__ __device__,
// so their bit formats are verified without a GPU. Prints one line per type: "<type> <max abs difference>".
#include "mul-mat-t-decode.cuh"

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

template <ggml_type T> static double worst_difference(int64_t K, int rows) {
    std::mt19937 rng(42);
    std::normal_distribution<float> normal(0.0f, 0.5f);
    std::vector<float> src(K * rows);
    for (float & x : src) x = normal(rng);
    const size_t row_bytes = ggml_row_size(T, K);
    std::vector<char> data(row_bytes * rows);
    if (T == GGML_TYPE_F32) memcpy(data.data(), src.data(), src.size() * sizeof(float));
    else ggml_quantize_chunk(T, src.data(), data.data(), 0, rows, K, nullptr);
    std::vector<float> ref(K);
    double worst = 0;
    for (int r = 0; r < rows; r++) {
        const char * row = data.data() + r * row_bytes;
        if (T == GGML_TYPE_F32) memcpy(ref.data(), row, K * sizeof(float));
        else ggml_get_type_traits(T)->to_float(row, ref.data(), K);
        for (int64_t k = 0; k < K; k += 8) {
            float v[8];
            mmt_decode8<T>(row, k, K, v);
            for (int i = 0; i < 8 && k + i < K; i++) worst = std::fmax(worst, std::fabs(v[i] - ref[k + i]));
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
    CHECK(GGML_TYPE_Q5_K, 768) CHECK(GGML_TYPE_Q6_K, 768)
    return 0;
}
