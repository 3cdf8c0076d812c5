/* Conv2D forward: im2col + one sgemm per chunk of output pixels. The batch is
 * folded into the GEMM's M dimension (rows = n * ho * wo). */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cpu.h"
#include "core/error.h"
#include "core/parallel.h"
#include "core/scratch.h"
#include "ops/gemm_tile.h"
#include "ops/ops.h"

/* Chunks keep the im2col buffer near 4 MB whatever the image size (peak
 * memory). The GEMM reads the kernel in place, so smaller chunks cost no
 * re-packing; below ~1 MB OpenBLAS (the fallback) would re-pack it too often. */
#define US_IM2COL_TARGET_FLOATS ((int64_t)1 << 20)


/* Bias, then the epilogue, on rows of output still in cache. The order of
 * operations is the one of separate Conv2D/BatchNormalization/ReLU layers,
 * so fused and unfused results are bit-identical. */
typedef struct finish_job {
    float *y;
    int64_t cout;
    const float *bias;
    const us_conv_epilogue *ep;
} finish_job;

static void finish_band(void *arg, int64_t lo, int64_t hi) {
    const finish_job *j = arg;
    const int64_t cout = j->cout;
    for (int64_t r = lo; r < hi; r++) us_conv_finish_row(j->y + r * cout, cout, j->bias, j->ep);
}

static void finish_rows(float *y, int64_t rows, int64_t cout, const float *bias,
                        const us_conv_epilogue *ep) {
    if (!bias && !(ep && (ep->scale || ep->relu))) return;
    finish_job j = {y, cout, bias, ep};
    us_parallel_rows(rows, cout, finish_band, &j);
}

/* im2col of rows [r0, r0 + m) into col, in bands over the pass's threads. */
typedef struct gather_job {
    const us_patch_geom *pg;
    const float *x;
    int64_t r0, krow;
    float *col;
} gather_job;

static void gather_band(void *arg, int64_t lo, int64_t hi) {
    const gather_job *j = arg;
    us_patch_gather(j->pg, j->x, j->r0 + lo, hi - lo, j->col + lo * j->krow);
}

/* Winograd needs enough tiles for its GEMMs: F(4x4) from 16 tiles (below),
 * F(2x2) from 64 in training (below that the transform of its kernel
 * dominates). At inference, where the transformed kernel can be kept from
 * earlier passes, F(2x2) beats im2col from 16 tiles (an 8x8 output at
 * batch 1): measured with bench_conv on a Zen 5 core (AVX-512), 8x8 512 ->
 * 512 channels 1.91 ms by im2col, 0.93 ms by F(2x2) (1.49 by F(4x4)); in
 * the network at batch 1, 256x256, stage 4's five such convs 57.0 -> 53.4
 * ms for the pass. Inference takes F(2x2) there even when the kernel is
 * not kept (transformed group by group on the call, about as fast as
 * im2col), so that the cache never changes a result. */
#define US_WINOGRAD_F2X2_MIN_TILES 64
#define US_WINOGRAD_F2X2_INFERENCE_MIN_TILES 16
/* F(4x4) from 16 tiles (a 16x16 output at batch 1): since a last partial
 * micro-panel of A is read in place rather than packed, mostly empty
 * 12-row GEMM panels cost little, and F(4x4)'s 4x fewer multiply-adds than
 * im2col beat F(2x2)'s 2.25x there (bench_conv, Zen 5, 16x16 256 ->
 * 256 channels: kept kernel 0.86 -> 0.63 ms, transformed on the call 1.06
 * -> 0.92; decoder0a, 768 -> 256: 2.64 -> 1.79 kept). */
#define US_WINOGRAD_F4X4_MIN_TILES 16

static int winograd_tile(const us_conv_geom *g, int64_t f2x2_min_tiles) {
    if (g->kh != 3 || g->kw != 3 || g->sh != 1 || g->sw != 1 || g->cout <= US_NARROW_MAX_COUT ||
        us_cpu_no_winograd() || us_conv2d_direct_applies(g))
        return 0;
    if (us_winograd_tiles(g, 4) >= US_WINOGRAD_F4X4_MIN_TILES) return 4;
    return us_winograd_tiles(g, 2) >= f2x2_min_tiles ? 2 : 0;
}

