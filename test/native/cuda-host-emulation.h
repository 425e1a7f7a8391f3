// Runs CUDA kernel source on the host, one block at a time: the block's threads are std::threads, __syncthreads()
// is a barrier among them, __shared__ variables are static (shared by the block's threads, reused by the next block),
// and a wmma fragment holds its whole tile in each thread of the warp, so the warp-wide calls become plain matrix
// arithmetic on it. This checks a kernel's indexing, bounds and synchronization structure without a GPU; it says
// nothing of speed. Include it after the CUDA headers the kernel needs and before the kernel.
#pragma once

#include <barrier>
#include <cstdint>
#include <cstring>
#include <thread>
#include <type_traits>
#include <vector>

#include <cuda_bf16.h>
#include <vector_types.h>

#undef __shared__
#define __shared__ static
#define __launch_bounds__(...)
#define WARP_SIZE 32

inline thread_local uint3 threadIdx;
inline thread_local uint3 blockIdx;
inline dim3 blockDim, gridDim;
inline std::barrier<> * emulated_block_barrier;

inline void __syncthreads() { emulated_block_barrier->arrive_and_wait(); }

// Runs kernel() for every thread of every block of a 2-D grid, blocks one after another.
template <class Kernel> void emulate_launch(dim3 grid, unsigned threads, Kernel kernel) {
    std::barrier<> barrier(threads);
    emulated_block_barrier = &barrier;
    blockDim = dim3(threads, 1, 1);
    gridDim = grid;
    for (unsigned by = 0; by < grid.y; by++) {
        for (unsigned bx = 0; bx < grid.x; bx++) {
            std::vector<std::thread> pool;
            for (unsigned t = 0; t < threads; t++) {
                pool.emplace_back([&, t] {
                    threadIdx = {t, 0, 0};
                    blockIdx = {bx, by, 0};
                    kernel();
                });
            }
            for (std::thread & th : pool) th.join();
        }
    }
}

namespace nvcuda::wmma {
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
enum layout_t { mem_row_major };

template <class Use, int M, int N, int K, class T, class Layout = void> struct fragment {
    static constexpr int rows = std::is_same_v<Use, matrix_b> ? K : M;
    static constexpr int cols = std::is_same_v<Use, matrix_a> ? K : N;
    static constexpr int num_elements = rows * cols;
    float x[num_elements];
};

template <class F> void fill_fragment(F & f, float v) {
    for (float & e : f.x) e = v;
}

inline float to_float(float x) { return x; }
inline float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }

template <class F, class T> void load_matrix_sync(F & f, const T * p, unsigned ldm) {
    for (int r = 0; r < F::rows; r++) {
        for (int c = 0; c < F::cols; c++) f.x[r * F::cols + c] = to_float(p[r * ldm + c]);
    }
}

template <class D, class A, class B> void mma_sync(D & d, const A & a, const B & b, const D & c) {
    float out[D::num_elements];
    for (int i = 0; i < D::rows; i++) {
        for (int j = 0; j < D::cols; j++) {
            float s = c.x[i * D::cols + j];
            for (int k = 0; k < A::cols; k++) s += a.x[i * A::cols + k] * b.x[k * B::cols + j];
            out[i * D::cols + j] = s;
        }
    }
    std::memcpy(d.x, out, sizeof(out));
}

// Every thread holds the whole tile; one per warp writes it.
template <class F> void store_matrix_sync(float * p, const F & f, unsigned ldm, layout_t) {
    if (threadIdx.x % WARP_SIZE != 0) return;
    for (int r = 0; r < F::rows; r++) {
        for (int c = 0; c < F::cols; c++) p[r * ldm + c] = f.x[r * F::cols + c];
    }
}

}  // namespace nvcuda::wmma
