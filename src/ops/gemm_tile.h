/* The register-blocked GEMM micro-kernels (internal to src/ops: gemm*.c, and
 * conv2d_winograd.c for the block depth).
 *
 * Layouts. B is read in place when it is not transposed and every tile
 * has whole columns (n a multiple of nr); otherwise it is packed into panels of US_GEMM_PANEL columns: panel j holds
 * columns [16 j, 16 j + 16) of all k rows, row p at panel + 16 p (columns
 * past n are zeros). A block of A is packed for a kernel of `mr` rows into
 * micro-panels of mr rows: micro-panel i holds rows [mr i, mr i + mr) of kc
 * columns, column p at micro-panel + mr p (rows past m are zeros).
 *
 * Every element of C is a sum over k in order, one fused multiply-add per
 * term, restarted at each block of US_GEMM_KC columns of A and added to C
 * after it: the split over threads, the tile sizes and the vector width
 * never change a result, so the AVX2 and AVX-512 kernels agree bit for bit. */
#ifndef US_OPS_GEMM_TILE_H
#define US_OPS_GEMM_TILE_H

#include <stdint.h>

#define US_GEMM_PANEL 16 /* columns per packed panel of B */
#define US_GEMM_KC 256   /* depth of a block: a micro-panel pair of B stays in L1 */
#define US_GEMM_MC 96    /* rows of A packed at a time (a multiple of every mr) */
#define US_GEMM_MAX_MR 12

typedef struct us_gemm_tile {
    int64_t kc;                /* depth of this block */
    const float *a;            /* packed micro-panel of A (mr x kc), or A's first row */
    int64_t lda;               /* run_a_in_place: floats from one row of A to the next */
    const float *b;            /* B's first 16 columns of the tile, at row 0 of the block */
    const float *b_next;       /* its next 16 columns (AVX-512 tiles) */
    int64_t b_row;             /* floats from one row of B to the next (16 when packed) */
    float *c;                  /* C(0, 0) of the tile */
    int64_t ldc;
    const float *prefetch;     /* NULL, or rows [0, kc) of data needed soon, a row
                                  every prefetch_row floats (the next tile's B,
                                  which comes from DRAM; or the caller's next
                                  data: us_sgemm_packed_ahead), fetched while
                                  this tile runs, a line per row; */
    const float *prefetch_next;/* NULL, or a second line per row */
    int64_t prefetch_row;
    int32_t rows, cols;        /* the valid part of the tile (<= mr, <= nr) */
    int32_t accumulate;        /* C += A.B instead of C = A.B */
} us_gemm_tile;

typedef struct us_gemm_kernel {
    int32_t mr, nr;
    void (*run)(const us_gemm_tile *t);
    /* the same reading the tile's rows of A in place (NULL: none);
     * same results, no packing (for short k and few columns, packing A
     * costs about as much as the multiply) */
    void (*run_a_in_place)(const us_gemm_tile *t);
} us_gemm_kernel;

/* 12 x 32 tiles (AVX-512F) and 6 x 16 tiles (AVX2 + FMA). */
extern const us_gemm_kernel us_gemm_kernel_avx512;
extern const us_gemm_kernel us_gemm_kernel_avx2;

/* The OpenBLAS path (gemm_blas.c): C = op(A) op(B) (+ C when accumulate). */
void us_sgemm_blas(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, const float *a,
                   int64_t lda, const float *b, int64_t ldb, int accumulate, float *c, int64_t ldc);

#endif
