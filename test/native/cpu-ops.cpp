// Our CPU paths in ggml (native/patches) against plain loops, on odd shapes and several thread counts:
// - 0006: mul_mat of f32 rows of at most 16 values (outer products) vs a double-precision product;
// - 0007: copies that swap dims 0 and 1 (ggml_cont(ggml_transpose(x)), also inside 4-D permutes), f32 and f16, vs
//   an element-by-element copy (bit for bit);
// - 0002: mul_mat_t (Aᵀ·B: A's rows packed a panel at a time, tiles of the result accumulated over it) at the CPU's
//   default precision and in f32, vs a double-precision product of ggml's own dequantization of A; and A times the
//   identity vs that dequantization (mismatches);
// - 0011: mul_mat_t_id (per row of B, the transposed product with its expert's matrix) likewise, with experts that
//   no token, one token, or every token uses.
// Prints one line per case: "<op> <shape> <threads> <max |error| / max |value|, or mismatches>".
#include "ggml.h"
#include "ggml-cpu.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

static std::mt19937 rng(11);

static void fill(ggml_tensor * t) {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (int64_t i = 0; i < ggml_nelements(t); i++) {
        const float x = normal(rng);
        if (t->type == GGML_TYPE_F32) {
            ((float *) t->data)[i] = x;
        } else {
            ((ggml_fp16_t *) t->data)[i] = ggml_fp32_to_fp16(x);
        }
    }
}

static void compute(ggml_context * ctx, ggml_tensor * out, int threads) {
    ggml_cgraph * g = ggml_new_graph(ctx);
    ggml_build_forward_expand(g, out);
    ggml_graph_compute_with_ctx(ctx, g, threads);
}

static void short_rows(int64_t K, int64_t M, int64_t N, int threads) {
    ggml_context * ctx = ggml_init({64 << 20, nullptr, false});
    ggml_tensor * a = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, K, M);
    ggml_tensor * b = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, K, N);
    fill(a);
    fill(b);
    ggml_tensor * c = ggml_mul_mat(ctx, a, b);
    compute(ctx, c, threads);
    double worst = 0, scale = 0;
    for (int64_t n = 0; n < N; n++) {
        for (int64_t m = 0; m < M; m++) {
            double ref = 0;
            for (int64_t k = 0; k < K; k++) ref += (double) ((float *) a->data)[m * K + k] * ((float *) b->data)[n * K + k];
            worst = std::fmax(worst, std::fabs(((float *) c->data)[n * M + m] - ref));
            scale = std::fmax(scale, std::fabs(ref));
        }
    }
    std::printf("mul_mat %lldx%lldx%lld %d %.3g\n", (long long) K, (long long) M, (long long) N, threads, worst / scale);
    ggml_free(ctx);
}

// A random [K, M] tensor of `type`; `values`: its elements as ggml's to_float reads them
static ggml_tensor * random_weight(ggml_context * ctx, ggml_type type, int64_t K, int64_t M, std::vector<float> & values) {
    ggml_tensor * src = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, K, M);
    fill(src);
    values.assign((const float *) src->data, (const float *) src->data + K * M);
    if (type == GGML_TYPE_F32) return src;
    ggml_tensor * a = ggml_new_tensor_2d(ctx, type, K, M);
    ggml_quantize_chunk(type, values.data(), a->data, 0, M, K, nullptr);
    ggml_get_type_traits(type)->to_float(a->data, values.data(), K * M);
    return a;
}

// dst[n][k] = sum_m A[m][k] * B[n][m], A [K, M] of `type`, on the CPU's `kernel` (F32 or BF16 operands); `ask_f32`:
// the node asks for f32 precision, which overrides a bf16 kernel
static void transposed_product(ggml_type type, int64_t K, int64_t M, int64_t N, ggml_type kernel, bool ask_f32, int threads) {
    ggml_cpu_mul_mat_t_set_type(kernel);
    ggml_context * ctx = ggml_init({64 << 20, nullptr, false});
    std::vector<float> av;
    ggml_tensor * a = random_weight(ctx, type, K, M, av);
    ggml_tensor * b = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, M, N);
    fill(b);
    ggml_tensor * c = ggml_mul_mat_t(ctx, a, b);
    if (ask_f32) ggml_prec_set_src(c, GGML_PREC_F32, 0);
    compute(ctx, c, threads);
    double worst = 0, scale = 0;
    for (int64_t n = 0; n < N; n++) {
        for (int64_t k = 0; k < K; k++) {
            double ref = 0;
            for (int64_t m = 0; m < M; m++) ref += (double) av[m * K + k] * ((float *) b->data)[n * M + m];
            worst = std::fmax(worst, std::fabs(((float *) c->data)[n * K + k] - ref));
            scale = std::fmax(scale, std::fabs(ref));
        }
    }
    std::printf("mul_mat_t %s %lldx%lldx%lld %s %d %.3g\n", ggml_type_name(type), (long long) K, (long long) M, (long long) N,
                ask_f32 ? "f32" : ggml_type_name(kernel), threads, worst / scale);
    ggml_free(ctx);
}

