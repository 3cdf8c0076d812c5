/* Dropout masks from the counter-based generator (Keras semantics). Every
 * element's draw depends on (key, element) only, so rows of pixels are split
 * over the pass's threads without changing a mask. */
#include <stddef.h>

#include "core/parallel.h"
#include "core/rng.h"
#include "core/simd.h"
#include "ops/ops.h"

typedef struct dropout_job {
    const float *in; /* x (forward) or dy (backward) */
    float *out;      /* y (forward) or dx, accumulated (backward) */
    uint8_t *mask;   /* forward, may be NULL */
    int64_t pixels, c;
    float rate, scale;
    int32_t spatial, backward;
    uint64_t key;
} dropout_job;

/* Elements [i0, i1) drawn one by one (not spatial): plain loops that
 * vectorise (the draw is pure arithmetic), one per case. */
US_VECTOR_CLONES static void element_draws(const dropout_job *j, int64_t i0, int64_t i1) {
    const float *restrict in = j->in;
    float *restrict out = j->out;
    uint8_t *restrict mask = j->mask;
    const uint64_t key = j->key;
    const float rate = j->rate, scale = j->scale;
    if (j->backward) {
        for (int64_t i = i0; i < i1; i++)
            out[i] += us_rng_uniform(key, (uint64_t)i) >= rate ? in[i] * scale : 0.0f;
    } else if (mask) {
        for (int64_t i = i0; i < i1; i++) {
            const int keep = us_rng_uniform(key, (uint64_t)i) >= rate;
            out[i] = keep ? in[i] * scale : 0.0f;
            mask[i] = (uint8_t)keep;
        }
    } else {
        for (int64_t i = i0; i < i1; i++)
            out[i] = us_rng_uniform(key, (uint64_t)i) >= rate ? in[i] * scale : 0.0f;
    }
}

/* Rows [lo, hi) of n * pixels rows of c channels; row r is in image r / pixels. */
static void dropout_rows(void *arg, int64_t lo, int64_t hi) {
    const dropout_job *j = arg;
    if (!j->spatial) {
        element_draws(j, lo * j->c, hi * j->c);
        return;
    }
    for (int64_t row = lo; row < hi; row++) {
        const int64_t b = row / j->pixels;
        for (int64_t k = 0; k < j->c; k++) {
            const int64_t i = row * j->c + k;
            const int keep = us_rng_uniform(j->key, (uint64_t)(b * j->c + k)) >= j->rate;
            if (j->backward) {
                if (keep) j->out[i] += j->in[i] * j->scale;
                continue;
            }
            j->out[i] = keep ? j->in[i] * j->scale : 0.0f;
            if (j->mask) j->mask[i] = (uint8_t)keep;
        }
    }
}

static void run(const float *in, int64_t n, int64_t pixels, int64_t c, double rate,
                int32_t spatial, int32_t backward, uint64_t key, float *out, uint8_t *mask) {
    dropout_job j = {in, out, mask, pixels, c, (float)rate, (float)(1.0 / (1.0 - rate)),
                     spatial, backward, key};
    us_parallel_rows(n * pixels, c, dropout_rows, &j);
}

void us_dropout_forward(const float *x, int64_t n, int64_t pixels, int64_t c, double rate,
                        int32_t spatial, uint64_t key, float *y, uint8_t *mask) {
    run(x, n, pixels, c, rate, spatial, 0, key, y, mask);
}

void us_dropout_backward(const float *dy, int64_t n, int64_t pixels, int64_t c, double rate,
                         int32_t spatial, uint64_t key, float *dx) {
    run(dy, n, pixels, c, rate, spatial, 1, key, dx, NULL);
}
