/* Conv2D 3x3 stride 1 computed directly, for layers with few channels (the
 * last decoder blocks of a U-Net: 32 -> 16 and 16 -> 16 channels at full
 * resolution). There GEMMs have k = cin = 16-32: Winograd's 16 or 36
 * GEMMs per tile spend more time storing and transforming than
 * multiplying (70-80 GFLOP/s, bench_gemm), while here a block of output
 * pixels x all output channels stays in registers for all 9 x cin terms.
 *
 * Each output row reads 3 input rows copied into a zero-padded buffer (the
 * padding and the image edges cost no branches in the inner loop); with
 * AVX-512, two output rows at a time share their middle input rows
 * (bench_conv, Zen 5, 1 thread: 256x256 32 -> 16 4.24-4.39 -> 3.41-3.68
 * ms, 16 -> 16 2.19-2.29 -> 1.76-1.85 ms). Every
 * output is the sum over k = tap * cin + ci in order, one fused
 * multiply-add per term, in the AVX-512 and the AVX2 kernel alike: the
 * two agree bit for bit, for any thread count. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cpu.h"
#include "core/error.h"
#include "core/parallel.h"
#include "core/scratch.h"
#include "ops/ops.h"

/* What happens to a block's sums on their way to y, in the order of
 * us_conv_finish_row (bias, then scale and shift as a multiply and an add,
 * not a fused multiply-add, then ReLU), or y += sums. */
typedef struct finish {
    const float *bias, *scale, *shift;
    int relu, accumulate;
} finish;

/* The finish of bias and epilogue ep (either may be NULL): an accumulating
 * epilogue adds the sums alone. */
