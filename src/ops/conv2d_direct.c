/* Conv2D 3x3 stride 1 computed directly, for layers with few channels (the
 * last decoder blocks of a U-Net: 32 -> 16 and 16 -> 16 channels at full
 * resolution). There GEMMs have k = cin = 16-32: Winograd's 16 or 36
 * GEMMs per tile spend more time storing and transforming than
 * multiplying (70-80 GFLOP/s, bench_gemm), while here a block of output
 * pixels x all output channels stays in registers for all 9 x cin terms.
 *
 * Each output row reads 3 input rows copied into a zero-padded buffer (the
 * padding and the image edges cost no branches in the inner loop). Every
 * output is the sum over k = tap * cin + ci in order, one fused
 * multiply-add per term, in the AVX-512 and the AVX2 kernel alike: the
 * two agree bit for bit, for any thread count. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cpu.h"
#include "core/error.h"
#include "core/parallel.h"
#include "ops/ops.h"

/* What happens to a block's sums on their way to y, in the order of
 * us_conv_finish_row (bias, then scale and shift as a multiply and an add,
 * not a fused multiply-add, then ReLU), or y += sums. */
typedef struct finish {
    const float *bias, *scale, *shift;
    int relu, accumulate;
} finish;

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define US_DIRECT_KERNELS 1

/* Output pixels per block (the padded rows are this much wider than the
 * output, so a last partial block reads zeros, never past the buffer). */
#define US_DIRECT_PX 12


/* PX pixels x 16 * NB channels of one output row: acc = sum over the 3 x 3
 * taps and cin channels. rows[i] is padded input row i at the block's
 * first pixel; w is HWIO. */
