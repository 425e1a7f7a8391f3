// splitmix64 with a uniform and a Box-Muller normal draw: the same numbers on every platform and compiler for a seed
// (std::normal_distribution is implementation-defined), used for generated models and initial adapter weights.
#pragma once
#include <cmath>
#include <cstdint>

namespace rl {

struct Rng {
    uint64_t s;
    uint64_t next() {
        uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    // (0, 1), never 0 (the normal draw takes its log)
    double uniform() { return ((next() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }
    float normal() { return (float) (std::sqrt(-2.0 * std::log(uniform())) * std::cos(6.283185307179586 * uniform())); }
};

}  // namespace rl