static finish finish_of(const float *bias, const us_conv_epilogue *ep) {
    const int accumulate = ep && ep->accumulate;
    return (finish){accumulate ? NULL : bias, accumulate || !ep ? NULL : ep->scale,
                    accumulate || !ep ? NULL : ep->shift, !accumulate && ep && ep->relu, accumulate};
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define US_DIRECT_KERNELS 1

/* Output pixels per block (the padded rows are this much wider than the
 * output, so a last partial block reads zeros, never past the buffer). */
#define US_DIRECT_PX 12


/* The finish of a block's sums acc[p], stored at y + ystride p. */
__attribute__((target("avx512f,avx2,fma"), always_inline)) static inline void store_avx512(
    const __m512 acc[US_DIRECT_PX], const finish *f, float *y, int px_valid, const int ystride) {
    const __m512 zero = _mm512_setzero_ps();
    const __m512 b = f->bias ? _mm512_loadu_ps(f->bias) : zero;
    const __m512 sc = f->scale ? _mm512_loadu_ps(f->scale) : zero;
    const __m512 sh = f->scale ? _mm512_loadu_ps(f->shift) : zero;
#pragma GCC unroll 12
    for (int p = 0; p < US_DIRECT_PX; p++) {
        if (p >= px_valid) break;
        float *dst = y + p * ystride;
        __m512 r = acc[p];
        if (f->accumulate) {
            _mm512_storeu_ps(dst, _mm512_add_ps(_mm512_loadu_ps(dst), r));
            continue;
        }
        if (f->bias) r = _mm512_add_ps(r, b);
        if (f->scale) r = _mm512_add_ps(_mm512_mul_ps(r, sc), sh);
        if (f->relu) r = _mm512_max_ps(r, zero);
        _mm512_storeu_ps(dst, r);
    }
}

/* A block of PX output pixels x 16 channels of one output row: the sum
 * over the 3 x 3 taps and cin channels, then the finish, stored at y.
 * rows[i] is padded input row i at the block's first pixel; w is HWIO. */
__attribute__((target("avx512f,avx2,fma"))) static void block_avx512(
    const float *const rows[3], int64_t cin, const float *w, const finish *f, float *y,
    int px_valid) {
    __m512 acc[US_DIRECT_PX];
#pragma GCC unroll 12
    for (int p = 0; p < US_DIRECT_PX; p++) acc[p] = _mm512_setzero_ps();
    for (int tap = 0; tap < 9; tap++) {
        const float *x = rows[tap / 3] + (tap % 3) * cin, *wt = w + tap * cin * 16;
        for (int64_t ci = 0; ci < cin; ci++, x++, wt += 16) {
            const __m512 wv = _mm512_loadu_ps(wt);
#pragma GCC unroll 12
            for (int p = 0; p < US_DIRECT_PX; p++)
                acc[p] = _mm512_fmadd_ps(_mm512_set1_ps(x[p * cin]), wv, acc[p]);
        }
    }
    store_avx512(acc, f, y, px_valid, 16);
}

/* The same block in two consecutive output rows at once, from their four
 * input rows rows[0..3]: input rows 1 and 2 serve both, so each broadcast
 * of an input value feeds two multiply-adds (the one-row block spends a
 * load per multiply-add, and the loads, not the multiplies, bound it).
 * Each row's sums still run over (tap, ci) in order: bit-identical. */
__attribute__((target("avx512f,avx2,fma"), always_inline)) static inline void pair_taps(
    __m512 *acc0, __m512 *acc1, const float *row, int64_t cin, const float *w0, const float *w1,
    const int taps) {
    for (int k = 0; k < taps; k++) {
        const float *x = row + k * cin;
        const float *wt0 = w0 ? w0 + k * cin * 16 : NULL, *wt1 = w1 ? w1 + k * cin * 16 : NULL;
        for (int64_t ci = 0; ci < cin; ci++, x++) {
            const __m512 wv0 = wt0 ? _mm512_loadu_ps(wt0 + ci * 16) : _mm512_setzero_ps();
            const __m512 wv1 = wt1 ? _mm512_loadu_ps(wt1 + ci * 16) : _mm512_setzero_ps();
#pragma GCC unroll 12
            for (int p = 0; p < US_DIRECT_PX; p++) {
                const __m512 s = _mm512_set1_ps(x[p * cin]);
                if (wt0) acc0[p] = _mm512_fmadd_ps(s, wv0, acc0[p]);
                if (wt1) acc1[p] = _mm512_fmadd_ps(s, wv1, acc1[p]);
            }
        }
    }
}

__attribute__((target("avx512f,avx2,fma"))) static void pair_avx512(
    const float *const rows[4], int64_t cin, const float *w, const finish *f, float *y0,
    float *y1, int px_valid) {
    __m512 acc0[US_DIRECT_PX], acc1[US_DIRECT_PX];
#pragma GCC unroll 12
    for (int p = 0; p < US_DIRECT_PX; p++) acc0[p] = acc1[p] = _mm512_setzero_ps();
    const int64_t tap_row = 3 * cin * 16; /* floats of one row of taps */
    pair_taps(acc0, acc1, rows[0], cin, w, NULL, 3);
    pair_taps(acc0, acc1, rows[1], cin, w + tap_row, w, 3);
    pair_taps(acc0, acc1, rows[2], cin, w + 2 * tap_row, w + tap_row, 3);
    pair_taps(acc0, acc1, rows[3], cin, NULL, w + 2 * tap_row, 3);
    store_avx512(acc0, f, y0, px_valid, 16);
    store_avx512(acc1, f, y1, px_valid, 16);
}

/* Output rows 2i and 2i + 1 of a conv over a 2x nearest upsampling, at
 * output columns 2j + b for the block's pixels j (us_conv2d_forward_up2):
 * 2 x 2 taps of phase kernels w0 (row 2i) and w1 (row 2i + 1) over
 * rows[0..2], the input before upsampling at rows i - 1, i, i + 1; row i
 * serves both. Outputs are every other pixel: 32 floats apart. */
__attribute__((target("avx512f,avx2,fma"))) static void up2_pair_avx512(
    const float *const rows[3], int64_t cin, const float *w0, const float *w1, const finish *f,
    float *y0, float *y1, int px_valid) {
    __m512 acc0[US_DIRECT_PX], acc1[US_DIRECT_PX];
#pragma GCC unroll 12
    for (int p = 0; p < US_DIRECT_PX; p++) acc0[p] = acc1[p] = _mm512_setzero_ps();
    const int64_t tap_row = 2 * cin * 16;
    pair_taps(acc0, acc1, rows[0], cin, w0, NULL, 2);
    pair_taps(acc0, acc1, rows[1], cin, w0 + tap_row, w1, 2);
    pair_taps(acc0, acc1, rows[2], cin, NULL, w1 + tap_row, 2);
    store_avx512(acc0, f, y0, px_valid, 32);
    store_avx512(acc1, f, y1, px_valid, 32);
}

/* The same with 8-float vectors: 16 registers hold 6 pixels x 16 channels,
 * so a block is done in two parts. */
#define US_DIRECT_AVX2_PX 6
_Static_assert(US_DIRECT_PX == 2 * US_DIRECT_AVX2_PX, "two AVX2 parts make a block");

/* taps x taps kernel taps over rows[0..taps); outputs ystride floats apart. */
__attribute__((target("avx2,fma"), always_inline)) static inline void part_avx2(
    const float *const rows[3], int64_t cin, const float *w, const finish *f, float *y,
    int px_valid, const int taps, const int ystride) {
    __m256 acc[US_DIRECT_AVX2_PX][2];
#pragma GCC unroll 6
    for (int p = 0; p < US_DIRECT_AVX2_PX; p++) acc[p][0] = acc[p][1] = _mm256_setzero_ps();
    for (int tap = 0; tap < taps * taps; tap++) {
        const float *x = rows[tap / taps] + (tap % taps) * cin, *wt = w + tap * cin * 16;
        for (int64_t ci = 0; ci < cin; ci++, x++, wt += 16) {
            const __m256 w0 = _mm256_loadu_ps(wt), w1 = _mm256_loadu_ps(wt + 8);
#pragma GCC unroll 6
            for (int p = 0; p < US_DIRECT_AVX2_PX; p++) {
                const __m256 s = _mm256_set1_ps(x[p * cin]);
                acc[p][0] = _mm256_fmadd_ps(s, w0, acc[p][0]);
                acc[p][1] = _mm256_fmadd_ps(s, w1, acc[p][1]);
            }
        }
    }
    const __m256 zero = _mm256_setzero_ps();
    for (int v = 0; v < 2; v++) {
        const __m256 b = f->bias ? _mm256_loadu_ps(f->bias + 8 * v) : zero;
        const __m256 sc = f->scale ? _mm256_loadu_ps(f->scale + 8 * v) : zero;
        const __m256 sh = f->scale ? _mm256_loadu_ps(f->shift + 8 * v) : zero;
#pragma GCC unroll 6
        for (int p = 0; p < US_DIRECT_AVX2_PX; p++) {
            if (p >= px_valid) break;
            float *dst = y + p * ystride + 8 * v;
            __m256 r = acc[p][v];
            if (f->accumulate) {
                _mm256_storeu_ps(dst, _mm256_add_ps(_mm256_loadu_ps(dst), r));
                continue;
            }
            if (f->bias) r = _mm256_add_ps(r, b);
            if (f->scale) r = _mm256_add_ps(_mm256_mul_ps(r, sc), sh);
            if (f->relu) r = _mm256_max_ps(r, zero);
            _mm256_storeu_ps(dst, r);
        }
    }
}

__attribute__((target("avx2,fma"))) static void block_avx2(const float *const rows[3], int64_t cin,
                                                           const float *w, const finish *f,
                                                           float *y, int px_valid) {
    for (int p0 = 0; p0 < px_valid; p0 += US_DIRECT_AVX2_PX) {
        const float *const shifted[3] = {rows[0] + p0 * cin, rows[1] + p0 * cin, rows[2] + p0 * cin};
        part_avx2(shifted, cin, w, f, y + p0 * 16, px_valid - p0, 3, 16);
    }
}

/* One output row of the upsampled conv (up2_pair_avx512): 2 x 2 taps of
 * phase kernel w over rows[0..1]. */
__attribute__((target("avx2,fma"))) static void up2_block_avx2(const float *const rows[2], int64_t cin,
                                                               const float *w, const finish *f,
                                                               float *y, int px_valid) {
    for (int p0 = 0; p0 < px_valid; p0 += US_DIRECT_AVX2_PX) {
        const float *const shifted[3] = {rows[0] + p0 * cin, rows[1] + p0 * cin, NULL};
        part_avx2(shifted, cin, w, f, y + p0 * 32, px_valid - p0, 2, 32);
    }
}
#endif

typedef void (*block_fn)(const float *const rows[3], int64_t cin, const float *w,
                         const finish *f, float *y, int px_valid);

typedef void (*pair_fn)(const float *const rows[4], int64_t cin, const float *w,
                        const finish *f, float *y0, float *y1, int px_valid);

static pair_fn pair_for_isa(void) {
#ifdef US_DIRECT_KERNELS
    if (us_cpu_isa() == US_ISA_AVX512) return pair_avx512;
#endif
    return NULL;
}

static block_fn block_for_isa(void) {
#ifdef US_DIRECT_KERNELS
    const us_isa isa = us_cpu_isa();
    if (isa == US_ISA_AVX512) return block_avx512;
    if (isa == US_ISA_AVX2) return block_avx2;
#endif
    return NULL;
}

int us_conv2d_direct_applies(const us_conv_geom *g) {
    /* 32 -> 32 channels: as fast as Winograd F(4x4) (bench_conv), so
     * Winograd keeps it; 16 outputs from up to 32 inputs: 2-2.5x faster. */
    return g->kh == 3 && g->kw == 3 && g->sh == 1 && g->sw == 1 && g->cout == 16 &&
           g->cin <= 32 && g->pad_top >= 0 && g->pad_top <= 2 && g->pad_left >= 0 &&
           g->pad_left <= 2 && block_for_isa() != NULL;
}

typedef struct direct_job {
    const us_conv_geom *g;
    const float *x, *kernel;
    finish fin;
    float *y;
    block_fn block;
    pair_fn pair; /* two output rows at once, or NULL */
    int64_t row_width; /* padded row: columns for every block's 12 pixels + 2 */
    int64_t up_h, up_w; /* x is the input before a nearest upsampling by these */
    _Atomic int32_t failed;
} direct_job;

/* Four padded input rows (three for one output row, four for a pair),
 * reused while the output rows advance: slot ih mod 4 holds input row ih
 * of image `image[slot]`, columns from -pad_left, zeros outside the image. */
#define RING_ROWS 4
typedef struct row_ring {
    float *buf;
    int64_t image[RING_ROWS], row[RING_ROWS];
} row_ring;

/* An empty ring of rows of `width` pixels; 0 without memory. */
static int ring_open(row_ring *ring, int64_t width, int64_t cin) {
    *ring = (row_ring){us_scratch_get((size_t)(RING_ROWS * width * cin), sizeof(float)),
                       {-1, -1, -1, -1}, {0, 0, 0, 0}};
    return ring->buf != NULL;
}

/* The slot of row `row` of image b; *fill: it holds another row, which
 * the caller replaces. */
static float *ring_slot(row_ring *ring, int64_t width, int64_t cin, int64_t b, int64_t row,
                        int *fill) {
    const int64_t slot = (row + RING_ROWS) % RING_ROWS;
    *fill = ring->image[slot] != b || ring->row[slot] != row;
    ring->image[slot] = b;
    ring->row[slot] = row;
    return ring->buf + slot * width * cin;
}

static const float *ring_row(const direct_job *j, row_ring *ring, int64_t b, int64_t ih) {
    const us_conv_geom *g = j->g;
    const int64_t cin = g->cin, width = j->row_width;
    int fill;
    float *dst = ring_slot(ring, width, cin, b, ih, &fill);
    if (!fill) return dst;
    if (ih < 0 || ih >= g->h) {
        memset(dst, 0, (size_t)(width * cin) * sizeof(float));
        return dst;
    }
    const int64_t first = g->pad_left; /* buffer column of input column 0 */
    const int64_t cols = g->w < width - first ? g->w : width - first;
    memset(dst, 0, (size_t)(first * cin) * sizeof(float));
    const int64_t src_w = g->w / j->up_w; /* columns of x */
    const float *src = j->x + ((b * (g->h / j->up_h) + ih / j->up_h) * src_w) * cin;
    if (j->up_w == 1) {
        memcpy(dst + first * cin, src, (size_t)(cols * cin) * sizeof(float));
    } else {
        /* nearest upsampling: each source pixel repeated up_w times */
        for (int64_t c = 0; c < cols; c++)
            memcpy(dst + (first + c) * cin, src + (c / j->up_w) * cin, (size_t)cin * sizeof(float));
    }
    memset(dst + (first + cols) * cin, 0, (size_t)((width - first - cols) * cin) * sizeof(float));
    return dst;
}

static void direct_band(void *arg, int64_t lo, int64_t hi) {
    direct_job *j = arg;
    const us_conv_geom *g = j->g;
    const int64_t cin = g->cin, cout = g->cout;
    row_ring ring;
    if (!ring_open(&ring, j->row_width, cin)) {
        j->failed = 1;
        return;
    }
    for (int64_t r = lo; r < hi; r++) {
        const int64_t b = r / g->ho, oh = r % g->ho;
        /* rows r and r + 1 together when both are in this band and image */
        const int pair = j->pair && r + 1 < hi && oh + 1 < g->ho;
        const float *in[RING_ROWS];
        for (int i = 0; i < 3 + pair; i++) in[i] = ring_row(j, &ring, b, oh - g->pad_top + i);
        float *y_row = j->y + r * g->wo * cout;
        for (int64_t ow = 0; ow < g->wo; ow += US_DIRECT_PX) {
            const int valid = (int)(g->wo - ow < US_DIRECT_PX ? g->wo - ow : US_DIRECT_PX);
            const float *const rows[RING_ROWS] = {in[0] + ow * cin, in[1] + ow * cin, in[2] + ow * cin,
                                                  pair ? in[3] + ow * cin : NULL};
            if (pair)
                j->pair(rows, cin, j->kernel, &j->fin, y_row + ow * cout, y_row + (g->wo + ow) * cout, valid);
            else
                j->block(rows, cin, j->kernel, &j->fin, y_row + ow * cout, valid);
        }
        r += pair;
    }
    us_scratch_put(ring.buf);
}

int32_t us_conv2d_forward_direct(const us_conv_geom *g, const float *x, const float *kernel,
                                 const float *bias, const us_conv_epilogue *ep, float *y) {
    return us_conv2d_forward_direct_upsampled(g, 1, 1, x, kernel, bias, ep, y);
}

int32_t us_conv2d_forward_direct_upsampled(const us_conv_geom *g, int64_t up_h, int64_t up_w,
                                           const float *x, const float *kernel, const float *bias,
                                           const us_conv_epilogue *ep, float *y) {
    block_fn block = block_for_isa();
    if (!block || !us_conv2d_direct_applies(g) || up_h < 1 || up_w < 1 || g->h % up_h || g->w % up_w)
        return us_fail(UNETSEG_E_UNSUPPORTED, "conv2d: no direct kernel for this geometry");
    const int64_t blocks = (g->wo + US_DIRECT_PX - 1) / US_DIRECT_PX;
    direct_job j = {g, x, kernel, finish_of(bias, ep), y, block, pair_for_isa(), blocks * US_DIRECT_PX + 2, up_h, up_w, 0};
    us_parallel_rows(g->n * g->ho, g->wo * (3 * g->cin + g->cout), direct_band, &j);
    return j.failed ? us_fail(UNETSEG_E_NOMEM, "conv2d: cannot allocate direct-conv buffers")
                    : UNETSEG_OK;
}

/* A 3x3 'same' conv over a 2x nearest upsampling, by phases: output pixel
 * (2i + a, 2j + b) reads upsampled rows 2i + a - 1 .. 2i + a + 1, which are
 * input rows i - 1, i, i (a = 0) or i, i, i + 1 (a = 1), and the same for
 * columns; so each of the four phases (a, b) is a 2 x 2 conv over the
 * input before upsampling, whose taps are sums of the 3x3 kernel's
 * (phase_kernels): 4 x cin multiply-adds per output channel instead of
 * 9 x cin, from a quarter of the pixels. The sums round differently from
 * the 3x3 conv of the upsampled image (within float rounding of it), the
 * same on every variant and thread count. */
typedef struct up2_job {
    const us_conv_geom *g; /* the conv over the upsampled image */
    const float *x;
    int64_t px_stride, row_stride, image_stride; /* pixels of the image before upsampling in x */
    const float *phases;                         /* phase_kernels */
    finish fin;
    float *y;
    int64_t row_width; /* buffered input row: a zero column either side, every block's 12 pixels */
    _Atomic int32_t failed;
} up2_job;

/* The rows (or columns) of 3x3 taps that phase a's tap r sums: a = 0: {0},
 * {1, 2}; a = 1: {0, 1}, {2}. */
static int first_tap(int a, int r) { return a == 0 ? (r == 0 ? 0 : 1) : (r == 0 ? 0 : 2); }
static int last_tap(int a, int r) { return a == 0 ? (r == 0 ? 0 : 2) : (r == 0 ? 1 : 2); }

/* out[((a * 2 + b) * 4 + r * 2 + c) * cin * 16 + ci * 16 + co]: phase (a, b)'s
 * tap (r, c), summed row by row of the 3x3 kernel w (HWIO, 16 outputs). */
static void phase_kernels(const float *w, int64_t cin, float *out) {
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++)
            for (int r = 0; r < 2; r++)
                for (int c = 0; c < 2; c++) {
                    float *dst = out + ((a * 2 + b) * 4 + r * 2 + c) * cin * 16;
                    for (int64_t k = 0; k < cin * 16; k++) {
                        float sum = 0.0f;
                        int first = 1;
                        for (int dy = first_tap(a, r); dy <= last_tap(a, r); dy++)
                            for (int dx = first_tap(b, c); dx <= last_tap(b, c); dx++) {
                                const float v = w[(dy * 3 + dx) * cin * 16 + k];
                                sum = first ? v : sum + v;
                                first = 0;
                            }
                        dst[k] = sum;
                    }
                }
}

