/* Conv2D 3x3 stride 1 by Winograd F(2x2, 3x3) (Lavin & Gray 2015): each 2x2
 * output tile is A^T [(G g G^T) . (B^T d B)] A. The element-wise product over
 * the 16 positions of a 4x4 input tile becomes 16 GEMMs (tiles x cin) .
 * (cin x cout), 2.25x fewer multiply-adds than im2col + GEMM. Transforms run
 * on whole channel vectors (NHWC keeps a pixel's channels contiguous). */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "ops/ops.h"

/* Tiles per chunk: V and M hold 16 x tiles x channels floats each. */
#define US_WINO_TARGET_FLOATS ((int64_t)1 << 17)

/* U[p] = (G g G^T)[p] for the 16 positions p, each a cin x cout matrix;
 * g is the HWIO kernel, G = [[1,0,0],[.5,.5,.5],[.5,-.5,.5],[0,0,1]]. */
static int32_t transform_kernel(const float *kernel, int64_t cin, int64_t cout, float *u) {
    const int64_t plane = cin * cout;
    float *gg = us_malloc_array((size_t)(12 * plane), sizeof(float)); /* G g: 4 x 3 planes */
    if (!gg) return us_fail(UNETSEG_E_NOMEM, "conv2d: cannot allocate Winograd buffers");
    for (int64_t j = 0; j < 3; j++) {
        const float *g0 = kernel + (0 * 3 + j) * plane, *g1 = kernel + (1 * 3 + j) * plane,
                    *g2 = kernel + (2 * 3 + j) * plane;
        float *r0 = gg + (0 * 3 + j) * plane, *r1 = gg + (1 * 3 + j) * plane,
              *r2 = gg + (2 * 3 + j) * plane, *r3 = gg + (3 * 3 + j) * plane;
        for (int64_t k = 0; k < plane; k++) {
            r0[k] = g0[k];
            r1[k] = 0.5f * (g0[k] + g1[k] + g2[k]);
            r2[k] = 0.5f * (g0[k] - g1[k] + g2[k]);
            r3[k] = g2[k];
        }
    }
    for (int64_t i = 0; i < 4; i++) {
        const float *a0 = gg + (i * 3 + 0) * plane, *a1 = gg + (i * 3 + 1) * plane,
                    *a2 = gg + (i * 3 + 2) * plane;
        float *o0 = u + (i * 4 + 0) * plane, *o1 = u + (i * 4 + 1) * plane,
              *o2 = u + (i * 4 + 2) * plane, *o3 = u + (i * 4 + 3) * plane;
        for (int64_t k = 0; k < plane; k++) {
            o0[k] = a0[k];
            o1[k] = 0.5f * (a0[k] + a1[k] + a2[k]);
            o2[k] = 0.5f * (a0[k] - a1[k] + a2[k]);
            o3[k] = a2[k];
        }
    }
    free(gg);
    return UNETSEG_OK;
}

/* out = a - b and out = a + b over n floats (vectorisable: restrict). */
static void vsub(float *restrict out, const float *restrict a, const float *restrict b, int64_t n) {
    for (int64_t k = 0; k < n; k++) out[k] = a[k] - b[k];
}
static void vadd(float *restrict out, const float *restrict a, const float *restrict b, int64_t n) {
    for (int64_t k = 0; k < n; k++) out[k] = a[k] + b[k];
}

/* V[p][t] = (B^T d B)[p] for the input tile of tile t (4x4 pixels from
 * (2 ty - pad_top, 2 tx - pad_left)), each a cin vector;
 * B^T = [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]]. `r` is 16 x cin scratch. */
static void transform_input(const us_conv_geom *g, const float *x, int64_t t0, int64_t tiles,
                            int64_t tiles_w, int64_t tiles_hw, const float *zeros, float *r,
                            float *v) {
    const int64_t cin = g->cin, stride_p = tiles * cin;
    const float *d[16];
    for (int64_t t = 0; t < tiles; t++) {
        int64_t tile = t0 + t, b = tile / tiles_hw, ty = (tile % tiles_hw) / tiles_w, tx = tile % tiles_w;
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                int64_t ih = 2 * ty - g->pad_top + i, iw = 2 * tx - g->pad_left + j;
                d[i * 4 + j] = ih < 0 || ih >= g->h || iw < 0 || iw >= g->w
                                   ? zeros
                                   : x + ((b * g->h + ih) * g->w + iw) * cin;
            }
        /* rows: r = B^T d */
        for (int j = 0; j < 4; j++) {
            vsub(r + (0 * 4 + j) * cin, d[0 * 4 + j], d[2 * 4 + j], cin);
            vadd(r + (1 * 4 + j) * cin, d[1 * 4 + j], d[2 * 4 + j], cin);
            vsub(r + (2 * 4 + j) * cin, d[2 * 4 + j], d[1 * 4 + j], cin);
            vsub(r + (3 * 4 + j) * cin, d[1 * 4 + j], d[3 * 4 + j], cin);
        }
        /* columns: V = r B */
        float *out = v + t * cin;
        for (int i = 0; i < 4; i++) {
            const float *r0 = r + (i * 4 + 0) * cin, *r1 = r + (i * 4 + 1) * cin,
                        *r2 = r + (i * 4 + 2) * cin, *r3 = r + (i * 4 + 3) * cin;
            vsub(out + (i * 4 + 0) * stride_p, r0, r2, cin);
            vadd(out + (i * 4 + 1) * stride_p, r1, r2, cin);
            vsub(out + (i * 4 + 2) * stride_p, r2, r1, cin);
            vsub(out + (i * 4 + 3) * stride_p, r1, r3, cin);
        }
    }
}

