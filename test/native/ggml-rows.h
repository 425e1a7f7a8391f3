// Random rows of a ggml type and ggml's own CPU dequantization of them: the reference side of the CUDA checks.
#pragma once

#include "ggml.h"

#include <cstring>
#include <random>
#include <vector>

struct ggml_rows {
    size_t row_bytes;
    std::vector<char> data;     // rows x row_bytes, as stored
    std::vector<float> values;  // rows x K, as ggml dequantizes them
};

inline ggml_rows random_rows(ggml_type type, int64_t K, int64_t rows, float sigma, std::mt19937 & rng) {
    std::normal_distribution<float> normal(0.0f, sigma);
    std::vector<float> src(K * rows);
    for (float & x : src) x = normal(rng);
    ggml_rows r{ggml_row_size(type, K), {}, std::vector<float>(K * rows)};
    r.data.resize(r.row_bytes * rows);
    if (type == GGML_TYPE_F32) memcpy(r.data.data(), src.data(), src.size() * sizeof(float));
    else {
        // the low-bit IQ types need an importance matrix; a uniform one is what no preference looks like
        const std::vector<float> importance(K, 1.0f);
        ggml_quantize_chunk(type, src.data(), r.data.data(), 0, rows, K, ggml_quantize_requires_imatrix(type) ? importance.data() : nullptr);
    }
    for (int64_t i = 0; i < rows; i++) {
        const char * row = r.data.data() + i * r.row_bytes;
        if (type == GGML_TYPE_F32) memcpy(&r.values[i * K], row, K * sizeof(float));
        else ggml_get_type_traits(type)->to_float(row, &r.values[i * K], K);
    }
    return r;
}
