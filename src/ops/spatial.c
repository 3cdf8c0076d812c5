/* Spatial re-arrangements: zero padding, max pooling, upsampling. */
#include <math.h>
#include <string.h>

#include "core/parallel.h"
#include "core/simd.h"
#include "ops/ops.h"
#include "unetseg.h"

void us_zero_pad_forward(const float *x, int64_t n, int64_t h, int64_t w, int64_t c,
                         int64_t top, int64_t bottom, int64_t left, int64_t right, float *y) {
    const int64_t ho = h + top + bottom, wo = w + left + right;
    memset(y, 0, (size_t)(n * ho * wo * c) * sizeof(float));
    for (int64_t b = 0; b < n; b++)
        for (int64_t i = 0; i < h; i++)
            memcpy(y + ((b * ho + i + top) * wo + left) * c, x + (b * h + i) * w * c,
                   (size_t)(w * c) * sizeof(float));
}

typedef struct maxpool_job {
    const us_conv_geom *g;
    const float *x;
    float *y;
    int zero_outside; /* taps outside the input are zeros (a fused ZeroPadding2D), else skipped */
} maxpool_job;

/* Output pixel (b, oh, ow) over c channels: the maximum of its taps, each
 * a loop over the channels (taps outside the input are zeros, or
 * skipped). Inlined with c a constant (64, the ResNet stem's pooling) the
 * loops need no set-up per tap: pooling0 at 256x256 0.34 -> 0.26 ms on
 * one Zen 5 core. */
static inline __attribute__((always_inline)) void maxpool_pixel(const maxpool_job *j, int64_t b,
                                                                int64_t oh, int64_t ow, int64_t c,
                                                                float *restrict dst) {
    const us_conv_geom *g = j->g;
    for (int64_t k = 0; k < c; k++) dst[k] = -INFINITY;
    for (int64_t i = 0; i < g->kh; i++) {
        int64_t ih = oh * g->sh - g->pad_top + i;
        for (int64_t jw = 0; jw < g->kw; jw++) {
            int64_t iw = ow * g->sw - g->pad_left + jw;
            if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w) {
                if (j->zero_outside)
                    for (int64_t k = 0; k < c; k++) dst[k] = 0.0f > dst[k] ? 0.0f : dst[k];
                continue;
            }
            const float *restrict src = j->x + ((b * g->h + ih) * g->w + iw) * c;
            for (int64_t k = 0; k < c; k++) dst[k] = src[k] > dst[k] ? src[k] : dst[k];
        }
    }
}

/* Output rows [lo, hi) of all images (row r is image r / ho, row r % ho);
 * each value alone, so bands never change a result. */
US_VECTOR_CLONES static void maxpool_rows(void *arg, int64_t lo, int64_t hi) {
    const maxpool_job *j = arg;
    const us_conv_geom *g = j->g;
    const int64_t c = g->cin;
    for (int64_t r = lo; r < hi; r++) {
        const int64_t b = r / g->ho, oh = r % g->ho;
        for (int64_t ow = 0; ow < g->wo; ow++) {
            float *restrict dst = j->y + (r * g->wo + ow) * c;
            if (c == 64)
                maxpool_pixel(j, b, oh, ow, 64, dst);
            else
                maxpool_pixel(j, b, oh, ow, c, dst);
        }
    }
}

/* In bands of rows over the pass's threads: after a convolution split over
 * both cores, one core reading all of its output ran slower than on one
 * thread (0.29 -> 0.56 ms for pooling0 at batch 1, 256x256). */
void us_maxpool_forward(const us_conv_geom *g, const float *x, float *y) {
    maxpool_job j = {g, x, y, 0};
    us_parallel_rows(g->n * g->ho, g->wo * g->cin * g->kh * g->kw, maxpool_rows, &j);
}

void us_maxpool_forward_zero_padded(const us_conv_geom *g, const float *x, float *y) {
    maxpool_job j = {g, x, y, 1};
    us_parallel_rows(g->n * g->ho, g->wo * g->cin * g->kh * g->kw, maxpool_rows, &j);
}

/* Bilinear source coordinate with half-pixel centres, clamped at the edges. */
static void bilinear_tap(int64_t o, int64_t f, int64_t in, int64_t *i0, int64_t *i1, float *t) {
    double src = (o + 0.5) / (double)f - 0.5;
    if (src < 0) src = 0;
    int64_t lo = (int64_t)src;
    if (lo > in - 1) lo = in - 1;
    *i0 = lo;
    *i1 = lo + 1 < in ? lo + 1 : in - 1;
    *t = (float)(src - lo);
}

typedef struct upsample_job {
    const float *x;
    int64_t h, w, c, fh, fw;
    int32_t interpolation;
    float *y;
} upsample_job;

/* Output rows [lo, hi) of all images (row r is image r / ho, row r % ho). */
/* Each of w pixels of c channels, fw times over: a nearest-neighbour row.
 * Whole 16-float blocks are copied by fixed-size copies, which compile to
 * vector moves (a loop of c becomes a memcpy call per pixel, which with 16
 * channels costs more than the copy). */
US_VECTOR_CLONES static void repeat_pixels(float *restrict dst, const float *restrict src,
                                           int64_t w, int64_t fw, int64_t c) {
    for (int64_t iw = 0; iw < w; iw++, src += c)
        for (int64_t f = 0; f < fw; f++, dst += c) {
            if (c % 16) {
                memcpy(dst, src, (size_t)c * sizeof(float));
                continue;
            }
            for (int64_t k = 0; k < c; k += 16) memcpy(dst + k, src + k, 16 * sizeof(float));
        }
}

