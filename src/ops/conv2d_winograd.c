/* Conv2D 3x3 stride 1 by Winograd F(4x4, 3x3) (Lavin & Gray 2015): each 4x4
 * output tile is A^T [(G g G^T) . (B^T d B)] A over a 6x6 input tile. The
 * element-wise product over the 36 positions becomes 36 GEMMs
 * (tiles x cin) . (cin x cout): 4x fewer multiply-adds than im2col + GEMM
 * (F(2x2, 3x3): 2.25x). A tile of one channel is transformed in registers
 * and the loop over channels vectorises (NHWC keeps a pixel's channels
 * contiguous).
 * Chunks of tiles are independent, so threads take whole chunks; chunk
 * boundaries depend on the shape only, so results never depend on the
 * thread count. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/parallel.h"
#include "core/simd.h"
#include "ops/ops.h"

#define US_WINO_POS 36 /* 6x6 transformed positions */

/* Tiles per chunk: V and M hold 36 x tiles x channels floats each (about
 * 1 MB: the working set of one chunk stays in L2). */
#define US_WINO_TARGET_FLOATS ((int64_t)1 << 18)

/* o[a] = (G g)[a] for a 3-point g with stride s (output stride t), G =
 * [[1/4,0,0],[-1/6,-1/6,-1/6],[-1/6,1/6,-1/6],[1/24,1/12,1/6],[1/24,-1/12,1/6],[0,0,1]]. */
static inline __attribute__((always_inline)) void g3(const float *g, float *o, int s, int t) {
    const float sixth = 1.0f / 6.0f, twelfth = 1.0f / 12.0f, twentyfourth = 1.0f / 24.0f;
    float even = g[0] + g[2 * s];
    o[0 * t] = g[0] * 0.25f;
    o[1 * t] = -(even + g[1 * s]) * sixth;
    o[2 * t] = -(even - g[1 * s]) * sixth;
    o[3 * t] = g[0] * twentyfourth + g[1 * s] * twelfth + g[2 * s] * sixth;
    o[4 * t] = g[0] * twentyfourth - g[1 * s] * twelfth + g[2 * s] * sixth;
    o[5 * t] = g[2 * s];
}

/* The 36 planes U[p] (cin x cout each), each packed for us_sgemm_packed. */
int64_t us_winograd_kernel_floats(int64_t cin, int64_t cout) {
    return US_WINO_POS * us_gemm_packed_floats(cin, cout);
}

typedef struct kernel_job {
    const float *kernel;
    float *u;
    int64_t cin, cout, width, panels, packed; /* U[p] packed in panels of `width` columns */
} kernel_job;

/* U[p] = (G g G^T)[p] for the 36 positions p, each a cin x cout matrix; g is
 * the HWIO kernel (plane i * 3 + j is tap (i, j)). U is written straight in
 * the GEMM's packed layout (us_gemm_pack_width); rows [lo, hi) of (input
 * channel, panel) pairs: the loop over a panel's columns vectorises, each
 * element's 3x3 -> 6x6 stays in registers. */
US_VECTOR_CLONES static void kernel_band(void *arg, int64_t lo, int64_t hi) {
    const kernel_job *j = arg;
    const float *kernel = j->kernel;
    float *restrict u = j->u;
    const int64_t plane = j->cin * j->cout, width = j->width, packed = j->packed;
    for (int64_t r = lo; r < hi; r++) {
        const int64_t ci = r / j->panels, col0 = (r % j->panels) * width;
        const int64_t cols = j->cout - col0 < width ? j->cout - col0 : width;
        const float *g0 = kernel + ci * j->cout + col0;
        float *restrict u0 = u + col0 * j->cin + ci * width; /* panel col0 / width, row ci */
US_IVDEP
        for (int64_t q = 0; q < cols; q++) {
            float g[9], t[18], o[36];
#pragma GCC unroll 9
            for (int i = 0; i < 9; i++) g[i] = g0[i * plane + q];
#pragma GCC unroll 3
            for (int c = 0; c < 3; c++) g3(g + c, t + c, 3, 3); /* t = G g (6 x 3) */
#pragma GCC unroll 6
            for (int a = 0; a < 6; a++) g3(t + 3 * a, o + 6 * a, 1, 1); /* o = t G^T */
#pragma GCC unroll 36
            for (int p = 0; p < 36; p++) u0[p * packed + q] = o[p];
        }
        for (int p = 0; p < 36; p++) /* a last panel's missing columns are zeros */
            for (int64_t q = cols; q < width; q++) u0[p * packed + q] = 0.0f;
    }
}

