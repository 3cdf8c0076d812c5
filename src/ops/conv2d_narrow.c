/* Conv2D with very few output channels (a segmentation head: 16 -> 1).
 * As a GEMM this has 1-4 columns, which OpenBLAS runs at a few GFLOP/s
 * (the head conv of the U-Net took 11 ms of a 360 ms forward). Here each
 * output value is acc[c] = the sum of its taps' x * w for each input
 * channel c, taps in order, then acc[0] + acc[1] + ... in that order.
 *
 * With width stride 1, an output row is computed 16 pixels at a time
 * across vector lanes from "planar" copies of its input rows (channel by
 * channel, zero columns at the edges): every step is a contiguous load and
 * a multiply-add of one weight, and the per-pixel sum over channels is 16
 * vertical additions (AVX-512: in registers, four channels at once, and
 * the rows transposed in 16 x 16 blocks). The same sums one pixel at a
 * time, reduced across a vector, took 1.06 ms for the U-Net head at
 * 256x256 (16 -> 1); this takes 0.52-0.57 (bench_conv, Zen 5, 1 thread).
 * An edge column adds 0 * w = +-0 to a sum that is never -0, which
 * changes no sum of finite values. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cpu.h"
#include "core/error.h"
#include "core/parallel.h"
#include "core/simd.h"
#include "ops/ops.h"

/* Planar rows of the row path: at most this many floats (16 MB); wider
 * images go pixel by pixel. */
#define US_NARROW_MAX_PLANAR ((int64_t)1 << 22)
#define LANES 16 /* output pixels per step of the row path */

typedef struct narrow_job {
    const us_conv_geom *g;
    const float *x, *wt, *bias;
    const us_conv_epilogue *ep;
    float *y;
    int64_t planar_width; /* row path: columns of a planar row (0: pixel path) */
    int avx512_3x3;       /* row path: lane_sums_3x3_avx512 */
    _Atomic int32_t failed; /* a part could not allocate its rows (parts run at once) */
} narrow_job;

/* Bias and epilogue, in the order of separate layers. */
static float finish_value(const narrow_job *j, float v, int64_t co) {
    if (j->bias) v += j->bias[co];
    if (j->ep && j->ep->scale) v = v * j->ep->scale[co] + j->ep->shift[co];
    if (j->ep && j->ep->relu) v = v > 0.0f ? v : 0.0f;
    return v;
}

/* kh planar input rows, reused while the output rows advance: slot
 * ih mod kh holds input row ih of image image[slot] as cin rows of
 * planar_width floats, column col = input column col - pad_left (zero
 * outside the image). */
typedef struct planar_ring {
    float *buf;
    int64_t image[3], row[3]; /* kh <= 3 (us_conv2d_forward_narrow) */
} planar_ring;

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
/* dst[c * pw + q] = src[q * cin + c] for a 16 x 16 block, in registers. */
__attribute__((target("avx512f"))) static void transpose16(const float *src, int64_t cin,
                                                           int64_t pw, float *dst) {
    __m512 r[16], t[16];
#pragma GCC unroll 16
    for (int q = 0; q < 16; q++) r[q] = _mm512_loadu_ps(src + q * cin);
#pragma GCC unroll 8
    for (int q = 0; q < 16; q += 2) {
        t[q] = _mm512_unpacklo_ps(r[q], r[q + 1]);
        t[q + 1] = _mm512_unpackhi_ps(r[q], r[q + 1]);
    }
#pragma GCC unroll 4
    for (int q = 0; q < 16; q += 4)
#pragma GCC unroll 2
        for (int h = 0; h < 2; h++) {
            const __m512d lo = _mm512_castps_pd(t[q + h]), hi = _mm512_castps_pd(t[q + 2 + h]);
            r[q + 2 * h] = _mm512_castpd_ps(_mm512_unpacklo_pd(lo, hi));
            r[q + 2 * h + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(lo, hi));
        }
    /* r[4 i + j], 128-bit lane l: channel 4 l + j of pixels 4 i .. 4 i + 3;
     * gather each channel's four lanes from the four pixel groups */
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {
        const __m512 a0 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x88), a1 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xdd);
        const __m512 b0 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x88), b1 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xdd);
        t[j] = _mm512_shuffle_f32x4(a0, b0, 0x88);
        t[8 + j] = _mm512_shuffle_f32x4(a0, b0, 0xdd);
        t[4 + j] = _mm512_shuffle_f32x4(a1, b1, 0x88);
        t[12 + j] = _mm512_shuffle_f32x4(a1, b1, 0xdd);
    }