int us_conv2d_winograd_tile(const us_conv_geom *g) { return winograd_tile(g, US_WINOGRAD_F2X2_MIN_TILES); }

int us_conv2d_inference_tile(const us_conv_geom *g) {
    return us_conv2d_stem_applies(g) ? 0 : winograd_tile(g, US_WINOGRAD_F2X2_INFERENCE_MIN_TILES);
}

/* A conv on the GEMM path with at most one block of rows (US_GEMM_MC
 * output pixels: the small maps of a small input) streams its whole kernel
 * once per pass, with little arithmetic to hide it: packed in panels it
 * streams at the DRAM's rate, read in place (a row of 32 floats per tile,
 * a kernel row apart) at about half of it (cold kernels, one Zen 5 thread:
 * 16 x 256 x 2304 0.21 -> 0.12 ms, 4 x 512 x 4608 0.55 -> 0.34; two threads
 * 0.16 -> 0.07 and 0.36 -> 0.17). Larger maps read each panel from cache
 * many times and gain nothing. */
int us_conv2d_inference_prepared(const us_conv_geom *g) {
    const int tile = us_conv2d_inference_tile(g);
    if (tile) return tile;
    const int gemm = !us_conv2d_narrow_applies(g) && !us_conv2d_direct_applies(g) &&
                     !us_conv2d_stem_applies(g);
    return gemm && g->n * g->ho * g->wo <= US_GEMM_MC ? US_PREPARED_GEMM : 0;
}

int64_t us_prepared_kernel_rows(const us_conv_geom *g, int kind) {
    return kind == US_PREPARED_GEMM ? g->kh * g->kw * g->cin : g->cin;
}

int64_t us_prepared_kernel_floats(int kind, int64_t rows, int64_t cout) {
    return kind == US_PREPARED_GEMM ? us_gemm_packed_floats(rows, cout)
                                    : us_winograd_kernel_floats(kind, rows, cout);
}

void us_prepare_kernel(int kind, const float *kernel, int64_t rows, int64_t cout, float *out) {
    if (kind == US_PREPARED_GEMM)
        us_gemm_pack_b(0, rows, cout, kernel, cout, out);
    else
        us_winograd_transform_kernel(kind, kernel, rows, cout, out);
}

/* 3x3 stride-1 convs (most of a U-Net's work) go through Winograd where
 * the output is large enough, or the direct kernel where channels are few;
 * convs with 1-4 output channels have their own kernel, and so has the
 * RGB stem. */
int32_t us_conv2d_forward(const us_conv_geom *g, const float *x, const float *kernel,
                          const float *bias, const us_conv_epilogue *ep, float *y) {
    if (us_conv2d_narrow_applies(g)) return us_conv2d_forward_narrow(g, x, kernel, bias, ep, y);
    if (us_conv2d_direct_applies(g)) return us_conv2d_forward_direct(g, x, kernel, bias, ep, y);
    if (us_conv2d_stem_applies(g) && !(ep && ep->accumulate))
        return us_conv2d_forward_stem(g, x, kernel, bias, ep, y);
    const int tile = us_conv2d_winograd_tile(g);
    if (tile) return us_conv2d_forward_winograd(g, tile, x, kernel, NULL, bias, ep, y);
    return us_conv2d_forward_im2col(g, x, kernel, bias, ep, y);
}

/* us_conv2d_forward of one whole input, or the GEMM path's with the kernel
 * packed (`packed` not NULL) */
static int32_t forward_whole(const us_conv_geom *g, const float *x, const float *kernel,
                             const float *packed, const float *bias, const us_conv_epilogue *ep,
                             float *y) {
    return packed ? us_conv2d_forward_im2col_packed(g, x, packed, bias, ep, y)
                  : us_conv2d_forward(g, x, kernel, bias, ep, y);
}

