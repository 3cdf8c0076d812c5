/* Winograd F(2x2, 3x3): each 2x2 output tile is A^T [(G g G^T) . (B^T d B)] A
 * over a 4x4 input tile, with B^T = [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]],
 * G = [[1,0,0],[1/2,1/2,1/2],[1/2,-1/2,1/2],[0,0,1]], A^T = [[1,1,1,0],[0,1,-1,-1]].
 * Used where 4x4 output tiles would be too few for the GEMMs (small
 * feature maps); its transforms only add, subtract and halve, so it rounds
 * less than F(4x4, 3x3). Same structure as winograd_f4x4.c. */
#include "core/simd.h"
#include "ops/winograd.h"

/* o[a] = (G g)[a] for a 3-point g with stride s (output stride t). */
static inline __attribute__((always_inline)) void g3(const float *g, float *o, int s, int t) {
    float even = g[0] + g[2 * s];
    o[0 * t] = g[0];
    o[1 * t] = (even + g[1 * s]) * 0.5f;
    o[2 * t] = (even - g[1 * s]) * 0.5f;
    o[3 * t] = g[2 * s];
}

/* Columns q < cols of one kernel row (input channel). */
static inline __attribute__((always_inline)) void kernel_columns(const float *g0, int64_t plane,
                                                                 int64_t cols, float *restrict u0,
                                                                 int64_t packed) {
US_IVDEP
    for (int64_t q = 0; q < cols; q++) {
        float g[9], t[12], o[16];
#pragma GCC unroll 9
        for (int i = 0; i < 9; i++) g[i] = g0[i * plane + q];
#pragma GCC unroll 3
        for (int c = 0; c < 3; c++) g3(g + c, t + c, 3, 3); /* t = G g (4 x 3) */
#pragma GCC unroll 4
        for (int a = 0; a < 4; a++) g3(t + 3 * a, o + 4 * a, 1, 1); /* o = t G^T */
#pragma GCC unroll 16
        for (int p = 0; p < 16; p++) u0[p * packed + q] = o[p];
    }
}

#define WINO_POSITIONS 16
#include "ops/winograd_kernel_loops.h"

/* The 4-point transforms on values in registers; `s` is the stride between
 * the points. */
static inline __attribute__((always_inline)) void bt4(const float *d, float *o, int s) {
    o[0 * s] = d[0] - d[2 * s];
    o[1 * s] = d[1 * s] + d[2 * s];
    o[2 * s] = d[2 * s] - d[1 * s];
    o[3 * s] = d[1 * s] - d[3 * s];
}

static inline __attribute__((always_inline)) void at4(const float *m, float *o, int s_in, int s_out) {
    o[0 * s_out] = m[0] + m[1 * s_in] + m[2 * s_in];
    o[1 * s_out] = m[1 * s_in] - m[2 * s_in] - m[3 * s_in];
}

US_VECTOR_CLONES static void input_tile(const float *const *d, float *restrict v,
                                        int64_t stride_p, int64_t n) {
US_IVDEP
    for (int64_t k = 0; k < n; k++) {
        float t[16], r[16];
#pragma GCC unroll 16
        for (int i = 0; i < 16; i++) t[i] = d[i][k];
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) bt4(t + j, r + j, 4); /* columns: r = B^T t */
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++) bt4(r + 4 * i, t + 4 * i, 1); /* rows: t = r B */
#pragma GCC unroll 16
        for (int p = 0; p < 16; p++) v[p * stride_p + k] = t[p];
    }
}

US_VECTOR_CLONES static void output_tile(const float *restrict m, int64_t stride_p,
                                         float *const *o, int64_t n) {
    /* The outputs never overlap the input or one another; without the
     * pragma GCC assumed they might and left the loop scalar (F(4x4): 7 %
     * of a forward pass). */
US_IVDEP
    for (int64_t k = 0; k < n; k++) {
        float t[16], r[8], q[4];
#pragma GCC unroll 16
        for (int p = 0; p < 16; p++) t[p] = m[p * stride_p + k];
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) at4(t + j, r + j, 4, 4); /* columns: r = A^T t (2 x 4) */
#pragma GCC unroll 2
        for (int i = 0; i < 2; i++) at4(r + 4 * i, q + 2 * i, 1, 1); /* rows: q = r A */
#pragma GCC unroll 4
        for (int p = 0; p < 4; p++) o[p][k] = q[p];
    }
}

const us_wino_transforms us_wino_f2x2 = {2, 4, 16, kernel_rows, kernel_panels, input_tile, output_tile};

