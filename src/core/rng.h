/* Counter-based random numbers (internal): every draw is a pure function of
 * (seed, stream, step, index), so results never depend on thread count or
 * evaluation order, and there is no global state. */
#ifndef US_CORE_RNG_H
#define US_CORE_RNG_H

#include <stdint.h>

/* splitmix64 finaliser (Steele, Lea, Flood 2014): a bijective 64-bit mix.
 * Inline: dropout draws one per element, in loops that vectorise. */
static inline uint64_t us_splitmix64(uint64_t x) {
    uint64_t z = x + 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
/* FNV-1a 64-bit hash of a string (stable stream ids from layer names). */
uint64_t us_hash_string(const char *s);
/* Key of one stream (e.g. one layer) at one step. */
uint64_t us_rng_key(uint64_t seed, uint64_t stream, uint64_t step);
/* Uniform float in [0, 1) with 24 random bits, for draw `index` of `key`. */
static inline float us_rng_uniform(uint64_t key, uint64_t index) {
    return (float)(us_splitmix64(key + index * 0x9E3779B97F4A7C15ULL) >> 40) *
           (1.0f / 16777216.0f);
}

#endif
