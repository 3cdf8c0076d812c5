#include "core/rng.h"

/* splitmix64 finaliser (Steele, Lea, Flood 2014): a bijective 64-bit mix. */
uint64_t us_splitmix64(uint64_t x) {
    uint64_t z = x + 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint64_t us_rng_key(uint64_t seed, uint64_t stream, uint64_t step) {
    uint64_t k = us_splitmix64(seed ^ 0x5DEECE66DULL);
    k = us_splitmix64(k ^ (stream * 0xD1B54A32D192ED03ULL));
    return us_splitmix64(k ^ (step * 0xA24BAED4963EE407ULL));
}

uint64_t us_hash_string(const char *s) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
    return h;
}
