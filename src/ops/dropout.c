/* Dropout masks from the counter-based generator (Keras semantics). */
#include "core/rng.h"
#include "ops/ops.h"

void us_dropout_forward(const float *x, int64_t n, int64_t pixels, int64_t c, double rate,
                        int32_t spatial, uint64_t key, float *y, uint8_t *mask) {
    const float r = (float)rate;
    const float scale = (float)(1.0 / (1.0 - rate));
    for (int64_t b = 0; b < n; b++)
        for (int64_t p = 0; p < pixels; p++)
            for (int64_t k = 0; k < c; k++) {
                int64_t i = (b * pixels + p) * c + k;
                uint64_t draw = spatial ? (uint64_t)(b * c + k) : (uint64_t)i;
                int keep = us_rng_uniform(key, draw) >= r;
                y[i] = keep ? x[i] * scale : 0.0f;
                if (mask) mask[i] = (uint8_t)keep;
            }
}

void us_dropout_backward(const float *dy, int64_t n, int64_t pixels, int64_t c, double rate,
                         int32_t spatial, uint64_t key, float *dx) {
    const float r = (float)rate;
    const float scale = (float)(1.0 / (1.0 - rate));
    for (int64_t b = 0; b < n; b++)
        for (int64_t p = 0; p < pixels; p++)
            for (int64_t k = 0; k < c; k++) {
                int64_t i = (b * pixels + p) * c + k;
                uint64_t draw = spatial ? (uint64_t)(b * c + k) : (uint64_t)i;
                if (us_rng_uniform(key, draw) >= r) dx[i] += dy[i] * scale;
            }
}
