/* Layers that merge several inputs: channel concatenation and addition. */
#include <string.h>

#include "ops/ops.h"

void us_concat_forward(const float *const *xs, const int64_t *cs, int32_t n_in, int64_t pixels,
                       float *y) {
    int64_t ctotal = 0;
    for (int32_t i = 0; i < n_in; i++) ctotal += cs[i];
    for (int64_t p = 0; p < pixels; p++) {
        float *dst = y + p * ctotal;
        for (int32_t i = 0; i < n_in; i++) {
            memcpy(dst, xs[i] + p * cs[i], (size_t)cs[i] * sizeof(float));
            dst += cs[i];
        }
    }
}

void us_add_forward(const float *const *xs, int32_t n_in, int64_t count, float *y) {
    if (y != xs[0]) memcpy(y, xs[0], (size_t)count * sizeof(float));
    for (int32_t i = 1; i < n_in; i++)
        for (int64_t k = 0; k < count; k++) y[k] += xs[i][k];
}

void us_concat_backward(const float *dy, const int64_t *cs, int32_t n_in, int64_t pixels,
                        float *const *dxs) {
    int64_t ctotal = 0;
    for (int32_t i = 0; i < n_in; i++) ctotal += cs[i];
    for (int64_t p = 0; p < pixels; p++) {
        const float *src = dy + p * ctotal;
        for (int32_t i = 0; i < n_in; i++) {
            if (dxs[i]) {
                float *dst = dxs[i] + p * cs[i];
                for (int64_t k = 0; k < cs[i]; k++) dst[k] += src[k];
            }
            src += cs[i];
        }
    }
}
