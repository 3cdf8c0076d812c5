/* Conv2D with 1-4 input channels and 64 output channels computed directly:
 * the ResNet stem (7x7, stride 2, RGB -> 64). As im2col + GEMM its k is
 * only kh * kw * cin = 147, and gathering the patches costs about as much
 * as the multiply. Here a block
 * of 4 output pixels x 64 channels stays in 16 registers for all k terms,
 * reading padded input rows in place.
 *
 * Each output is the sum over k = (ky, kx, ci) in order, one fused
 * multiply-add per term from zero, then bias, scale and shift, ReLU in the
 * order of us_conv_finish_row: the im2col GEMM's sums exactly (one block
 * of k, gemm_tile.h), so the two paths agree bit for bit. AVX-512 only;
 * other CPUs keep im2col. bench_conv conv0 (256x256 input), Zen 5, 1 thread,
 * interleaved: im2col 2.58-2.78 ms, this 1.53-1.73 ms. */
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "core/error.h"
#include "core/parallel.h"
#include "core/scratch.h"
#include "ops/gemm_tile.h"
#include "ops/ops.h"

#define STEM_COUT 64
#define STEM_MAX_CIN 4
#define STEM_MAX_K 7
#define STEM_PX 4      /* output pixels per block */
#define RING_ROWS 8    /* >= kh + stride - 1: the rows of one output row, and the next */
_Static_assert(STEM_MAX_K * STEM_MAX_K * STEM_MAX_CIN <= US_GEMM_KC,
               "im2col's GEMM sums all k in one block, as the stem does");

typedef struct stem_job {
    const us_conv_geom *g;
    const float *x, *kernel, *bias;
    const us_conv_epilogue *ep;
    float *y;
    int64_t row_width; /* padded row, in pixels: every block's reads + kw */
    _Atomic int32_t failed;
} stem_job;

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define US_STEM_KERNEL 1

/* One block: rows[ky] is padded input row ky of the window at the block's
 * first pixel; w is HWIO with 64 output channels. */
__attribute__((target("avx512f,avx2,fma"))) static void block_avx512(
    const stem_job *j, const float *const *rows, float *y, int px_valid) {
    const us_conv_geom *g = j->g;
    const int64_t cin = g->cin, step = g->sw * cin;
    __m512 acc[STEM_PX][4];
#pragma GCC unroll 4
    for (int p = 0; p < STEM_PX; p++) acc[p][0] = acc[p][1] = acc[p][2] = acc[p][3] = _mm512_setzero_ps();
    const float *w = j->kernel;
    for (int64_t ky = 0; ky < g->kh; ky++)
        for (int64_t kx = 0; kx < g->kw; kx++) {
            const float *x = rows[ky] + kx * cin;
            for (int64_t ci = 0; ci < cin; ci++, x++, w += STEM_COUT) {
                const __m512 w0 = _mm512_loadu_ps(w), w1 = _mm512_loadu_ps(w + 16);
                const __m512 w2 = _mm512_loadu_ps(w + 32), w3 = _mm512_loadu_ps(w + 48);
#pragma GCC unroll 4
                for (int p = 0; p < STEM_PX; p++) {
                    const __m512 s = _mm512_set1_ps(x[p * step]);
                    acc[p][0] = _mm512_fmadd_ps(s, w0, acc[p][0]);
                    acc[p][1] = _mm512_fmadd_ps(s, w1, acc[p][1]);
                    acc[p][2] = _mm512_fmadd_ps(s, w2, acc[p][2]);
                    acc[p][3] = _mm512_fmadd_ps(s, w3, acc[p][3]);
                }
            }
        }
    const us_conv_epilogue *ep = j->ep;
    const __m512 zero = _mm512_setzero_ps();
    for (int p = 0; p < px_valid; p++)
        for (int v = 0; v < 4; v++) {
            __m512 r = acc[p][v];
            if (j->bias) r = _mm512_add_ps(r, _mm512_loadu_ps(j->bias + 16 * v));
            if (ep && ep->scale)
                r = _mm512_add_ps(_mm512_mul_ps(r, _mm512_loadu_ps(ep->scale + 16 * v)),
                                  _mm512_loadu_ps(ep->shift + 16 * v));
            if (ep && ep->relu) r = _mm512_max_ps(r, zero);
            _mm512_storeu_ps(y + p * STEM_COUT + 16 * v, r);
        }
}
#endif