void us_winograd_transform_kernel(const float *kernel, int64_t cin, int64_t cout, float *u) {
    const int64_t width = us_gemm_pack_width(cout);
    kernel_job j = {kernel, u, cin, cout, width, (cout + width - 1) / width,
                    us_gemm_packed_floats(cin, cout)};
    us_parallel_rows(cin * j.panels, (9 + US_WINO_POS) * width, kernel_band, &j);
}

/* The 6-point transforms on values in registers. B^T =
 * [[4,0,-5,0,1,0],[0,-4,-4,1,1,0],[0,4,-4,-1,1,0],[0,-2,-1,2,1,0],[0,2,-1,-2,1,0],[0,4,0,-5,0,1]]
 * and A^T = [[1,1,1,1,1,0],[0,1,-1,2,-2,0],[0,1,1,4,4,0],[0,1,-1,8,-8,1]]; `s` is
 * the stride between the 6 points in d and o. */
static inline __attribute__((always_inline)) void bt6(const float *d, float *o, int s) {
    float s12 = d[1 * s] + d[2 * s], s34 = d[3 * s] + d[4 * s];
    float t42 = d[4 * s] - d[2 * s], t31 = d[3 * s] - d[1 * s];
    o[0 * s] = 4.0f * d[0] - 5.0f * d[2 * s] + d[4 * s];
    o[1 * s] = s34 - 4.0f * s12;
    o[2 * s] = (d[4 * s] - d[3 * s]) + 4.0f * (d[1 * s] - d[2 * s]);
    o[3 * s] = t42 + 2.0f * t31;
    o[4 * s] = t42 - 2.0f * t31;
    o[5 * s] = 4.0f * d[1 * s] - 5.0f * d[3 * s] + d[5 * s];
}

static inline __attribute__((always_inline)) void at6(const float *m, float *o, int s_in, int s_out) {
    float s12 = m[1 * s_in] + m[2 * s_in], t12 = m[1 * s_in] - m[2 * s_in];
    float s34 = m[3 * s_in] + m[4 * s_in], t34 = m[3 * s_in] - m[4 * s_in];
    o[0 * s_out] = m[0] + s12 + s34;
    o[1 * s_out] = t12 + 2.0f * t34;
    o[2 * s_out] = s12 + 4.0f * s34;
    o[3 * s_out] = t12 + 8.0f * t34 + m[5 * s_in];
}

/* One 6x6 input tile: v[p * stride_p + k] = (B^T d B)[p] for channel k, where
 * d[i * 6 + j] points at the tile's pixel (i, j) (or at zeros). The loop
 * over channels vectorises; each channel's tile stays in registers. */
US_VECTOR_CLONES static void input_tile(const float *const d[36], float *restrict v,
                                        int64_t stride_p, int64_t n) {
US_IVDEP
    for (int64_t k = 0; k < n; k++) {
        float t[36], r[36];
#pragma GCC unroll 36
        for (int i = 0; i < 36; i++) t[i] = d[i][k];
#pragma GCC unroll 6
        for (int j = 0; j < 6; j++) bt6(t + j, r + j, 6); /* columns: r = B^T t */
#pragma GCC unroll 6
        for (int i = 0; i < 6; i++) bt6(r + 6 * i, t + 6 * i, 1); /* rows: t = r B */
#pragma GCC unroll 36
        for (int p = 0; p < 36; p++) v[p * stride_p + k] = t[p];
    }
}