#pragma GCC unroll 16
    for (int c = 0; c < 16; c++) _mm512_storeu_ps(dst + c * pw, t[c]);
}
#endif

/* dst[c * pw + iw] = src[iw * cin + c] for iw < cols, c < cin. */
static void to_planar(const float *restrict src, int64_t cin, int64_t cols, int64_t pw,
                      float *restrict dst) {
    int64_t c0 = 0, w_done = 0;
#if defined(__x86_64__) && defined(__GNUC__)
    if (us_cpu_isa() == US_ISA_AVX512) {
        w_done = cols / 16 * 16;
        for (; c0 + 16 <= cin; c0 += 16)
            for (int64_t w0 = 0; w0 < w_done; w0 += 16)
                transpose16(src + w0 * cin + c0, cin, pw, dst + c0 * pw + w0);
    }
#endif
    for (int64_t c = 0; c < cin; c++)
        for (int64_t iw = c < c0 ? w_done : 0; iw < cols; iw++) dst[c * pw + iw] = src[iw * cin + c];
}

static const float *planar_row(const narrow_job *j, planar_ring *ring, int64_t b, int64_t ih) {
    const us_conv_geom *g = j->g;
    const int64_t cin = g->cin, pw = j->planar_width, slot = ih % g->kh;
    float *dst = ring->buf + slot * cin * pw;
    if (ring->image[slot] == b && ring->row[slot] == ih) return dst;
    ring->image[slot] = b;
    ring->row[slot] = ih;
    memset(dst, 0, (size_t)(cin * pw) * sizeof(float));
    const int64_t cols = g->w < pw - g->pad_left ? g->w : pw - g->pad_left;
    to_planar(j->x + (b * g->h + ih) * g->w * cin, cin, cols, pw, dst + g->pad_left);
    return dst;
}

/* sum[q] for LANES output pixels: rows[i] (NULL: tap row i outside the
 * image) at the block's first column, w the (taps, cin) weights of one
 * output channel. */
US_VECTOR_CLONES static void lane_sums(const float *const *rows, int64_t kh, int64_t kw,
                                       int64_t cin, int64_t pw, const float *restrict w,
                                       float *restrict sum) {
    float v[LANES] = {0};
    int64_t c = 0;
    /* four channels at a time: four independent chains of additions */
    for (; c + 4 <= cin; c += 4) {
        float a0[LANES] = {0}, a1[LANES] = {0}, a2[LANES] = {0}, a3[LANES] = {0};
        for (int64_t i = 0; i < kh; i++) {
            if (!rows[i]) continue;
            for (int64_t k = 0; k < kw; k++) {
                const float *restrict xr = rows[i] + c * pw + k, *restrict wk = w + (i * kw + k) * cin + c;
                for (int q = 0; q < LANES; q++) {
                    a0[q] += xr[q] * wk[0];
                    a1[q] += xr[pw + q] * wk[1];
                    a2[q] += xr[2 * pw + q] * wk[2];
                    a3[q] += xr[3 * pw + q] * wk[3];
                }
            }
        }
        for (int q = 0; q < LANES; q++) v[q] = v[q] + a0[q] + a1[q] + a2[q] + a3[q];
    }
    for (; c < cin; c++) {
        float a[LANES] = {0};
        for (int64_t i = 0; i < kh; i++) {
            if (!rows[i]) continue;
            for (int64_t k = 0; k < kw; k++) {
                const float *restrict xr = rows[i] + c * pw + k;
                const float wv = w[(i * kw + k) * cin + c];
                for (int q = 0; q < LANES; q++) a[q] += xr[q] * wv;
            }
        }
        for (int q = 0; q < LANES; q++) v[q] += a[q];
    }
    memcpy(sum, v, sizeof v);
}

