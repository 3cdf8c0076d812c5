#include "models/init.h"

#include <math.h>
#include <string.h>

#include "core/rng.h"
#include "core/simd.h"

static void fill(unetseg_tensor *t, float v) {
    for (int64_t i = 0; i < t->numel; i++) t->data[i] = v;
}

/* dst[i] = a uniform draw in [-limit, limit) for i < n. The loop
 * vectorises in the x86-64-v4 clone (64-bit multiplies: AVX-512DQ); every
 * operation is exact or rounded as in the scalar code (no contraction in
 * ISO C mode), so each clone gives the same bits. */
US_VECTOR_CLONES static void fill_uniform(float *restrict dst, int64_t n, uint64_t key, double limit) {
    for (int64_t i = 0; i < n; i++)
        dst[i] = (float)((2.0 * us_rng_uniform(key, (uint64_t)i) - 1.0) * limit);
}

void us_init_layer(unetseg_model *m, int32_t index, int32_t initializer, uint64_t seed) {
    us_layer *l = &m->layers[index];
    for (int32_t p = 0; p < l->n_params; p++) {
        unetseg_tensor *t = l->params[p].value;
        const char *name = l->params[p].name;
        if (strcmp(name, "kernel") == 0) {
            double receptive = (double)(t->shape[0] * t->shape[1]);
            double fan_in = receptive * (double)t->shape[2];
            double fan_out = receptive * (double)t->shape[3];
            double limit = initializer == US_INIT_GLOROT_UNIFORM ? sqrt(6.0 / (fan_in + fan_out))
                                                                 : sqrt(6.0 / fan_in);
            fill_uniform(t->data, t->numel, us_rng_key(seed, us_hash_string(l->name), 0), limit);
        } else if (strcmp(name, "gamma") == 0 || strcmp(name, "moving_variance") == 0) {
            fill(t, 1.0f);
        } else {
            fill(t, 0.0f);
        }
    }
}
