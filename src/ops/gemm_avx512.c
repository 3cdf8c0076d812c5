/* The AVX-512F GEMM micro-kernel: a 12 x 32 tile of C in 24 of the 32 zmm
 * registers; per step of k, two vectors of B and 12 broadcasts of A (folded
 * into the multiply-adds as embedded broadcasts). See gemm_tile.h. */
#include "ops/gemm_tile.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define MR 12
_Static_assert(MR <= US_GEMM_MAX_MR && US_GEMM_MC % MR == 0, "A blocks are whole micro-panels");

/* in_place 0: A is a packed micro-panel (t->a[p * MR + r]); 1: A is read
 * in place, row r of the tile at t->a + r * t->lda (rows past t->rows read the last valid one).
 * Only the first `live` rows (a constant: 4, 8 or 12) are computed: a last
 * micro-panel of 4 valid rows (64 = 5 x 12 + 4 rows, the GEMMs of 64
 * Winograd tiles and of an 8x8 output) would otherwise spend 8 of its 12
 * rows of multiply-adds on zeros. Each computed sum is the same. */
__attribute__((target("avx512f,avx2,fma"), always_inline)) static inline void tile_body(
    const us_gemm_tile *t, const int in_place, const int live) {
    __m512 acc[MR][2];
#pragma GCC unroll 12
    for (int r = 0; r < live; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    const int64_t kc = t->kc;
    const int rows = t->rows;
    const int64_t b_row = t->b_row;
    const float *a = t->a, *b0 = t->b;
    const float *row[MR]; /* in place: loop-invariant row pointers, indexed by p */
#pragma GCC unroll 12
    /* rows past the valid ones (never stored) re-read the last valid row:
     * a partial micro-panel is read in place too, not packed */
    for (int r = 0; r < live; r++) row[r] = in_place ? t->a + (r < rows ? r : rows - 1) * t->lda : a;
    /* a tile of 16 columns or fewer reads its first columns twice */
    const float *b1 = t->cols > 16 ? t->b_next : t->b;
    const float *pf0 = t->prefetch, *pf1 = t->prefetch_next;
    const int64_t pf_row = t->prefetch_row;
    for (int64_t p = 0; p < kc; p++, b0 += b_row, b1 += b_row) {
        __m512 x0 = _mm512_loadu_ps(b0), x1 = _mm512_loadu_ps(b1);
        if (pf0) _mm_prefetch((const char *)(pf0 + p * pf_row), _MM_HINT_T0);
        if (pf1) _mm_prefetch((const char *)(pf1 + p * pf_row), _MM_HINT_T0);
#pragma GCC unroll 12
        for (int r = 0; r < live; r++) {
            __m512 s = _mm512_set1_ps(in_place ? row[r][p] : a[p * MR + r]);
            acc[r][0] = _mm512_fmadd_ps(s, x0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(s, x1, acc[r][1]);
        }
    }
    const int cols0 = t->cols < 16 ? t->cols : 16, cols1 = t->cols - cols0;
    const __mmask16 m0 = (__mmask16)((1u << cols0) - 1), m1 = (__mmask16)((1u << cols1) - 1);
    /* constant row indices keep the accumulators in registers */
#pragma GCC unroll 12
    for (int r = 0; r < live; r++) {
        if (r >= rows) break;
        float *c = t->c + r * t->ldc;
        if (t->accumulate) {
            acc[r][0] = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, c), acc[r][0]);
            acc[r][1] = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, c + 16), acc[r][1]);
        }
        _mm512_mask_storeu_ps(c, m0, acc[r][0]);
        _mm512_mask_storeu_ps(c + 16, m1, acc[r][1]);
    }
}

/* The body computing just enough rows for the tile's valid ones (constant
 * row counts keep the accumulators in registers). */
__attribute__((target("avx512f,avx2,fma"), always_inline)) static inline void tile_rows(
    const us_gemm_tile *t, const int in_place) {
    if (t->rows <= 4)
        tile_body(t, in_place, 4);
    else if (t->rows <= 8)
        tile_body(t, in_place, 8);
    else
        tile_body(t, in_place, MR);
}

__attribute__((target("avx512f,avx2,fma"))) static void tile_12x32(const us_gemm_tile *t) { tile_rows(t, 0); }
__attribute__((target("avx512f,avx2,fma"))) static void tile_12x32_a(const us_gemm_tile *t) { tile_rows(t, 1); }

const us_gemm_kernel us_gemm_kernel_avx512 = {MR, 32, tile_12x32, tile_12x32_a};
#else
const us_gemm_kernel us_gemm_kernel_avx512 = {0, 0, 0, 0};
#endif