// dst[t][s][k] = sum_m A[ids[t][s]][m][k] * B[t][s][m], A [K, M, X] of `type` (X experts), S experts per token of T
// (distinct; expert 0 every token's first, expert X - 1 none's), as transposed_product
static void expert_products(ggml_type type, int64_t K, int64_t M, int64_t X, int64_t S, int64_t T, ggml_type kernel, bool ask_f32, int threads) {
    ggml_cpu_mul_mat_t_set_type(kernel);
    ggml_context * ctx = ggml_init({64 << 20, nullptr, false});
    std::vector<float> av;
    ggml_tensor * a = ggml_reshape_3d(ctx, random_weight(ctx, type, K, M * X, av), K, M, X);
    ggml_tensor * b = ggml_new_tensor_3d(ctx, GGML_TYPE_F32, M, S, T);
    fill(b);
    ggml_tensor * ids = ggml_new_tensor_2d(ctx, GGML_TYPE_I32, S, T);
    for (int64_t t = 0; t < T; t++) {
        std::vector<int32_t> experts(X - 2);
        for (int64_t e = 0; e < X - 2; e++) experts[e] = (int32_t) (e + 1);
        std::shuffle(experts.begin(), experts.end(), rng);
        for (int64_t s = 0; s < S; s++) ((int32_t *) ids->data)[t * S + s] = s == 0 ? 0 : experts[s - 1];
    }
    ggml_tensor * c = ggml_mul_mat_t_id(ctx, a, b, ids);
    if (ask_f32) ggml_prec_set_src(c, GGML_PREC_F32, 0);
    compute(ctx, c, threads);
    double worst = 0, scale = 0;
    for (int64_t r = 0; r < S * T; r++) {
        const float * ae = av.data() + ((int32_t *) ids->data)[r] * M * K;
        for (int64_t k = 0; k < K; k++) {
            double ref = 0;
            for (int64_t m = 0; m < M; m++) ref += (double) ae[m * K + k] * ((float *) b->data)[r * M + m];
            worst = std::fmax(worst, std::fabs(((float *) c->data)[r * K + k] - ref));
            scale = std::fmax(scale, std::fabs(ref));
        }
    }
    std::printf("mul_mat_t_id %s %lldx%lldx%lld/%lldx%lld %s %d %.3g\n", ggml_type_name(type), (long long) K, (long long) M, (long long) X, (long long) S,
                (long long) T, ask_f32 ? "f32" : ggml_type_name(kernel), threads, worst / scale);
    ggml_free(ctx);
}

// A [K, M] of `type` times the identity in f32 (dst[n][k] = A[n][k]) equals ggml's to_float of A exactly: mul_mat_t
// unpacks quantized rows itself (SIMD on AVX2) and must produce the same floats
static void unpacked_rows(ggml_type type, int64_t K, int64_t M, int threads) {
    ggml_cpu_mul_mat_t_set_type(GGML_TYPE_F32);
    ggml_context * ctx = ggml_init({64 << 20, nullptr, false});
    std::vector<float> av;
    ggml_tensor * a = random_weight(ctx, type, K, M, av);
    ggml_tensor * eye = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, M, M);
    for (int64_t i = 0; i < M * M; i++) ((float *) eye->data)[i] = i % (M + 1) == 0 ? 1.0f : 0.0f;
    ggml_tensor * c = ggml_mul_mat_t(ctx, a, eye);
    compute(ctx, c, threads);
    int64_t mismatches = 0;
    for (int64_t i = 0; i < K * M; i++) mismatches += ((float *) c->data)[i] != av[i];
    std::printf("unpacked %s %lldx%lld %d %lld\n", ggml_type_name(type), (long long) K, (long long) M, threads, (long long) mismatches);
    ggml_free(ctx);
}

