/* Moving kh x kw patches between an image and GEMM rows. One row per grid
 * position; the patch of grid position (gy, gx) covers image pixels
 * (gy * sh - pad_top + i, gx * sw - pad_left + j). Conv2D gathers patches of
 * its input at its output positions (im2col) and scatters them back in
 * backward; Conv2DTranspose does the reverse with its input as the grid. */
#include <string.h>

#include "ops/ops.h"

int64_t us_chunk_rows(int64_t target_floats, int64_t row_floats, int64_t min_rows, int64_t rows) {
    int64_t chunk = target_floats / (row_floats > 0 ? row_floats : 1);
    if (chunk < min_rows) chunk = min_rows;
    return chunk < rows ? chunk : rows;
}

us_patch_geom us_patch_geom_conv(const us_conv_geom *g) {
    return (us_patch_geom){g->n, g->ho, g->wo, g->h, g->w, g->cin, g->kh, g->kw,
                           g->sh, g->sw, g->pad_top, g->pad_left};
}

us_patch_geom us_patch_geom_transpose(const us_conv_geom *g) {
    return (us_patch_geom){g->n, g->h, g->w, g->ho, g->wo, g->cout, g->kh, g->kw,
                           g->sh, g->sw, g->pad_top, g->pad_left};
}

void us_patch_gather(const us_patch_geom *p, const float *img, int64_t row0, int64_t rows,
                     float *col) {
    for (int64_t r = 0; r < rows; r++) {
        int64_t q = row0 + r;
        int64_t gx = q % p->grid_w, gy = (q / p->grid_w) % p->grid_h, b = q / (p->grid_w * p->grid_h);
        float *dst = col + r * p->kh * p->kw * p->c;
        const int64_t x0 = gx * p->sw - p->pad_left;
        for (int64_t i = 0; i < p->kh; i++) {
            int64_t y = gy * p->sh - p->pad_top + i;
            if (y >= 0 && y < p->img_h && x0 >= 0 && x0 + p->kw <= p->img_w) {
                /* the patch row's pixels are adjacent in NHWC: one copy (this
                 * matters for few channels, e.g. the 3-channel first conv) */
                memcpy(dst, img + ((b * p->img_h + y) * p->img_w + x0) * p->c,
                       (size_t)(p->kw * p->c) * sizeof(float));
                dst += p->kw * p->c;
                continue;
            }
            for (int64_t j = 0; j < p->kw; j++, dst += p->c) {
                int64_t x = x0 + j;
                if (y < 0 || y >= p->img_h || x < 0 || x >= p->img_w)
                    memset(dst, 0, (size_t)p->c * sizeof(float));
                else
                    memcpy(dst, img + ((b * p->img_h + y) * p->img_w + x) * p->c,
                           (size_t)p->c * sizeof(float));
            }
        }
    }
}

void us_patch_scatter_add(const us_patch_geom *p, const float *col, int64_t row0, int64_t rows,
                          float *img) {
    for (int64_t r = 0; r < rows; r++) {
        int64_t q = row0 + r;
        int64_t gx = q % p->grid_w, gy = (q / p->grid_w) % p->grid_h, b = q / (p->grid_w * p->grid_h);
        const float *src = col + r * p->kh * p->kw * p->c;
        for (int64_t i = 0; i < p->kh; i++) {
            int64_t y = gy * p->sh - p->pad_top + i;
            for (int64_t j = 0; j < p->kw; j++, src += p->c) {
                int64_t x = gx * p->sw - p->pad_left + j;
                if (y < 0 || y >= p->img_h || x < 0 || x >= p->img_w) continue;
                float *dst = img + ((b * p->img_h + y) * p->img_w + x) * p->c;
                for (int64_t k = 0; k < p->c; k++) dst[k] += src[k];
            }
        }
    }
}