#if defined(__x86_64__) && defined(__GNUC__)
/* lane_sums for 3 x 3 kernels, the same operations in the same order,
 * four channels at a time: the plain loop is one chain of dependent
 * additions, at the adder's latency. */
__attribute__((target("avx512f"))) static void lane_sums_3x3_avx512(
    const float *const *rows, int64_t cin, int64_t pw, const float *w, float *sum) {
    __m512 v = _mm512_setzero_ps();
    int64_t c = 0;
    for (; c + 4 <= cin; c += 4) {
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < 3; i++) {
            if (!rows[i]) continue;
#pragma GCC unroll 3
            for (int k = 0; k < 3; k++) {
                const float *xr = rows[i] + c * pw + k, *wk = w + (i * 3 + k) * cin + c;
                a0 = _mm512_add_ps(a0, _mm512_mul_ps(_mm512_loadu_ps(xr), _mm512_set1_ps(wk[0])));
                a1 = _mm512_add_ps(a1, _mm512_mul_ps(_mm512_loadu_ps(xr + pw), _mm512_set1_ps(wk[1])));
                a2 = _mm512_add_ps(a2, _mm512_mul_ps(_mm512_loadu_ps(xr + 2 * pw), _mm512_set1_ps(wk[2])));
                a3 = _mm512_add_ps(a3, _mm512_mul_ps(_mm512_loadu_ps(xr + 3 * pw), _mm512_set1_ps(wk[3])));
            }
        }
        v = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(_mm512_add_ps(v, a0), a1), a2), a3);
    }
    for (; c < cin; c++) {
        __m512 a = _mm512_setzero_ps();
        for (int i = 0; i < 3; i++) {
            if (!rows[i]) continue;
            for (int k = 0; k < 3; k++)
                a = _mm512_add_ps(a, _mm512_mul_ps(_mm512_loadu_ps(rows[i] + c * pw + k),
                                                   _mm512_set1_ps(w[(i * 3 + k) * cin + c])));
        }
        v = _mm512_add_ps(v, a);
    }
    _mm512_storeu_ps(sum, v);
}
#endif

/* Output row r (image r / ho, row r % ho), every channel. */
static void output_row(const narrow_job *j, planar_ring *ring, int64_t r) {
    const us_conv_geom *g = j->g;
    const int64_t b = r / g->ho, oh = r % g->ho, taps = g->kh * g->kw;
    const float *rows[3] = {NULL, NULL, NULL};
    for (int64_t i = 0; i < g->kh; i++) {
        const int64_t ih = oh * g->sh - g->pad_top + i;
        if (ih >= 0 && ih < g->h) rows[i] = planar_row(j, ring, b, ih);
    }
    float *out = j->y + r * g->wo * g->cout;
    for (int64_t ow = 0; ow < g->wo; ow += LANES) {
        const float *block[3];
        for (int64_t i = 0; i < g->kh; i++) block[i] = rows[i] ? rows[i] + ow : NULL;
        const int64_t valid = g->wo - ow < LANES ? g->wo - ow : LANES;
        for (int64_t co = 0; co < g->cout; co++) {
            float sum[LANES];
            const float *w = j->wt + co * taps * g->cin;
#if defined(__x86_64__) && defined(__GNUC__)
            if (j->avx512_3x3)
                lane_sums_3x3_avx512(block, g->cin, j->planar_width, w, sum);
            else
#endif
                lane_sums(block, g->kh, g->kw, g->cin, j->planar_width, w, sum);
            for (int64_t q = 0; q < valid; q++) out[(ow + q) * g->cout + co] = finish_value(j, sum[q], co);
        }
    }
}

/* One output value: the taps inside the image, then bias and epilogue in the
 * order of separate layers. `acc` is cin floats of scratch. */