int us_conv2d_stem_applies(const us_conv_geom *g) {
#ifdef US_STEM_KERNEL
    return g->cout == STEM_COUT && g->cin <= STEM_MAX_CIN && g->kh <= STEM_MAX_K &&
           g->kw <= STEM_MAX_K && g->sh >= 1 && g->sh <= 2 && g->sw >= 1 && g->sw <= 2 &&
           g->pad_top >= 0 && g->pad_left >= 0 && g->pad_left < g->kw &&
           us_cpu_isa() == US_ISA_AVX512;
#else
    (void)g;
    return 0;
#endif
}

/* Input row ih of image b into the ring (zeros outside the image). */
static const float *ring_row(const stem_job *j, float *buf, int64_t *tag, int64_t b, int64_t ih) {
    const us_conv_geom *g = j->g;
    const int64_t cin = g->cin, width = j->row_width;
    const int64_t slot = ((ih % RING_ROWS) + RING_ROWS) % RING_ROWS, key = b * (g->h + 2 * STEM_MAX_K) + ih;
    float *dst = buf + slot * width * cin;
    if (tag[slot] == key) return dst;
    tag[slot] = key;
    memset(dst, 0, (size_t)(width * cin) * sizeof(float));
    if (ih >= 0 && ih < g->h) {
        const int64_t cols = g->w < width - g->pad_left ? g->w : width - g->pad_left;
        memcpy(dst + g->pad_left * cin, j->x + (b * g->h + ih) * g->w * cin, (size_t)(cols * cin) * sizeof(float));
    }
    return dst;
}

static void stem_band(void *arg, int64_t lo, int64_t hi) {
    stem_job *j = arg;
    const us_conv_geom *g = j->g;
    const int64_t cin = g->cin;
    float *buf = us_scratch_get((size_t)(RING_ROWS * j->row_width * cin), sizeof(float));
    if (!buf) {
        j->failed = 1;
        return;
    }
    int64_t tag[RING_ROWS];
    for (int i = 0; i < RING_ROWS; i++) tag[i] = INT64_MIN;
    for (int64_t r = lo; r < hi; r++) {
        const int64_t b = r / g->ho, oh = r % g->ho;
        const float *rows[STEM_MAX_K], *block[STEM_MAX_K];
        for (int64_t ky = 0; ky < g->kh; ky++) rows[ky] = ring_row(j, buf, tag, b, oh * g->sh - g->pad_top + ky);
        float *y_row = j->y + r * g->wo * STEM_COUT;
        for (int64_t ow = 0; ow < g->wo; ow += STEM_PX) {
            const int valid = (int)(g->wo - ow < STEM_PX ? g->wo - ow : STEM_PX);
            for (int64_t ky = 0; ky < g->kh; ky++) block[ky] = rows[ky] + ow * g->sw * cin;
#ifdef US_STEM_KERNEL
            block_avx512(j, block, y_row + ow * STEM_COUT, valid);
#endif
        }
    }
    us_scratch_put(buf);
}

int32_t us_conv2d_forward_stem(const us_conv_geom *g, const float *x, const float *kernel,
                               const float *bias, const us_conv_epilogue *ep, float *y) {
    if (!us_conv2d_stem_applies(g))
        return us_fail(UNETSEG_E_UNSUPPORTED, "conv2d: no stem kernel for this geometry");
    if (ep && ep->accumulate)
        return us_fail(UNETSEG_E_UNSUPPORTED, "conv2d: the stem kernel does not accumulate");
    const int64_t blocks = (g->wo + STEM_PX - 1) / STEM_PX;
    /* the last block's last pixel reads up to column (4 blocks - 1) * sw + kw - 1 */
    stem_job j = {g, x, kernel, bias, ep, y, (blocks * STEM_PX - 1) * g->sw + g->kw, 0};
    us_parallel_rows(g->n * g->ho, g->wo * (g->kh * g->kw * g->cin + STEM_COUT), stem_band, &j);
    return j.failed ? us_fail(UNETSEG_E_NOMEM, "conv2d: cannot allocate stem buffers") : UNETSEG_OK;
}
