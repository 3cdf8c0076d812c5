/* Winograd F(4x4, 3x3): each 4x4 output tile is A^T [(G g G^T) . (B^T d B)] A
 * over a 6x6 input tile. Each function transforms one tile (or kernel
 * element) per channel in registers; the loop over channels vectorises
 * (NHWC keeps a pixel's channels contiguous). */
#include "core/simd.h"
#include "ops/winograd.h"

/* o[a] = (G g)[a] for a 3-point g with stride s (output stride t), G =
 * [[1/4,0,0],[-1/6,-1/6,-1/6],[-1/6,1/6,-1/6],[1/24,1/12,1/6],[1/24,-1/12,1/6],[0,0,1]]. */
static inline __attribute__((always_inline)) void g3(const float *g, float *o, int s, int t) {
    const float sixth = 1.0f / 6.0f, twelfth = 1.0f / 12.0f, twentyfourth = 1.0f / 24.0f;
    float even = g[0] + g[2 * s];
    o[0 * t] = g[0] * 0.25f;
    o[1 * t] = -(even + g[1 * s]) * sixth;
    o[2 * t] = -(even - g[1 * s]) * sixth;
    o[3 * t] = g[0] * twentyfourth + g[1 * s] * twelfth + g[2 * s] * sixth;
    o[4 * t] = g[0] * twentyfourth - g[1 * s] * twelfth + g[2 * s] * sixth;
    o[5 * t] = g[2 * s];
}

/* Columns q < cols of one kernel row (input channel). */
static inline __attribute__((always_inline)) void kernel_columns(const float *g0, int64_t plane,
                                                                 int64_t cols, float *restrict u0,
                                                                 int64_t packed) {
US_IVDEP
    for (int64_t q = 0; q < cols; q++) {
        float g[9], t[18], o[36];
#pragma GCC unroll 9
        for (int i = 0; i < 9; i++) g[i] = g0[i * plane + q];
#pragma GCC unroll 3
        for (int c = 0; c < 3; c++) g3(g + c, t + c, 3, 3); /* t = G g (6 x 3) */
#pragma GCC unroll 6
        for (int a = 0; a < 6; a++) g3(t + 3 * a, o + 6 * a, 1, 1); /* o = t G^T */
#pragma GCC unroll 36
        for (int p = 0; p < 36; p++) u0[p * packed + q] = o[p];
    }
}

#define WINO_POSITIONS 36
#include "ops/winograd_kernel_loops.h"

/* The 6-point transforms on values in registers. B^T =
 * [[4,0,-5,0,1,0],[0,-4,-4,1,1,0],[0,4,-4,-1,1,0],[0,-2,-1,2,1,0],[0,2,-1,-2,1,0],[0,4,0,-5,0,1]]
 * and A^T = [[1,1,1,1,1,0],[0,1,-1,2,-2,0],[0,1,1,4,4,0],[0,1,-1,8,-8,1]]; `s` is
 * the stride between the 6 points in d and o. */
static inline __attribute__((always_inline)) void bt6(const float *d, float *o, int s) {
    float s12 = d[1 * s] + d[2 * s], s34 = d[3 * s] + d[4 * s];
    float t42 = d[4 * s] - d[2 * s], t31 = d[3 * s] - d[1 * s];
    o[0 * s] = 4.0f * d[0] - 5.0f * d[2 * s] + d[4 * s];
    o[1 * s] = s34 - 4.0f * s12;
    o[2 * s] = (d[4 * s] - d[3 * s]) + 4.0f * (d[1 * s] - d[2 * s]);
    o[3 * s] = t42 + 2.0f * t31;
    o[4 * s] = t42 - 2.0f * t31;
    o[5 * s] = 4.0f * d[1 * s] - 5.0f * d[3 * s] + d[5 * s];
}

static inline __attribute__((always_inline)) void at6(const float *m, float *o, int s_in, int s_out) {
    float s12 = m[1 * s_in] + m[2 * s_in], t12 = m[1 * s_in] - m[2 * s_in];
    float s34 = m[3 * s_in] + m[4 * s_in], t34 = m[3 * s_in] - m[4 * s_in];
    o[0 * s_out] = m[0] + s12 + s34;
    o[1 * s_out] = t12 + 2.0f * t34;
    o[2 * s_out] = s12 + 4.0f * s34;
    o[3 * s_out] = t12 + 8.0f * t34 + m[5 * s_in];
}

US_VECTOR_CLONES static void input_tile(const float *const *d, float *restrict v,
                                        int64_t stride_p, int64_t n) {
US_IVDEP
    for (int64_t k = 0; k < n; k++) {
        float t[36], r[36];
#pragma GCC unroll 36
        for (int i = 0; i < 36; i++) t[i] = d[i][k];
#pragma GCC unroll 6
        for (int j = 0; j < 6; j++) bt6(t + j, r + j, 6); /* columns: r = B^T t */
#pragma GCC unroll 6
        for (int i = 0; i < 6; i++) bt6(r + 6 * i, t + 6 * i, 1); /* rows: t = r B */
#pragma GCC unroll 36
        for (int p = 0; p < 36; p++) v[p * stride_p + k] = t[p];
    }
}

US_VECTOR_CLONES static void output_tile(const float *restrict m, int64_t stride_p,
                                         float *const *o, int64_t n) {
    /* The outputs never overlap the input or one another; without the
     * pragma GCC assumed they might and left the loop scalar (F(4x4): 7 %
     * of a forward pass). */
US_IVDEP
    for (int64_t k = 0; k < n; k++) {
        float t[36], r[24], q[16];
#pragma GCC unroll 36
        for (int p = 0; p < 36; p++) t[p] = m[p * stride_p + k];
#pragma GCC unroll 6
        for (int j = 0; j < 6; j++) at6(t + j, r + j, 6, 6); /* columns: r = A^T t (4 x 6) */
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++) at6(r + 6 * i, q + 4 * i, 1, 1); /* rows: q = r A */
#pragma GCC unroll 16
        for (int p = 0; p < 16; p++) o[p][k] = q[p];
    }
}

const us_wino_transforms us_wino_f4x4 = {4, 6, 36, kernel_rows, kernel_panels, input_tile, output_tile};