US_VECTOR_CLONES static float output_value(const narrow_job *j, int64_t b, int64_t oh, int64_t ow, int64_t co,
                          float *restrict acc) {
    const us_conv_geom *g = j->g;
    const int64_t cin = g->cin, taps = g->kh * g->kw;
    for (int64_t c = 0; c < cin; c++) acc[c] = 0.0f;
    for (int64_t i = 0; i < g->kh; i++) {
        int64_t ih = oh * g->sh - g->pad_top + i;
        if (ih < 0 || ih >= g->h) continue;
        for (int64_t k = 0; k < g->kw; k++) {
            int64_t iw = ow * g->sw - g->pad_left + k;
            if (iw < 0 || iw >= g->w) continue;
            const float *restrict xp = j->x + ((b * g->h + ih) * g->w + iw) * cin;
            const float *restrict wp = j->wt + (co * taps + i * g->kw + k) * cin;
            for (int64_t c = 0; c < cin; c++) acc[c] += xp[c] * wp[c];
        }
    }
    float v = 0.0f;
    for (int64_t c = 0; c < cin; c++) v += acc[c];
    return finish_value(j, v, co);
}

/* Output rows [lo, hi) (row r: image r / ho, row r % ho); every value is
 * computed alone, so the split into bands never changes a result. */
static void narrow_rows(void *arg, int64_t lo, int64_t hi) {
    narrow_job *j = arg;
    const us_conv_geom *g = j->g;
    if (j->planar_width) {
        planar_ring ring = {us_malloc_array((size_t)(g->kh * g->cin * j->planar_width), sizeof(float)),
                            {-1, -1, -1}, {-1, -1, -1}};
        if (!ring.buf) {
            j->failed = 1;
            return;
        }
        for (int64_t r = lo; r < hi; r++) output_row(j, &ring, r);
        free(ring.buf);
        return;
    }
    float acc[US_NARROW_MAX_CIN];
    for (int64_t r = lo; r < hi; r++) {
        int64_t b = r / g->ho, oh = r % g->ho;
        float *out = j->y + r * g->wo * g->cout;
        for (int64_t ow = 0; ow < g->wo; ow++)
            for (int64_t co = 0; co < g->cout; co++)
                *out++ = output_value(j, b, oh, ow, co, acc);
    }
}

int us_conv2d_narrow_applies(const us_conv_geom *g) {
    return g->cout <= US_NARROW_MAX_COUT && g->cin <= US_NARROW_MAX_CIN;
}

int32_t us_conv2d_forward_narrow(const us_conv_geom *g, const float *x, const float *kernel,
                                 const float *bias, const us_conv_epilogue *ep, float *y) {
    if (!us_conv2d_narrow_applies(g))
        return us_fail(UNETSEG_E_UNSUPPORTED, "conv2d: too many channels for the narrow kernel");
    const int64_t taps = g->kh * g->kw;
    /* HWIO -> (cout, taps, cin): each tap's weights contiguous over cin */
    float *wt = us_malloc_array((size_t)(g->cout * taps * g->cin), sizeof(float));
    if (!wt) return us_fail(UNETSEG_E_NOMEM, "conv2d: cannot allocate the narrow kernel");
    for (int64_t t = 0; t < taps; t++)
        for (int64_t c = 0; c < g->cin; c++)
            for (int64_t co = 0; co < g->cout; co++)
                wt[(co * taps + t) * g->cin + c] = kernel[(t * g->cin + c) * g->cout + co];
    /* width stride 1: the row path, with planar rows wide enough for
     * whole blocks of LANES outputs and their taps */
    const int64_t pw = (g->wo + LANES - 1) / LANES * LANES + g->kw - 1;
    const int row_path = g->sw == 1 && g->kh <= 3 && g->kh * g->cin * pw <= US_NARROW_MAX_PLANAR;
    narrow_job j = {g, x, wt, bias, ep, y, row_path ? pw : 0,
                    g->kh == 3 && g->kw == 3 && us_cpu_isa() == US_ISA_AVX512, 0};
    us_parallel_rows(g->n * g->ho, g->wo * g->cout * taps * g->cin, narrow_rows, &j);
    free(wt);
    return j.failed ? us_fail(UNETSEG_E_NOMEM, "conv2d: cannot allocate the narrow kernel") : UNETSEG_OK;
}
