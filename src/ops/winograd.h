/* The transforms of Winograd F(m x m, 3x3) convolution (Lavin & Gray 2015),
 * one file per output tile size: winograd_f4x4.c (m = 4, 6x6 input tiles,
 * 36 positions, 4x fewer multiply-adds than im2col) and winograd_f2x2.c
 * (m = 2, 4x4 input tiles, 16 positions, 2.25x fewer; smaller rounding
 * error and transformed kernel). conv2d_winograd.c runs either. */
#ifndef US_OPS_WINOGRAD_H
#define US_OPS_WINOGRAD_H

#include <stdint.h>

typedef struct us_wino_transforms {
    int m;         /* outputs per tile side */
    int side;      /* input tile side, m + 2 */
    int positions; /* side * side transformed positions */
    /* Input channels r < rows of kernel columns [0, cols) of a GEMM panel:
     * u0[p * packed + r * width + q] = (G g G^T)[p] of column q of row r,
     * whose 3x3 taps are g0[tap * plane + r * ld + q] (HWIO: tap = i * 3
     * + j). A call does a panel's rows: one call per row (16 columns) cost
     * more in set-up than in arithmetic. */
    void (*kernel_rows)(const float *g0, int64_t plane, int64_t ld, int64_t rows, int64_t cols,
                        float *u0, int64_t packed, int64_t width);
    /* The same for whole 16-column panels [0, panels), panel i at u0 + i *
     * panel_stride (width 16), read and written in an order that suits
     * the caches (winograd_kernel_loops.h). */
    void (*kernel_panels)(const float *g0, int64_t plane, int64_t ld, int64_t rows, int64_t panels,
                          float *u0, int64_t panel_stride, int64_t packed);
    /* v[p * stride_p + k] = (B^T d B)[p] for channels k < n, where
     * d[i * side + j] points at the tile's pixel (i, j) (or at zeros). */
    void (*input_tile)(const float *const *d, float *v, int64_t stride_p, int64_t n);
    /* o[q][k] = (A^T t A)[q] for the m * m outputs q of channel k, from
     * t[p * stride_p + k]. */
    void (*output_tile)(const float *t, int64_t stride_p, float *const *o, int64_t n);
} us_wino_transforms;

extern const us_wino_transforms us_wino_f4x4, us_wino_f2x2;

/* The transforms for output tile side m (4 or 2). */
const us_wino_transforms *us_wino_for_tile(int m);

#endif