/* Input row i of image b (before upsampling) into ring slot i mod 4, zeros
 * outside the image: buffer column c holds input column c - 1. */
static const float *up2_row(const up2_job *j, row_ring *ring, int64_t b, int64_t i) {
    const int64_t cin = j->g->cin, width = j->row_width, in_w = j->g->w / 2;
    int fill;
    float *dst = ring_slot(ring, width, cin, b, i, &fill);
    if (!fill) return dst;
    memset(dst, 0, (size_t)(width * cin) * sizeof(float));
    if (i < 0 || i >= j->g->h / 2) return dst;
    const float *src = j->x + b * j->image_stride + i * j->row_stride;
    if (j->px_stride == cin)
        memcpy(dst + cin, src, (size_t)(in_w * cin) * sizeof(float));
    else
        for (int64_t c = 0; c < in_w; c++)
            memcpy(dst + (c + 1) * cin, src + c * j->px_stride, (size_t)cin * sizeof(float));
    return dst;
}

/* Pairs of output rows [lo, hi) (pair r: rows 2i, 2i + 1 of image r / (h / 2)). */
static void up2_band(void *arg, int64_t lo, int64_t hi) {
    up2_job *j = arg;
    const us_conv_geom *g = j->g;
    const int64_t cin = g->cin, in_h = g->h / 2, in_w = g->w / 2, phase = 4 * cin * 16;
    const int avx512 = us_cpu_isa() == US_ISA_AVX512;
    row_ring ring;
    if (!ring_open(&ring, j->row_width, cin)) {
        j->failed = 1;
        return;
    }
    for (int64_t r = lo; r < hi; r++) {
        const int64_t b = r / in_h, i = r % in_h;
        const float *in[3];
        for (int k = 0; k < 3; k++) in[k] = up2_row(j, &ring, b, i - 1 + k);
        float *y0 = j->y + (b * g->ho + 2 * i) * g->wo * 16, *y1 = y0 + g->wo * 16;
        for (int pb = 0; pb < 2; pb++) /* output columns 2j + pb */
            for (int64_t j0 = 0; j0 < in_w; j0 += US_DIRECT_PX) {
                const int valid = (int)(in_w - j0 < US_DIRECT_PX ? in_w - j0 : US_DIRECT_PX);
                /* input column j0 + pb - 1 is buffer column j0 + pb */
                const float *const rows[3] = {in[0] + (j0 + pb) * cin, in[1] + (j0 + pb) * cin,
                                              in[2] + (j0 + pb) * cin};
                const float *w0 = j->phases + pb * phase, *w1 = j->phases + (2 + pb) * phase;
                float *out0 = y0 + (2 * j0 + pb) * 16, *out1 = y1 + (2 * j0 + pb) * 16;
#ifdef US_DIRECT_KERNELS
                if (avx512) {
                    up2_pair_avx512(rows, cin, w0, w1, &j->fin, out0, out1, valid);
                } else {
                    up2_block_avx2(rows, cin, w0, &j->fin, out0, valid);
                    up2_block_avx2(rows + 1, cin, w1, &j->fin, out1, valid);
                }
#else
                (void)avx512, (void)rows, (void)w0, (void)w1, (void)out0, (void)out1, (void)valid;
#endif
            }
    }
    us_scratch_put(ring.buf);
}