/* Bias, then the epilogue, on n channels (same order as the im2col path). */
static void finish_row(float *restrict y, const float *restrict v, int64_t n,
                       const float *restrict bias, const us_conv_epilogue *ep) {
    if (bias)
        for (int64_t k = 0; k < n; k++) y[k] = v[k] + bias[k];
    else
        memcpy(y, v, (size_t)n * sizeof(float));
    if (ep && ep->scale) {
        const float *restrict scale = ep->scale, *restrict shift = ep->shift;
        for (int64_t k = 0; k < n; k++) y[k] = y[k] * scale[k] + shift[k];
    }
    if (ep && ep->relu)
        for (int64_t k = 0; k < n; k++) y[k] = y[k] > 0.0f ? y[k] : 0.0f;
}

/* Y tile = A^T m A, A^T = [[1,1,1,0],[0,1,-1,-1]], plus bias and epilogue;
 * outputs past the image edge (odd sizes) are dropped. `r` is 10 x cout
 * scratch. */
static void transform_output(const us_conv_geom *g, const float *m, int64_t t0, int64_t tiles,
                             int64_t tiles_w, int64_t tiles_hw, const float *bias,
                             const us_conv_epilogue *ep, float *r, float *y) {
    const int64_t c = g->cout, stride_p = tiles * c;
    float *c0[4] = {r, r + c, r + 2 * c, r + 3 * c}, *c1[4] = {r + 4 * c, r + 5 * c, r + 6 * c, r + 7 * c};
    float *o = r + 8 * c, *tmp = r + 9 * c;
    for (int64_t t = 0; t < tiles; t++) {
        int64_t tile = t0 + t, b = tile / tiles_hw, ty = (tile % tiles_hw) / tiles_w, tx = tile % tiles_w;
        int64_t oh = 2 * ty, ow = 2 * tx;
        const float *s = m + t * c;
        /* rows of A^T s: c0 = s0 + s1 + s2, c1 = s1 - s2 - s3 (per column j) */
        for (int j = 0; j < 4; j++) {
            const float *s0 = s + (0 * 4 + j) * stride_p, *s1 = s + (1 * 4 + j) * stride_p,
                        *s2 = s + (2 * 4 + j) * stride_p, *s3 = s + (3 * 4 + j) * stride_p;
            vadd(tmp, s0, s1, c);
            vadd(c0[j], tmp, s2, c);
            vsub(tmp, s1, s2, c);
            vsub(c1[j], tmp, s3, c);
        }
        float **rows[2] = {c0, c1};
        for (int oi = 0; oi < 2 && oh + oi < g->ho; oi++) {
            float **cr = rows[oi];
            float *dst = y + ((b * g->ho + oh + oi) * g->wo + ow) * c;
            vadd(tmp, cr[0], cr[1], c);
            vadd(o, tmp, cr[2], c);
            finish_row(dst, o, c, bias, ep);
            if (ow + 1 < g->wo) {
                vsub(tmp, cr[1], cr[2], c);
                vsub(o, tmp, cr[3], c);
                finish_row(dst + c, o, c, bias, ep);
            }
        }
    }
}

int32_t us_conv2d_forward_winograd(const us_conv_geom *g, const float *x, const float *kernel,
                                   const float *bias, const us_conv_epilogue *ep, float *y) {
    const int64_t tiles_w = (g->wo + 1) / 2, tiles_hw = ((g->ho + 1) / 2) * tiles_w;
    const int64_t total = g->n * tiles_hw, cmax = g->cin > g->cout ? g->cin : g->cout;
    int64_t chunk = US_WINO_TARGET_FLOATS / (16 * cmax);
    if (chunk < 16) chunk = 16;
    if (chunk > total) chunk = total;
    float *u = us_malloc_array((size_t)(16 * g->cin * g->cout), sizeof(float));
    float *v = us_malloc_array((size_t)(16 * chunk * g->cin), sizeof(float));
    float *m = us_malloc_array((size_t)(16 * chunk * g->cout), sizeof(float));
    float *zeros = us_calloc_array((size_t)g->cin, sizeof(float));
    float *scratch = us_malloc_array((size_t)(16 * cmax), sizeof(float));
    int32_t st = UNETSEG_OK;
    if (!u || !v || !m || !zeros || !scratch) st = us_fail(UNETSEG_E_NOMEM, "conv2d: cannot allocate Winograd buffers");
    if (!st) st = transform_kernel(kernel, g->cin, g->cout, u);
    for (int64_t t0 = 0; t0 < total && !st; t0 += chunk) {
        int64_t tiles = total - t0 < chunk ? total - t0 : chunk;
        transform_input(g, x, t0, tiles, tiles_w, tiles_hw, zeros, scratch, v);
        for (int p = 0; p < 16; p++)
            us_sgemm(0, 0, tiles, g->cout,
                        g->cin, 1.0f, v + p * tiles * g->cin, g->cin,
                        u + p * g->cin * g->cout, g->cout, 0.0f, m + p * tiles * g->cout,
                        g->cout);
        transform_output(g, m, t0, tiles, tiles_w, tiles_hw, bias, ep, scratch, y);
    }
    free(u);
    free(v);
    free(m);
    free(zeros);
    free(scratch);
    return st;
}
