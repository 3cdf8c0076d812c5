/* The AVX2 + FMA GEMM micro-kernel: a 6 x 16 tile of C in 12 of the 16 ymm
 * registers, two for a row of B and one for a broadcast of A. See
 * gemm_tile.h. */
#include "ops/gemm_tile.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define MR 6
_Static_assert(MR <= US_GEMM_MAX_MR && US_GEMM_MC % MR == 0, "A blocks are whole micro-panels");

/* Loads and stores of the first `cols` (0..8) floats, others read as 0. */
__attribute__((target("avx2,fma"))) static inline __m256i lane_mask(int cols) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(cols), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* in_place 0: A is a packed micro-panel (t->a[p * MR + r]); 1: A is read
 * in place, row r of the tile at t->a + r * t->lda (rows past t->rows read the last valid one).
 * Only the first `live` rows (a constant: 2, 4 or 6) are computed, as in
 * the AVX-512 kernel: a last micro-panel of a few valid rows does not
 * multiply zeros. Each computed sum is the same. */
__attribute__((target("avx2,fma"), always_inline)) static inline void tile_body(
    const us_gemm_tile *t, const int in_place, const int live) {
    __m256 acc[MR][2];
#pragma GCC unroll 6
    for (int r = 0; r < live; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    const int64_t kc = t->kc;
    const int rows = t->rows;
    const float *a = t->a, *b = t->b;
    const float *row[MR]; /* in place: loop-invariant row pointers, indexed by p */
#pragma GCC unroll 6
    /* rows past the valid ones (never stored) re-read the last valid row:
     * a partial micro-panel is read in place too, not packed */
    for (int r = 0; r < live; r++) row[r] = in_place ? t->a + (r < rows ? r : rows - 1) * t->lda : a;
    const int64_t b_row = t->b_row;
    const float *pf0 = t->prefetch, *pf1 = t->prefetch_next;
    const int64_t pf_row = t->prefetch_row;
    for (int64_t p = 0; p < kc; p++, b += b_row) {
        __m256 x0 = _mm256_loadu_ps(b), x1 = _mm256_loadu_ps(b + 8);
        if (pf0) _mm_prefetch((const char *)(pf0 + p * pf_row), _MM_HINT_T0);
        if (pf1) _mm_prefetch((const char *)(pf1 + p * pf_row), _MM_HINT_T0);
#pragma GCC unroll 6
        for (int r = 0; r < live; r++) {
            __m256 s = _mm256_broadcast_ss(in_place ? row[r] + p : a + p * MR + r);
            acc[r][0] = _mm256_fmadd_ps(s, x0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(s, x1, acc[r][1]);
        }
    }
    const int cols0 = t->cols < 8 ? t->cols : 8;
    const __m256i m0 = lane_mask(cols0), m1 = lane_mask(t->cols - cols0);
    /* constant row indices keep the accumulators in registers */
#pragma GCC unroll 6
    for (int r = 0; r < live; r++) {
        if (r >= rows) break;
        float *c = t->c + r * t->ldc;
        if (t->accumulate) {
            acc[r][0] = _mm256_add_ps(_mm256_maskload_ps(c, m0), acc[r][0]);
            acc[r][1] = _mm256_add_ps(_mm256_maskload_ps(c + 8, m1), acc[r][1]);
        }
        _mm256_maskstore_ps(c, m0, acc[r][0]);
        _mm256_maskstore_ps(c + 8, m1, acc[r][1]);
    }
}

/* The body computing just enough rows for the tile's valid ones (constant
 * row counts keep the accumulators in registers). */
__attribute__((target("avx2,fma"), always_inline)) static inline void tile_rows(
    const us_gemm_tile *t, const int in_place) {
    if (t->rows <= 2)
        tile_body(t, in_place, 2);
    else if (t->rows <= 4)
        tile_body(t, in_place, 4);
    else
        tile_body(t, in_place, MR);
}

__attribute__((target("avx2,fma"))) static void tile_6x16(const us_gemm_tile *t) { tile_rows(t, 0); }
__attribute__((target("avx2,fma"))) static void tile_6x16_a(const us_gemm_tile *t) { tile_rows(t, 1); }

const us_gemm_kernel us_gemm_kernel_avx2 = {MR, 16, tile_6x16, tile_6x16_a};
#else
const us_gemm_kernel us_gemm_kernel_avx2 = {0, 0, 0, 0};
#endif
