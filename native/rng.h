// splitmix64 with a uniform and a Box-Muller normal draw: the same numbers on every platform and compiler for a seed
// (std::normal_distribution is implementation-defined), used for generated models and initial adapter weights.
// Its state advances by a constant per draw, so skipping ahead is one multiply.
#pragma once
#include <cmath>
#include <cstdint>

namespace rl {

struct Rng {
    static constexpr uint64_t kStep = 0x9e3779b97f4a7c15ULL;
    uint64_t s;
    uint64_t next() {
        uint64_t z = (s += kStep);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    // (0, 1), never 0 (the normal draw takes its log)
    double uniform() { return ((next() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }
    float normal() { return (float) (std::sqrt(-2.0 * std::log(uniform())) * std::cos(6.283185307179586 * uniform())); }
    // The stream for (seed, index): its start is hashed, so no two pairs share a stretch of draws (a start of
    // seed * kStep + index would make seed s + 1's stream seed s's shifted by one draw).
    static Rng stream(uint64_t seed, uint64_t index) { return Rng{Rng{Rng{seed}.next() + index}.next()}; }
    // Jumps over n next() calls (uniform takes one, normal two): workers can each start at their part of a stream.
    void skip(uint64_t n) { s += n * kStep; }
};

}  // namespace rl
