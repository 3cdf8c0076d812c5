/* Layers that merge several inputs: channel concatenation and addition;
 * and a conv input made up of parts, written out (us_conv_sources_gather). */
#include <string.h>

#include "core/parallel.h"
#include "core/simd.h"
#include "ops/ops.h"

typedef struct concat_job {
    const float *const *xs;
    const int64_t *cs;
    int32_t n_in;
    int64_t ctotal;
    float *y;
} concat_job;

static void concat_pixels(void *arg, int64_t lo, int64_t hi) {
    const concat_job *j = arg;
    for (int64_t p = lo; p < hi; p++) {
        float *dst = j->y + p * j->ctotal;
        for (int32_t i = 0; i < j->n_in; i++) {
            memcpy(dst, j->xs[i] + p * j->cs[i], (size_t)j->cs[i] * sizeof(float));
            dst += j->cs[i];
        }
    }
}

void us_concat_forward(const float *const *xs, const int64_t *cs, int32_t n_in, int64_t pixels,
                       float *y) {
    concat_job j = {xs, cs, n_in, 0, y};
    for (int32_t i = 0; i < n_in; i++) j.ctotal += cs[i];
    us_parallel_rows(pixels, j.ctotal, concat_pixels, &j);
}

typedef struct gather_job {
    const us_conv_geom *g;
    const us_conv_source *sources;
    int32_t n_sources;
    float *x;
} gather_job;

/* Image rows [lo, hi) (over the batch) of the input the sources make up. */
static void gather_rows(void *arg, int64_t lo, int64_t hi) {
    const gather_job *j = arg;
    const int64_t h = j->g->h, w = j->g->w;
    for (int64_t r = lo; r < hi; r++) {
        const int64_t b = r / h, ih = r % h;
        float *dst = j->x + r * w * j->g->cin;
        for (int64_t iw = 0; iw < w; iw++)
            for (int32_t s = 0; s < j->n_sources; s++) {
                const us_conv_source *src = &j->sources[s];
                const int64_t sh = h / src->up_h, sw = w / src->up_w;
                const float *pixel = src->x + ((b * sh + ih / src->up_h) * sw + iw / src->up_w) * src->channels;
                memcpy(dst, pixel, (size_t)src->channels * sizeof(float));
                dst += src->channels;
            }
    }
}

void us_conv_sources_gather(const us_conv_geom *g, const us_conv_source *sources,
                            int32_t n_sources, float *x) {
    gather_job j = {g, sources, n_sources, x};
    us_parallel_rows(g->n * g->h, g->w * g->cin, gather_rows, &j);
}

typedef struct add_job {
    const float *const *xs;
    int32_t n_in;
    float *y;
} add_job;

US_VECTOR_CLONES static void add_band(void *arg, int64_t lo, int64_t hi) {
    const add_job *j = arg;
    if (j->y != j->xs[0]) memcpy(j->y + lo, j->xs[0] + lo, (size_t)(hi - lo) * sizeof(float));
    for (int32_t i = 1; i < j->n_in; i++) {
        const float *x = j->xs[i];
        for (int64_t k = lo; k < hi; k++) j->y[k] += x[k];
    }
}

void us_add_forward(const float *const *xs, int32_t n_in, int64_t count, float *y) {
    add_job j = {xs, n_in, y};
    us_parallel_rows(count, n_in, add_band, &j);
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