int32_t us_conv2d_forward_sources(const us_conv_geom *g, const us_conv_source *sources,
                                  int32_t n_sources, const float *kernel, const float *packed,
                                  const float *bias, const us_conv_epilogue *ep, float *y) {
    const int whole = n_sources == 1 && sources->up_h == 1 && sources->up_w == 1;
    if (whole) return forward_whole(g, sources->x, kernel, packed, bias, ep, y);
    /* the path us_conv2d_forward takes: Winograd where its tile is set and
     * the stem kernel does not come first (the tile is 0 where the narrow
     * or direct kernel applies) */
    const int stem = us_conv2d_stem_applies(g) && !(ep && ep->accumulate);
    const int tile = stem ? 0 : us_conv2d_winograd_tile(g);
    if (tile)
        return us_conv2d_forward_winograd_sources(g, tile, sources, n_sources, kernel, NULL, bias, ep, y);
    float *x = us_malloc_array((size_t)(g->n * g->h * g->w * g->cin), sizeof(float));
    if (!x) return us_fail(UNETSEG_E_NOMEM, "conv2d: cannot allocate its input");
    us_conv_sources_gather(g, sources, n_sources, x);
    int32_t st = forward_whole(g, x, kernel, packed, bias, ep, y);
    free(x);
    return st;
}

/* C = A B with B the HWIO kernel read in place, or packed by
 * us_prepare_kernel (the same bits: the same micro-kernel sums the same
 * products in the same order). */
static void conv_gemm(int64_t m, int64_t n, int64_t k, const float *a, const float *kernel,
                      const float *packed, float *c) {
    if (packed)
        us_sgemm_packed(m, n, k, a, k, packed, 0, c, n);
    else
        us_sgemm(0, 0, m, n, k, a, k, kernel, n, 0, c, n);
}

static int32_t im2col_forward(const us_conv_geom *g, const float *x, const float *kernel,
                              const float *packed, const float *bias, const us_conv_epilogue *ep,
                              float *y) {
    const int64_t rows = g->n * g->ho * g->wo;
    const int64_t krow = g->kh * g->kw * g->cin;
    const int direct = g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 &&
                       g->pad_top == 0 && g->pad_left == 0 && g->ho == g->h && g->wo == g->w;
    if (rows == 0) return UNETSEG_OK;
    if (direct) {
        /* A 1x1 stride-1 conv is a plain matrix product over pixels. */
        conv_gemm(rows, g->cout, g->cin, x, kernel, packed, y);
        finish_rows(y, rows, g->cout, bias, ep);
    } else {
        int64_t chunk = us_chunk_rows(US_IM2COL_TARGET_FLOATS, krow, 256, rows);
        const us_patch_geom pg = us_patch_geom_conv(g);
        float *col = us_scratch_get((size_t)(chunk * krow), sizeof(float));
        if (!col) return us_fail(UNETSEG_E_NOMEM, "conv2d: cannot allocate im2col buffer");
        for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
            int64_t m = rows - r0 < chunk ? rows - r0 : chunk;
            gather_job gj = {&pg, x, r0, krow, col};
            us_parallel_rows(m, krow, gather_band, &gj);
            conv_gemm(m, g->cout, krow, col, kernel, packed, y + r0 * g->cout);
            finish_rows(y + r0 * g->cout, m, g->cout, bias, ep);
        }
        us_scratch_put(col);
    }
    return UNETSEG_OK;
}

int32_t us_conv2d_forward_im2col(const us_conv_geom *g, const float *x, const float *kernel,
                                 const float *bias, const us_conv_epilogue *ep, float *y) {
    return im2col_forward(g, x, kernel, NULL, bias, ep, y);
}

int32_t us_conv2d_forward_im2col_packed(const us_conv_geom *g, const float *x, const float *packed,
                                        const float *bias, const us_conv_epilogue *ep, float *y) {
    return im2col_forward(g, x, NULL, packed, bias, ep, y);
}


/* turned[8 - tap][co][ci] = kernel[tap][ci][co]: the 3x3 kernel turned by
 * 180 degrees with input and output channels swapped, transposed in 16 x 16
 * blocks (a plain loop writes with a stride of cin floats: 4 % of a
 * training step). */
static void turn_kernel(const float *kernel, int64_t cin, int64_t cout, float *turned) {
    enum { B = 16 };
    for (int64_t tap = 0; tap < 9; tap++) {
        const float *src = kernel + tap * cin * cout;
        float *dst = turned + (8 - tap) * cout * cin;
        for (int64_t c0 = 0; c0 < cin; c0 += B)
            for (int64_t o0 = 0; o0 < cout; o0 += B) {
                const int64_t c1 = c0 + B < cin ? c0 + B : cin, o1 = o0 + B < cout ? o0 + B : cout;
                for (int64_t co = o0; co < o1; co++)
                    for (int64_t ci = c0; ci < c1; ci++) dst[co * cin + ci] = src[ci * cout + co];
            }
    }
}

