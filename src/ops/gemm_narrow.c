/* C = A . B for B with 16 or 32 columns (any multiple of 16 works): the
 * GEMMs of U-Net decoder convs with 16 and 32 output channels. OpenBLAS packs A and B for every call
 * and reaches only 35-58 GFLOP/s on them; here a 4 x 16 block of C stays in
 * registers (8 vectors of 8 floats: fits the 16 AVX2 registers with the
 * operands) while A and B (k x n, a few KB) stream from L1. Every element
 * of C is summed over k in order, so the blocking and the vector width
 * never change a result. */
#include <string.h>

#include "core/simd.h"
#include "ops/ops.h"

typedef float us_v8 __attribute__((vector_size(32)));

/* (a function returning us_v8 would change the ABI between clones) */
#define LOAD8(v, p) memcpy(&(v), (p), sizeof(v))

/* `rows` (1..4) rows x 16 columns of C; `rows` is a constant at every call,
 * so the loops unroll and the accumulators live in registers. */
static inline __attribute__((always_inline)) void block(int rows, int64_t k, const float *a,
                                                        int64_t lda, const float *b, int64_t ldb,
                                                        float *c, int64_t ldc) {
    us_v8 acc[4][2];
#pragma GCC unroll 4
    for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = (us_v8){0};
    for (int64_t kk = 0; kk < k; kk++) {
        us_v8 b0, b1;
        LOAD8(b0, b + kk * ldb);
        LOAD8(b1, b + kk * ldb + 8);
#pragma GCC unroll 4
        for (int r = 0; r < rows; r++) {
            float s = a[r * lda + kk];
            acc[r][0] += s * b0;
            acc[r][1] += s * b1;
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < rows; r++) {
        memcpy(c + r * ldc, &acc[r][0], sizeof acc[r][0]);
        memcpy(c + r * ldc + 8, &acc[r][1], sizeof acc[r][1]);
    }
}

US_VECTOR_CLONES static void gemm_panels(int64_t m, int64_t n, int64_t k, const float *a,
                                         int64_t lda, const float *b, float *c, int64_t ldc) {
    int64_t r = 0;
    for (; r + 4 <= m; r += 4)
        for (int64_t p = 0; p < n; p += 16) block(4, k, a + r * lda, lda, b + p, n, c + r * ldc + p, ldc);
    for (; r < m; r++)
        for (int64_t p = 0; p < n; p += 16) block(1, k, a + r * lda, lda, b + p, n, c + r * ldc + p, ldc);
}

/* measured on this Zen machine (AVX2): 2.2x OpenBLAS at n = 16, 1.25x at 32,
 * even at 64 (and not faster in the whole forward pass) */
int us_sgemm_narrow_fits(int64_t n) { return n == 16 || n == 32; }

void us_sgemm_narrow(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                     float *c, int64_t ldc) {
    gemm_panels(m, n, k, a, lda, b, c, ldc);
}
