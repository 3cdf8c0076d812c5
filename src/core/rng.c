#include "core/rng.h"

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
