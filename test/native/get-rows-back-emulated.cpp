// Runs the CUDA kernels of ggml_get_rows_back (vendor/.../ggml-cuda/get-rows-back.cuh, from
// native/patches/0003-cuda-get-rows-back.patch) on the host through cuda-host-emulation.h and compares them with
// ggml's CPU backend on the same op. Prints one line per case: "<case> <max |difference|>" (the kernels add in the
// CPU's order, so 0 is expected).
#include "cuda-host-emulation.h"
#include "get-rows-back.cuh"

#include "ggml-cpu.h"
#include "ggml.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

// dst [ncols, nrows_dst] from grad [ncols, rows.size()] on the host-emulated kernels, grid rows capped at max_grid_y.
static std::vector<float> emulated(const std::vector<float> & grad, const std::vector<int32_t> & rows, int64_t ncols, int64_t nrows_dst, unsigned max_grid_y) {
    const int64_t n = (int64_t) rows.size();
    const unsigned block = 256;
    std::vector<int32_t> first(n, -7), next(n, -7);
    std::vector<float> dst(ncols * nrows_dst, 0.0f);  // the launcher's memset
    emulate_launch(dim3((n + block - 1) / block, 1, 1), block, [&] { k_get_rows_back_links(rows.data(), first.data(), next.data(), n); });
    emulate_launch(dim3((ncols + block - 1) / block, std::min<unsigned>(n, max_grid_y), 1), block,
                   [&] { k_get_rows_back_sum(grad.data(), rows.data(), first.data(), next.data(), dst.data(), ncols, n); });
    return dst;
}

static std::vector<float> cpu(const std::vector<float> & grad, const std::vector<int32_t> & rows, int64_t ncols, int64_t nrows_dst) {
    ggml_init_params params{64 * 1024 * 1024, nullptr, false};
    ggml_context * ctx = ggml_init(params);
    ggml_tensor * g = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, ncols, (int64_t) rows.size());
    ggml_tensor * r = ggml_new_tensor_1d(ctx, GGML_TYPE_I32, (int64_t) rows.size());
    ggml_tensor * like = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, ncols, nrows_dst);
    memcpy(g->data, grad.data(), ggml_nbytes(g));
    memcpy(r->data, rows.data(), ggml_nbytes(r));
    ggml_tensor * out = ggml_get_rows_back(ctx, g, r, like);
    ggml_cgraph * gf = ggml_new_graph(ctx);
    ggml_build_forward_expand(gf, out);
    ggml_graph_compute_with_ctx(ctx, gf, 2);
    std::vector<float> dst((const float *) out->data, (const float *) out->data + ncols * nrows_dst);
    ggml_free(ctx);
    return dst;
}

static void check(const char * name, const std::vector<int32_t> & rows, int64_t ncols, int64_t nrows_dst, unsigned max_grid_y = 65535) {
    std::mt19937 rng(11);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> grad(ncols * rows.size());
    for (float & x : grad) x = normal(rng);
    const std::vector<float> a = emulated(grad, rows, ncols, nrows_dst, max_grid_y), b = cpu(grad, rows, ncols, nrows_dst);
    double worst = 0;
    for (size_t i = 0; i < a.size(); i++) worst = std::isnan(a[i]) ? INFINITY : std::max(worst, (double) std::fabs(a[i] - b[i]));
    printf("%s %g\n", name, worst);
}

int main() {
    // The packed forward's maps for three groups of 16 slots holding 11, 16 and 7 tokens: slots -> rows (padding
    // reads row 0) and rows -> slots (five slots are never written: their gradient must be zero).
    const int64_t lengths[] = {11, 16, 7}, S = 16;
    std::vector<int32_t> slot_row, row_slot;
    for (int64_t g = 0; g < 3; g++) {
        for (int64_t i = 0; i < S; i++) {
            if (i < lengths[g]) row_slot.push_back((int32_t) (g * S + i));
            slot_row.push_back(i < lengths[g] ? (int32_t) (row_slot.size() - 1) : 0);
        }
    }
    check("slots-to-rows", slot_row, 300, (int64_t) row_slot.size());
    check("rows-to-slots", row_slot, 300, 3 * S);
    // Many repeats in random order, and fewer grid rows than gradient rows (blocks stride).
    std::mt19937 rng(3);
    std::vector<int32_t> random(200);
    for (int32_t & r : random) r = (int32_t) (rng() % 50);
    check("random-repeats", random, 70, 50, 7);
    return 0;
}