#define DIRECT_BLOCK_AVX512(NB)                                                                     \
    __attribute__((target("avx512f,avx2,fma"))) static void block_avx512_##NB(                    \
        const float *const rows[3], int64_t cin, const float *w, const finish *f, float *y,        \
        int px_valid) {                                                                            \
        __m512 acc[US_DIRECT_PX][NB];                                                              \
        for (int p = 0; p < US_DIRECT_PX; p++)                                                     \
            for (int v = 0; v < NB; v++) acc[p][v] = _mm512_setzero_ps();                         \
        for (int tap = 0; tap < 9; tap++) {                                                        \
            const float *x = rows[tap / 3] + (tap % 3) * cin;                                      \
            const float *wt = w + tap * cin * 16 * NB;                                             \
            for (int64_t ci = 0; ci < cin; ci++, x++, wt += 16 * NB) {                             \
                __m512 wv[NB];                                                                     \
                for (int v = 0; v < NB; v++) wv[v] = _mm512_loadu_ps(wt + 16 * v);                 \
                _Pragma("GCC unroll 12") for (int p = 0; p < US_DIRECT_PX; p++) {                 \
                    __m512 s = _mm512_set1_ps(x[p * cin]);                                         \
                    _Pragma("GCC unroll 2") for (int v = 0; v < NB; v++)                            \
                        acc[p][v] = _mm512_fmadd_ps(s, wv[v], acc[p][v]);                          \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        const __m512 zero = _mm512_setzero_ps();                                                   \
        for (int v = 0; v < NB; v++) {                                                             \
            const __m512 b = f->bias ? _mm512_loadu_ps(f->bias + 16 * v) : zero;                   \
            const __m512 sc = f->scale ? _mm512_loadu_ps(f->scale + 16 * v) : zero;                \
            const __m512 sh = f->scale ? _mm512_loadu_ps(f->shift + 16 * v) : zero;                \
            _Pragma("GCC unroll 12") for (int p = 0; p < US_DIRECT_PX; p++) {                     \
                if (p >= px_valid) break;                                                          \
                float *dst = y + (p * NB + v) * 16;                                                \
                __m512 r = acc[p][v];                                                              \
                if (f->accumulate) {                                                               \
                    _mm512_storeu_ps(dst, _mm512_add_ps(_mm512_loadu_ps(dst), r));                 \
                    continue;                                                                      \
                }                                                                                  \
                if (f->bias) r = _mm512_add_ps(r, b);                                              \
                if (f->scale) r = _mm512_add_ps(_mm512_mul_ps(r, sc), sh);                         \
                if (f->relu) r = _mm512_max_ps(r, zero);                                           \
                _mm512_storeu_ps(dst, r);                                                          \
            }                                                                                      \
        }                                                                                          \
    }
DIRECT_BLOCK_AVX512(1)
DIRECT_BLOCK_AVX512(2)

/* The same with 8-float vectors: 16 registers hold 6 pixels x 16 channels
 * (or 3 x 32), so a block is done in parts of that many pixels. */
#define DIRECT_BLOCK_AVX2(NB, PX)                                                                   \
    __attribute__((target("avx2,fma"))) static void part_avx2_##NB(                               \
        const float *const rows[3], int64_t cin, const float *w, const finish *f, float *y,        \
        int px_valid) {                                                                            \
        __m256 acc[PX][2 * NB];                                                                    \
        for (int p = 0; p < PX; p++)                                                               \
            for (int v = 0; v < 2 * NB; v++) acc[p][v] = _mm256_setzero_ps();                     \
        for (int tap = 0; tap < 9; tap++) {                                                        \
            const float *x = rows[tap / 3] + (tap % 3) * cin;                                      \
            const float *wt = w + tap * cin * 16 * NB;                                             \
            for (int64_t ci = 0; ci < cin; ci++, x++, wt += 16 * NB) {                             \
                __m256 wv[2 * NB];                                                                 \
                for (int v = 0; v < 2 * NB; v++) wv[v] = _mm256_loadu_ps(wt + 8 * v);             \
                _Pragma("GCC unroll 6") for (int p = 0; p < PX; p++) {                             \
                    __m256 s = _mm256_set1_ps(x[p * cin]);                                         \
                    _Pragma("GCC unroll 4") for (int v = 0; v < 2 * NB; v++)                       \
                        acc[p][v] = _mm256_fmadd_ps(s, wv[v], acc[p][v]);                          \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        const __m256 zero = _mm256_setzero_ps();                                                   \
        for (int v = 0; v < 2 * NB; v++) {                                                         \
            const __m256 b = f->bias ? _mm256_loadu_ps(f->bias + 8 * v) : zero;                    \
            const __m256 sc = f->scale ? _mm256_loadu_ps(f->scale + 8 * v) : zero;                 \
            const __m256 sh = f->scale ? _mm256_loadu_ps(f->shift + 8 * v) : zero;                 \
            _Pragma("GCC unroll 6") for (int p = 0; p < PX; p++) {                                 \
                if (p >= px_valid) break;                                                          \
                float *dst = y + (p * 2 * NB + v) * 8;                                             \
                __m256 r = acc[p][v];                                                              \
                if (f->accumulate) {                                                               \
                    _mm256_storeu_ps(dst, _mm256_add_ps(_mm256_loadu_ps(dst), r));                 \
                    continue;                                                                      \
                }                                                                                  \
                if (f->bias) r = _mm256_add_ps(r, b);                                              \
                if (f->scale) r = _mm256_add_ps(_mm256_mul_ps(r, sc), sh);                         \
                if (f->relu) r = _mm256_max_ps(r, zero);                                           \
                _mm256_storeu_ps(dst, r);                                                          \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    static void block_avx2_##NB(const float *const rows[3], int64_t cin, const float *w,           \
                                const finish *f, float *y, int px_valid) {                         \
        for (int p0 = 0; p0 < px_valid; p0 += PX) {                                                \
            const float *const shifted[3] = {rows[0] + p0 * cin, rows[1] + p0 * cin,               \
                                             rows[2] + p0 * cin};                                  \
            part_avx2_##NB(shifted, cin, w, f, y + p0 * 16 * NB, px_valid - p0);                   \
        }                                                                                          \
    }
DIRECT_BLOCK_AVX2(1, 6)
DIRECT_BLOCK_AVX2(2, 3)
_Static_assert(US_DIRECT_PX % 6 == 0, "AVX2 parts of 6 and 3 pixels tile a block");
#endif

typedef void (*block_fn)(const float *const rows[3], int64_t cin, const float *w,
                         const finish *f, float *y, int px_valid);

static block_fn block_for(int64_t cout) {
#ifdef US_DIRECT_KERNELS
    const us_isa isa = us_cpu_isa();
    if (isa == US_ISA_AVX512) return cout == 16 ? block_avx512_1 : block_avx512_2;
    if (isa == US_ISA_AVX2) return cout == 16 ? block_avx2_1 : block_avx2_2;
#endif
    (void)cout;
    return NULL;
}

int us_conv2d_direct_applies(const us_conv_geom *g) {
    /* 32 -> 32 channels: as fast as Winograd F(4x4) (bench_conv), so
     * Winograd keeps it; 16 outputs from up to 32 inputs: 2-2.5x faster. */
    return g->kh == 3 && g->kw == 3 && g->sh == 1 && g->sw == 1 && g->cout == 16 &&
           g->cin <= 32 && g->pad_top >= 0 && g->pad_top <= 2 && g->pad_left >= 0 &&
           g->pad_left <= 2 && block_for(g->cout) != NULL;
}

typedef struct direct_job {
    const us_conv_geom *g;
    const float *x, *kernel;
    finish fin;
    float *y;
    block_fn block;
    int64_t row_width; /* padded row: columns for every block's 12 pixels + 2 */
    _Atomic int32_t failed;
} direct_job;

/* Three padded input rows, reused while the output rows advance: slot
 * ih mod 3 holds input row ih of image `image[slot]`, columns from
 * -pad_left, zeros outside the image. */
typedef struct row_ring {
    float *buf;
    int64_t image[3], row[3];
} row_ring;

static const float *ring_row(const direct_job *j, row_ring *ring, int64_t b, int64_t ih) {
    const us_conv_geom *g = j->g;
    const int64_t cin = g->cin, width = j->row_width, slot = (ih + 3) % 3;
    float *dst = ring->buf + slot * width * cin;
    if (ring->image[slot] == b && ring->row[slot] == ih) return dst;
    ring->image[slot] = b;
    ring->row[slot] = ih;
    if (ih < 0 || ih >= g->h) {
        memset(dst, 0, (size_t)(width * cin) * sizeof(float));
        return dst;
    }
    const int64_t first = g->pad_left; /* buffer column of input column 0 */
    const int64_t cols = g->w < width - first ? g->w : width - first;
    memset(dst, 0, (size_t)(first * cin) * sizeof(float));
    memcpy(dst + first * cin, j->x + ((b * g->h + ih) * g->w) * cin, (size_t)(cols * cin) * sizeof(float));
    memset(dst + (first + cols) * cin, 0, (size_t)((width - first - cols) * cin) * sizeof(float));
    return dst;
}

static void direct_band(void *arg, int64_t lo, int64_t hi) {
    direct_job *j = arg;
    const us_conv_geom *g = j->g;
    const int64_t cin = g->cin, cout = g->cout;
    row_ring ring = {us_malloc_array((size_t)(3 * j->row_width * cin), sizeof(float)),
                     {-1, -1, -1}, {0, 0, 0}};
    if (!ring.buf) {
        j->failed = 1;
        return;
    }
    for (int64_t r = lo; r < hi; r++) {
        const int64_t b = r / g->ho, oh = r % g->ho;
        const float *row0 = ring_row(j, &ring, b, oh - g->pad_top);
        const float *row1 = ring_row(j, &ring, b, oh - g->pad_top + 1);
        const float *row2 = ring_row(j, &ring, b, oh - g->pad_top + 2);
        float *y_row = j->y + r * g->wo * cout;
        for (int64_t ow = 0; ow < g->wo; ow += US_DIRECT_PX) {
            const int valid = (int)(g->wo - ow < US_DIRECT_PX ? g->wo - ow : US_DIRECT_PX);
            const float *const rows[3] = {row0 + ow * cin, row1 + ow * cin, row2 + ow * cin};
            j->block(rows, cin, j->kernel, &j->fin, y_row + ow * cout, valid);
        }
    }
    free(ring.buf);
}

int32_t us_conv2d_forward_direct(const us_conv_geom *g, const float *x, const float *kernel,
                                 const float *bias, const us_conv_epilogue *ep, float *y) {
    block_fn block = block_for(g->cout);
    if (!block || !us_conv2d_direct_applies(g))
        return us_fail(UNETSEG_E_UNSUPPORTED, "conv2d: no direct kernel for this geometry");
    const int64_t blocks = (g->wo + US_DIRECT_PX - 1) / US_DIRECT_PX;
    const int accumulate = ep && ep->accumulate;
    const finish fin = {accumulate ? NULL : bias, accumulate || !ep ? NULL : ep->scale,
                        accumulate || !ep ? NULL : ep->shift, !accumulate && ep && ep->relu,
                        accumulate};
    direct_job j = {g, x, kernel, fin, y, block, blocks * US_DIRECT_PX + 2, 0};
    us_parallel_rows(g->n * g->ho, g->wo * (3 * g->cin + g->cout), direct_band, &j);
    return j.failed ? us_fail(UNETSEG_E_NOMEM, "conv2d: cannot allocate direct-conv buffers")
                    : UNETSEG_OK;
}