/* dx += the input gradient of a 3x3 stride-1 conv by Winograd or the direct
 * kernel, when its geometry suits: dx is dy convolved with the kernel turned
 * by 180 degrees (input and output channels swapped), with padding 2 - pad.
 * Returns 1 if done, 0 if the caller must use im2col, or a negative status. */
static int32_t backward_dx_turned(const us_conv_geom *g, const float *kernel, const float *dy,
                                    float *dx) {
    if (g->kh != 3 || g->kw != 3 || g->sh != 1 || g->sw != 1 || g->pad_top < 0 ||
        g->pad_top > 2 || g->pad_left < 0 || g->pad_left > 2)
        return 0;
    const us_conv_geom t = {g->n, g->ho, g->wo, g->cout, g->h, g->w, g->cin, 3, 3, 1, 1,
                            2 - g->pad_top, 2 - g->pad_left};
    const int tile = us_conv2d_winograd_tile(&t), direct = us_conv2d_direct_applies(&t);
    if (!tile && !direct) return 0;
    float *turned = us_scratch_get((size_t)(9 * g->cin * g->cout), sizeof(float));
    if (!turned) return us_fail(UNETSEG_E_NOMEM, "conv2d backward: out of memory");
    turn_kernel(kernel, g->cin, g->cout, turned);
    const us_conv_epilogue add = {NULL, NULL, 0, 1};
    int32_t st = direct ? us_conv2d_forward_direct(&t, dy, turned, NULL, &add, dx)
                        : us_conv2d_forward_winograd(&t, tile, dy, turned, NULL, NULL, &add, dx);
    us_scratch_put(turned);
    return st ? st : 1;
}

/* dkernel += col^T dy; dx += col2im(dy kernel^T); dbias += sum over rows. */
int32_t us_conv2d_backward(const us_conv_geom *g, const float *x, const float *kernel,
                           const float *dy, float *dx, float *dkernel, float *dbias) {
    const int64_t rows = g->n * g->ho * g->wo;
    const int64_t krow = g->kh * g->kw * g->cin;
    const int direct = g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 &&
                       g->pad_top == 0 && g->pad_left == 0 && g->ho == g->h && g->wo == g->w;
    if (dbias) us_bias_grad_rows(dbias, dy, rows, g->cout);
    if (rows == 0 || (!dx && !dkernel)) return UNETSEG_OK;
    if (direct) {
        if (dkernel)
            us_sgemm(1, 0, g->cin, g->cout, rows, x, g->cin, dy, g->cout, 1, dkernel, g->cout);
        if (dx)
            us_sgemm(0, 1, rows, g->cin, g->cout, dy, g->cout, kernel, g->cout, 1, dx, g->cin);
        return UNETSEG_OK;
    }
    if (dx) {
        int32_t done = backward_dx_turned(g, kernel, dy, dx);
        if (done < 0) return done;
        if (done) dx = NULL;
        if (!dx && !dkernel) return UNETSEG_OK;
    }
    int64_t chunk = us_chunk_rows(US_IM2COL_TARGET_FLOATS, krow, 256, rows);
    const us_patch_geom pg = us_patch_geom_conv(g);
    float *col = us_scratch_get((size_t)(chunk * krow), sizeof(float));
    if (!col) return us_fail(UNETSEG_E_NOMEM, "conv2d backward: cannot allocate im2col buffer");
    for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
        int64_t m = rows - r0 < chunk ? rows - r0 : chunk;
        const float *dy_chunk = dy + r0 * g->cout;
        if (dkernel) {
            gather_job gj = {&pg, x, r0, krow, col};
            us_parallel_rows(m, krow, gather_band, &gj);
            us_sgemm(1, 0, krow, g->cout, m, col, krow, dy_chunk, g->cout, 1, dkernel, g->cout);
        }
        if (dx) {
            us_sgemm(0, 1, m, krow, g->cout, dy_chunk, g->cout, kernel, g->cout, 0, col, krow);
            us_patch_scatter_add(&pg, col, r0, m, dx);
        }
    }
    us_scratch_put(col);
    return UNETSEG_OK;
}
