/* Conv2DTranspose forward: a GEMM gives every input pixel's contribution to a
 * kh x kw x cout patch (col2im), which is scattered into the output:
 * out[h*s - pad + i, w*s - pad + j, co] += x[h, w, :] . K[i, j, co, :]. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "ops/ops.h"

#define US_COL2IM_TARGET_FLOATS ((int64_t)1 << 20)


int32_t us_conv2d_transpose_forward(const us_conv_geom *g, const float *x, const float *kernel,
                                    const float *bias, float *y) {
    const int64_t rows = g->n * g->h * g->w;
    const int64_t patch = g->kh * g->kw * g->cout;
    const int64_t out_count = g->n * g->ho * g->wo * g->cout;
    memset(y, 0, (size_t)out_count * sizeof(float));
    if (rows > 0) {
        int64_t chunk = us_chunk_rows(US_COL2IM_TARGET_FLOATS, patch, 64, rows);
        const us_patch_geom pg = us_patch_geom_transpose(g);
        float *col = us_malloc_array((size_t)(chunk * patch), sizeof(float));
        if (!col) return us_fail(UNETSEG_E_NOMEM, "conv2d_transpose: cannot allocate buffer");
        for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
            int64_t m = rows - r0 < chunk ? rows - r0 : chunk;
            /* kernel viewed as a (kh*kw*cout, cin) matrix; col = x_chunk . K^T */
            us_sgemm(0, 1, m, patch, g->cin, x + r0 * g->cin, g->cin, kernel, g->cin, 0, col, patch);
            us_patch_scatter_add(&pg, col, r0, m, y);
        }
        free(col);
    }
    if (bias) us_bias_add_rows(y, out_count / g->cout, g->cout, bias);
    return UNETSEG_OK;
}


/* dcol = gather(dy); dx += dcol K; dK += dcol^T x; dbias += sum of dy. */
int32_t us_conv2d_transpose_backward(const us_conv_geom *g, const float *x, const float *kernel,
                                     const float *dy, float *dx, float *dkernel, float *dbias) {
    const int64_t rows = g->n * g->h * g->w;
    const int64_t patch = g->kh * g->kw * g->cout;
    if (dbias) us_bias_grad_rows(dbias, dy, g->n * g->ho * g->wo, g->cout);
    if (rows == 0 || (!dx && !dkernel)) return UNETSEG_OK;
    int64_t chunk = us_chunk_rows(US_COL2IM_TARGET_FLOATS, patch, 64, rows);
    const us_patch_geom pg = us_patch_geom_transpose(g);
    float *col = us_malloc_array((size_t)(chunk * patch), sizeof(float));
    if (!col) return us_fail(UNETSEG_E_NOMEM, "conv2d_transpose backward: cannot allocate buffer");
    for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
        int64_t m = rows - r0 < chunk ? rows - r0 : chunk;
        us_patch_gather(&pg, dy, r0, m, col);
        if (dx)
            us_sgemm(0, 0, m, g->cin, patch, col, patch, kernel, g->cin, 1, dx + r0 * g->cin, g->cin);
        if (dkernel)
            us_sgemm(1, 0, patch, g->cin, m, col, patch, x + r0 * g->cin, g->cin, 1, dkernel, g->cin);
    }
    free(col);
    return UNETSEG_OK;
}