/* One output tile: o[q * n + k] = (A^T m A)[q] for the 16 outputs q of
 * channel k, from m[p * stride_p + k]. */
US_VECTOR_CLONES static void output_tile(const float *restrict m, int64_t stride_p,
                                         float *restrict o, int64_t n) {
    for (int64_t k = 0; k < n; k++) {
        float t[36], r[24], q[16];
#pragma GCC unroll 36
        for (int p = 0; p < 36; p++) t[p] = m[p * stride_p + k];
#pragma GCC unroll 6
        for (int j = 0; j < 6; j++) at6(t + j, r + j, 6, 6); /* columns: r = A^T t (4 x 6) */
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++) at6(r + 6 * i, q + 4 * i, 1, 1); /* rows: q = r A */
#pragma GCC unroll 16
        for (int p = 0; p < 16; p++) o[p * n + k] = q[p];
    }
}

/* y = the output row v, then bias and epilogue (as the im2col path); or
 * y += v for an accumulating epilogue. */
US_VECTOR_CLONES static void finish_row(float *restrict y, const float *restrict v, int64_t n,
                                        const float *bias, const us_conv_epilogue *ep) {
    if (ep && ep->accumulate) {
        for (int64_t k = 0; k < n; k++) y[k] += v[k];
        return;
    }
    memcpy(y, v, (size_t)n * sizeof(float));
    us_conv_finish_row(y, n, bias, ep);
}

typedef struct wino_job {
    const us_conv_geom *g;
    const float *x, *u, *bias, *zeros;
    const us_conv_epilogue *ep;
    float *y;
    int64_t tiles_w, tiles_hw, total, chunk;
    _Atomic int32_t failed; /* a part could not allocate its buffers (parts run at once) */
} wino_job;

/* V[t][p] = (B^T d B)[p] for the 6x6 input tile of tile t (from
 * (4 ty - pad_top, 4 tx - pad_left)), each a cin vector. A tile's 36
 * vectors are contiguous (one write stream, not 36); the GEMM of position p
 * reads rows t of V at a stride of 36 cin (it packs them anyway), and writes
 * M in the same layout. */
static void transform_input(const wino_job *j, int64_t t0, int64_t tiles, float *v) {
    const us_conv_geom *g = j->g;
    const int64_t cin = g->cin;
    const float *d[36];
    for (int64_t t = 0; t < tiles; t++) {
        int64_t tile = t0 + t, b = tile / j->tiles_hw;
        int64_t ty = (tile % j->tiles_hw) / j->tiles_w, tx = tile % j->tiles_w;
        for (int i = 0; i < 6; i++)
            for (int k = 0; k < 6; k++) {
                int64_t ih = 4 * ty - g->pad_top + i, iw = 4 * tx - g->pad_left + k;
                d[i * 6 + k] = ih < 0 || ih >= g->h || iw < 0 || iw >= g->w
                                   ? j->zeros
                                   : j->x + ((b * g->h + ih) * g->w + iw) * cin;
            }
        input_tile(d, v + t * US_WINO_POS * cin, cin, cin);
    }
}

/* Y tile = A^T m A, plus bias and epilogue; outputs past the image edge are
 * dropped. `o` is 16 x cout scratch. */
static void transform_output(const wino_job *j, const float *m, int64_t t0, int64_t tiles,
                             float *o) {
    const us_conv_geom *g = j->g;
    const int64_t c = g->cout;
    for (int64_t t = 0; t < tiles; t++) {
        int64_t tile = t0 + t, b = tile / j->tiles_hw;
        int64_t oh = 4 * ((tile % j->tiles_hw) / j->tiles_w), ow = 4 * (tile % j->tiles_w);
        output_tile(m + t * US_WINO_POS * c, c, o, c);
        for (int oi = 0; oi < 4 && oh + oi < g->ho; oi++) {
            float *dst = j->y + ((b * g->ho + oh + oi) * g->wo + ow) * c;
            for (int ok = 0; ok < 4 && ow + ok < g->wo; ok++)
                finish_row(dst + ok * c, o + (oi * 4 + ok) * c, c, j->bias, j->ep);
        }
    }
}