static void upsample_rows(void *arg, int64_t lo, int64_t hi) {
    const upsample_job *j = arg;
    const int64_t h = j->h, w = j->w, c = j->c, fh = j->fh, fw = j->fw;
    const int64_t ho = h * fh, wo = w * fw;
    const float *x = j->x;
    for (int64_t r = lo; r < hi; r++) {
        const int64_t b = r / ho, oh = r % ho;
        if (j->interpolation == UNETSEG_INTERP_NEAREST) {
            float *row = j->y + r * wo * c;
            if (r > lo && oh % fh) /* the same source row as the row above */
                memcpy(row, row - wo * c, (size_t)(wo * c) * sizeof(float));
            else
                repeat_pixels(row, x + (b * h + oh / fh) * w * c, w, fw, c);
            continue;
        }
        for (int64_t ow = 0; ow < wo; ow++) {
            float *dst = j->y + (r * wo + ow) * c;
            int64_t h0, h1, w0, w1;
            float th, tw;
            bilinear_tap(oh, fh, h, &h0, &h1, &th);
            bilinear_tap(ow, fw, w, &w0, &w1, &tw);
            const float *p00 = x + ((b * h + h0) * w + w0) * c;
            const float *p01 = x + ((b * h + h0) * w + w1) * c;
            const float *p10 = x + ((b * h + h1) * w + w0) * c;
            const float *p11 = x + ((b * h + h1) * w + w1) * c;
            for (int64_t k = 0; k < c; k++) {
                float top = p00[k] + (p01[k] - p00[k]) * tw;
                float bot = p10[k] + (p11[k] - p10[k]) * tw;
                dst[k] = top + (bot - top) * th;
            }
        }
    }
}

void us_upsample_forward(const float *x, int64_t n, int64_t h, int64_t w, int64_t c,
                         int64_t fh, int64_t fw, int32_t interpolation, float *y) {
    upsample_job j = {x, h, w, c, fh, fw, interpolation, y};
    us_parallel_rows(n * h * fh, w * fw * c, upsample_rows, &j);
}

void us_zero_pad_backward(const float *dy, int64_t n, int64_t h, int64_t w, int64_t c,
                          int64_t top, int64_t bottom, int64_t left, int64_t right, float *dx) {
    const int64_t ho = h + top + bottom, wo = w + left + right;
    for (int64_t b = 0; b < n; b++)
        for (int64_t i = 0; i < h; i++) {
            const float *src = dy + ((b * ho + i + top) * wo + left) * c;
            float *dst = dx + (b * h + i) * w * c;
            for (int64_t k = 0; k < w * c; k++) dst[k] += src[k];
        }
}

void us_maxpool_backward(const us_conv_geom *g, const float *x, const float *y, const float *dy,
                         float *dx) {
    const int64_t c = g->cin;
    for (int64_t b = 0; b < g->n; b++)
        for (int64_t oh = 0; oh < g->ho; oh++)
            for (int64_t ow = 0; ow < g->wo; ow++) {
                int64_t o = ((b * g->ho + oh) * g->wo + ow) * c;
                for (int64_t k = 0; k < c; k++) {
                    int done = 0;
                    for (int64_t i = 0; i < g->kh && !done; i++) {
                        int64_t ih = oh * g->sh - g->pad_top + i;
                        if (ih < 0 || ih >= g->h) continue;
                        for (int64_t j = 0; j < g->kw && !done; j++) {
                            int64_t iw = ow * g->sw - g->pad_left + j;
                            if (iw < 0 || iw >= g->w) continue;
                            int64_t at = ((b * g->h + ih) * g->w + iw) * c + k;
                            if (x[at] == y[o + k]) {
                                dx[at] += dy[o + k];
                                done = 1;
                            }
                        }
                    }
                }
            }
}

void us_upsample_backward(const float *dy, int64_t n, int64_t h, int64_t w, int64_t c,
                          int64_t fh, int64_t fw, int32_t interpolation, float *dx) {
    const int64_t ho = h * fh, wo = w * fw;
    for (int64_t b = 0; b < n; b++)
        for (int64_t oh = 0; oh < ho; oh++)
            for (int64_t ow = 0; ow < wo; ow++) {
                const float *src = dy + ((b * ho + oh) * wo + ow) * c;
                if (interpolation == UNETSEG_INTERP_NEAREST) {
                    float *dst = dx + ((b * h + oh / fh) * w + ow / fw) * c;
                    for (int64_t k = 0; k < c; k++) dst[k] += src[k];
                    continue;
                }
                int64_t h0, h1, w0, w1;
                float th, tw;
                bilinear_tap(oh, fh, h, &h0, &h1, &th);
                bilinear_tap(ow, fw, w, &w0, &w1, &tw);
                float *p00 = dx + ((b * h + h0) * w + w0) * c, *p01 = dx + ((b * h + h0) * w + w1) * c;
                float *p10 = dx + ((b * h + h1) * w + w0) * c, *p11 = dx + ((b * h + h1) * w + w1) * c;
                for (int64_t k = 0; k < c; k++) {
                    p00[k] += src[k] * (1 - th) * (1 - tw);
                    p01[k] += src[k] * (1 - th) * tw;
                    p10[k] += src[k] * th * (1 - tw);
                    p11[k] += src[k] * th * tw;
                }
            }
}