int us_conv2d_up2_applies(const us_conv_geom *g) {
    return us_conv2d_direct_applies(g) && g->pad_top == 1 && g->pad_left == 1 && g->h % 2 == 0 &&
           g->w % 2 == 0 && g->ho == g->h && g->wo == g->w;
}

int32_t us_conv2d_forward_up2(const us_conv_geom *g, const float *x, int from_upsampled,
                              const float *kernel, const float *bias, const us_conv_epilogue *ep,
                              float *y) {
    if (!us_conv2d_up2_applies(g))
        return us_fail(UNETSEG_E_UNSUPPORTED, "conv2d: no upsampled-input kernel for this geometry");
    const int64_t cin = g->cin, in_w = g->w / 2, in_h = g->h / 2;
    float *phases = us_malloc_array((size_t)(16 * cin * 16), sizeof(float));
    if (!phases) return us_fail(UNETSEG_E_NOMEM, "conv2d: cannot allocate phase kernels");
    phase_kernels(kernel, cin, phases);
    /* the image before upsampling is x itself, or every other row and
     * column of the upsampled x */
    const int64_t s = from_upsampled ? 2 : 1;
    up2_job j = {g, x, s * cin, s * s * in_w * cin, s * s * in_h * in_w * cin, phases,
                 finish_of(bias, ep), y,
                 (in_w + US_DIRECT_PX - 1) / US_DIRECT_PX * US_DIRECT_PX + 2, 0};
    us_parallel_rows(g->n * in_h, g->w * (3 * cin + 2 * g->cout), up2_band, &j);
    free(phases);
    return j.failed ? us_fail(UNETSEG_E_NOMEM, "conv2d: cannot allocate direct-conv buffers")
                    : UNETSEG_OK;
}