/* One chunk of tiles: input transform, 36 GEMMs, output transform. */
static void run_chunk(const wino_job *j, int64_t t0, float *v, float *m, float *scratch) {
    const us_conv_geom *g = j->g;
    int64_t tiles = j->total - t0 < j->chunk ? j->total - t0 : j->chunk;
    transform_input(j, t0, tiles, v);
    const int64_t packed = us_gemm_packed_floats(g->cin, g->cout);
    for (int p = 0; p < US_WINO_POS; p++)
        us_sgemm_packed(tiles, g->cout, g->cin, v + p * g->cin, US_WINO_POS * g->cin,
                        j->u + p * packed, 0, m + p * g->cout, US_WINO_POS * g->cout);
    transform_output(j, m, t0, tiles, scratch);
}

/* Part `part` of `parts` runs chunks part, part + parts, ... with its own
 * buffers. With several parts each GEMM runs on its part's thread alone. */
static void wino_part(void *arg, int32_t part, int32_t parts) {
    wino_job *j = arg;
    const us_conv_geom *g = j->g;
    float *v = us_malloc_array((size_t)(US_WINO_POS * j->chunk * g->cin), sizeof(float));
    float *m = us_malloc_array((size_t)(US_WINO_POS * j->chunk * g->cout), sizeof(float));
    float *scratch = us_malloc_array((size_t)(16 * g->cout), sizeof(float));
    int32_t saved = us_parallel_threads();
    if (parts > 1) us_parallel_set_threads(1);
    if (!v || !m || !scratch)
        j->failed = 1;
    else
        for (int64_t c = part; c * j->chunk < j->total; c += parts)
            run_chunk(j, c * j->chunk, v, m, scratch);
    us_parallel_set_threads(saved);
    free(v);
    free(m);
    free(scratch);
}

int32_t us_conv2d_forward_winograd(const us_conv_geom *g, const float *x, const float *kernel,
                                   const float *prepared, const float *bias,
                                   const us_conv_epilogue *ep, float *y) {
    const int64_t tiles_w = (g->wo + 3) / 4, tiles_hw = ((g->ho + 3) / 4) * tiles_w;
    const int64_t total = g->n * tiles_hw, cmax = g->cin > g->cout ? g->cin : g->cout;
    if (total == 0) return UNETSEG_OK;
    int64_t chunk = us_chunk_rows(US_WINO_TARGET_FLOATS, US_WINO_POS * cmax, 16, total);
    /* An even number of equal chunks, so that two threads share them evenly
     * (3 chunks of a 64x64 layer left one thread idle a third of the time);
     * the split depends on the shape only, never on the thread count. */
    int64_t chunks = (total + chunk - 1) / chunk;
    if (chunks > 1) {
        chunks += chunks % 2;
        chunk = (total + chunks - 1) / chunks;
    }
    float *u = prepared ? NULL : us_malloc_array((size_t)us_winograd_kernel_floats(g->cin, g->cout), sizeof(float));
    float *zeros = us_calloc_array((size_t)g->cin, sizeof(float));
    int32_t st = UNETSEG_OK;
    if ((!prepared && !u) || !zeros) {
        st = us_fail(UNETSEG_E_NOMEM, "conv2d: cannot allocate Winograd buffers");
    } else {
        if (!prepared) us_winograd_transform_kernel(kernel, g->cin, g->cout, u);
        wino_job j = {g, x, prepared ? prepared : u, bias, zeros, ep, y, tiles_w, tiles_hw, total, chunk, 0};
        chunks = (total + chunk - 1) / chunk;
        int32_t parts = us_parallel_threads();
        if (parts > chunks) parts = (int32_t)chunks;
        if (parts > 1)
            us_parallel_run(parts, wino_part, &j);
        else
            wino_part(&j, 0, 1);
        if (j.failed) st = us_fail(UNETSEG_E_NOMEM, "conv2d: cannot allocate Winograd buffers");
    }
    free(u);
    free(zeros);
    return st;
}