// x of shape ne, permuted by (p0, p1, p2, p3) and made contiguous; compared with the same element order by loops
static void transposed_copy(ggml_type type, const int64_t ne[4], const int p[4], int threads) {
    ggml_context * ctx = ggml_init({64 << 20, nullptr, false});
    ggml_tensor * x = ggml_new_tensor_4d(ctx, type, ne[0], ne[1], ne[2], ne[3]);
    fill(x);
    ggml_tensor * v = ggml_permute(ctx, x, p[0], p[1], p[2], p[3]);
    ggml_tensor * c = ggml_cont(ctx, v);
    compute(ctx, c, threads);
    const size_t ts = ggml_type_size(type);
    int64_t mismatches = 0, i = 0;
    for (int64_t i3 = 0; i3 < v->ne[3]; i3++) {
        for (int64_t i2 = 0; i2 < v->ne[2]; i2++) {
            for (int64_t i1 = 0; i1 < v->ne[1]; i1++) {
                for (int64_t i0 = 0; i0 < v->ne[0]; i0++, i++) {
                    const char * src = (const char *) v->data + i0 * v->nb[0] + i1 * v->nb[1] + i2 * v->nb[2] + i3 * v->nb[3];
                    mismatches += std::memcmp(src, (const char *) c->data + i * ts, ts) != 0;
                }
            }
        }
    }
    std::printf("cont %s %lldx%lldx%lldx%lld/%d%d%d%d %d %lld\n", ggml_type_name(type), (long long) ne[0], (long long) ne[1], (long long) ne[2],
                (long long) ne[3], p[0], p[1], p[2], p[3], threads, (long long) mismatches);
    ggml_free(ctx);
}

int main() {
    // mul_mat_t's kernels: f32, and where the build has them bf16 products, also with the node asking for f32
    std::vector<std::pair<ggml_type, bool>> kernels = {{GGML_TYPE_F32, false}};
    if (ggml_cpu_has_avx512_bf16()) {
        kernels.push_back({GGML_TYPE_BF16, false});
        kernels.push_back({GGML_TYPE_BF16, true});
    }
    std::printf("mul_mat_t_kernels %zu\n", kernels.size());
    for (int threads : {1, 3}) {
        for (int64_t K : {1, 5, 8, 16}) short_rows(K, 77, 19, threads);
        short_rows(8, 1024, 3, threads);
        for (const auto & [kernel, ask_f32] : kernels) {
            transposed_product(GGML_TYPE_F32, 100, 70, 9, kernel, ask_f32, threads);
            transposed_product(GGML_TYPE_Q4_0, 96, 75, 17, kernel, ask_f32, threads);
            transposed_product(GGML_TYPE_Q8_0, 256, 64, 5, kernel, ask_f32, threads);
            // several column blocks and panels of rows (odd M: a bf16 pair padded), partial tiles
            transposed_product(GGML_TYPE_Q4_K, 512, 301, 13, kernel, ask_f32, threads);
            transposed_product(GGML_TYPE_F16, 200, 520, 7, kernel, ask_f32, threads);
            transposed_product(GGML_TYPE_BF16, 80, 33, 3, kernel, ask_f32, threads);
            // the other quantized types, each with its own unpacking of the weights
            transposed_product(GGML_TYPE_Q4_1, 64, 40, 3, kernel, ask_f32, threads);
            transposed_product(GGML_TYPE_Q5_0, 96, 33, 4, kernel, ask_f32, threads);
            transposed_product(GGML_TYPE_Q5_1, 64, 21, 2, kernel, ask_f32, threads);
            transposed_product(GGML_TYPE_Q5_K, 256, 37, 5, kernel, ask_f32, threads);
            transposed_product(GGML_TYPE_Q6_K, 512, 70, 6, kernel, ask_f32, threads);
            // experts: several column blocks and panels, an odd M, a single expert per token
            expert_products(GGML_TYPE_F32, 100, 70, 6, 3, 9, kernel, ask_f32, threads);
            expert_products(GGML_TYPE_Q8_0, 512, 301, 8, 2, 13, kernel, ask_f32, threads);
            expert_products(GGML_TYPE_Q4_0, 96, 33, 5, 1, 4, kernel, ask_f32, threads);
            expert_products(GGML_TYPE_Q4_K, 256, 64, 10, 4, 7, kernel, ask_f32, threads);
        }
        for (ggml_type type : {GGML_TYPE_Q4_0, GGML_TYPE_Q4_1, GGML_TYPE_Q5_0, GGML_TYPE_Q5_1, GGML_TYPE_Q8_0, GGML_TYPE_Q4_K,
                               GGML_TYPE_Q5_K, GGML_TYPE_Q6_K, GGML_TYPE_F16, GGML_TYPE_BF16}) {
            unpacked_rows(type, 512, 40, threads);
        }
        for (ggml_type type : {GGML_TYPE_F32, GGML_TYPE_F16}) {
            const int64_t a[4] = {45, 70, 3, 2}, b[4] = {64, 16, 100, 1}, c[4] = {33, 31, 1, 1};
            const int swap01[4] = {1, 0, 2, 3}, attention_v[4] = {1, 2, 0, 3}, grads[4] = {1, 0, 3, 2};
            transposed_copy(type, a, swap01, threads);
            transposed_copy(type, a, grads, threads);
            transposed_copy(type, b, attention_v, threads);
            transposed_copy(type, c, swap01, threads);
        }
    }
    return 0;
}
