/* C = op(A) op(B) (+ C) on unetseg's own micro-kernels (gemm_tile.h), or on
 * OpenBLAS where the CPU has neither AVX2 + FMA nor AVX-512 (gemm_blas.c).
 *
 * Loops (Goto/BLIS order): B is packed once (or was packed earlier, e.g. a
 * layer's weights); for each block of US_GEMM_KC columns of A, each part's
 * rows are packed US_GEMM_MC at a time and every tile of C in them is
 * updated by the micro-kernel, which keeps its tile in registers while a
 * micro-panel pair of B stays in L1 and the packed A block in L2.
 * Threads take disjoint rows (or columns) of C; as each element's sum is
 * computed the same way wherever it is, the split never changes a result. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cpu.h"
#include "core/parallel.h"
#include "core/scratch.h"
#include "ops/gemm_tile.h"
#include "ops/ops.h"

static const us_gemm_kernel *active_kernel(void) {
    switch (us_cpu_isa()) {
    case US_ISA_AVX512: return &us_gemm_kernel_avx512;
    case US_ISA_AVX2: return &us_gemm_kernel_avx2;
    default: return NULL;
    }
}

/* OpenBLAS reads a dense k x n B: one panel of n columns. */
int64_t us_gemm_pack_width(int64_t n) { return active_kernel() ? US_GEMM_PANEL : n; }

int64_t us_gemm_packed_floats(int64_t k, int64_t n) {
    const int64_t width = us_gemm_pack_width(n);
    return width > 0 ? (n + width - 1) / width * width * k : 0;
}

/* B(p, col) of a row-major k x n B, or of the transpose of a row-major n x k. */
static inline float b_at(int trans_b, const float *b, int64_t ldb, int64_t p, int64_t col) {
    return trans_b ? b[col * ldb + p] : b[p * ldb + col];
}

typedef struct pack_b_job {
    int trans_b;
    int64_t k, n, ldb, width; /* panels of `width` columns (us_gemm_pack_width) */
    const float *b;
    float *packed;
} pack_b_job;

/* Rows [lo, hi) of every panel. */
static void pack_b_band(void *arg, int64_t lo, int64_t hi) {
    const pack_b_job *j = arg;
    const int64_t width = j->width;
    for (int64_t col0 = 0; col0 < j->n; col0 += width) {
        const int64_t cols = j->n - col0 < width ? j->n - col0 : width;
        float *dst = j->packed + col0 * j->k;
        for (int64_t p = lo; p < hi; p++) {
            float *row = dst + p * width;
            if (!j->trans_b && cols == width) {
                memcpy(row, j->b + p * j->ldb + col0, sizeof(float) * (size_t)width);
                continue;
            }
            for (int64_t q = 0; q < width; q++)
                row[q] = q < cols ? b_at(j->trans_b, j->b, j->ldb, p, col0 + q) : 0.0f;
        }
    }
}

/* One layout for every variant: OpenBLAS's dense k x n B is one panel of n
 * columns. */
void us_gemm_pack_b(int trans_b, int64_t k, int64_t n, const float *b, int64_t ldb,
                    float *packed) {
    const int64_t width = us_gemm_pack_width(n);
    if (width <= 0) return;
    pack_b_job j = {trans_b, k, n, ldb, width, b, packed};
    us_parallel_rows(k, (n + width - 1) / width * width, pack_b_band, &j);
}

#if defined(__SSE2__)
#include <xmmintrin.h>
/* dst[p * mr + r] = src[r * lda + p] for 4 rows and 4 columns. */
static inline void transpose_4x4(const float *src, int64_t lda, float *dst, int32_t mr) {
    __m128 r0 = _mm_loadu_ps(src), r1 = _mm_loadu_ps(src + lda);
    __m128 r2 = _mm_loadu_ps(src + 2 * lda), r3 = _mm_loadu_ps(src + 3 * lda);
    _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
    _mm_storeu_ps(dst, r0);
    _mm_storeu_ps(dst + mr, r1);
    _mm_storeu_ps(dst + 2 * mr, r2);
    _mm_storeu_ps(dst + 3 * mr, r3);
}
#endif

/* One micro-panel from row-major A: `valid` rows of kc columns. */
static void pack_rows(const float *a, int64_t lda, int64_t valid, int64_t kc, int32_t mr,
                      float *packed) {
    int64_t r = 0, p = 0;
#if defined(__SSE2__)
    for (; r + 4 <= valid; r += 4)
        for (p = 0; p + 4 <= kc; p += 4) transpose_4x4(a + r * lda + p, lda, packed + p * mr + r, mr);
    const int64_t tail_from = p; /* columns the 4 x 4 blocks left, for rows [0, r) */
    for (int64_t rr = 0; rr < r; rr++)
        for (int64_t q = tail_from; q < kc; q++) packed[q * mr + rr] = a[rr * lda + q];
#endif
    for (; r < mr; r++)
        for (p = 0; p < kc; p++) packed[p * mr + r] = r < valid ? a[r * lda + p] : 0.0f;
}

/* Rows [row0, row0 + rows) and columns [p0, p0 + kc) of op(A) into
 * micro-panels of mr rows (zeros past the last row). */
static void pack_a(int trans_a, const float *a, int64_t lda, int64_t row0, int64_t rows,
                   int64_t p0, int64_t kc, int32_t mr, float *packed) {
    for (int64_t i0 = 0; i0 < rows; i0 += mr, packed += mr * kc) {
        const int64_t valid = rows - i0 < mr ? rows - i0 : mr;
        if (!trans_a) {
            pack_rows(a + (row0 + i0) * lda + p0, lda, valid, kc, mr, packed);
            continue;
        }
        /* the mr rows of one column are contiguous: whole micro-panels are
         * copied with constant sizes (inlined vector moves) */
        const float *src = a + p0 * lda + row0 + i0;
        if (valid == mr && mr == 12)
            for (int64_t p = 0; p < kc; p++) memcpy(packed + p * 12, src + p * lda, 12 * sizeof(float));
        else if (valid == mr && mr == 6)
            for (int64_t p = 0; p < kc; p++) memcpy(packed + p * 6, src + p * lda, 6 * sizeof(float));
        else
            for (int64_t p = 0; p < kc; p++)
                for (int64_t r = 0; r < mr; r++) packed[p * mr + r] = r < valid ? src[p * lda + r] : 0.0f;
    }
}

typedef struct gemm_run {
    const us_gemm_kernel *kern;
    int trans_a, accumulate;
    int64_t m, n, k, lda, ldc;
    const float *a, *b;
    int64_t ldb;         /* 0: b is packed */
    float *c;
    const float *ahead;  /* NULL, or rows of 32 columns to fetch (us_sgemm_packed_ahead) */
    int64_t ahead_row;
    int a_in_place;      /* micro-panels of A read in place (kern->run_a_in_place) */
    int split_rows;      /* parts take rows (else columns) */
    int64_t block;       /* rows or columns per part */
} gemm_run;

/* Where the tile of columns [j, j + nr) finds rows [p0, p0 + kc) of B: its
 * first 16 columns and the next 16. */
static void tile_b(const gemm_run *g, int64_t p0, int64_t j, const float **b, const float **next) {
    if (g->ldb) {
        *b = g->b + p0 * g->ldb + j;
        *next = *b + US_GEMM_PANEL;
    } else {
        *b = g->b + (j / US_GEMM_PANEL) * US_GEMM_PANEL * g->k + p0 * US_GEMM_PANEL;
        *next = *b + US_GEMM_PANEL * g->k;
    }
}

/* C[rows [r0, r1), columns [c0, c1)], packing up to mc_max rows of A at a
 * time into apack. */
static void run_block(const gemm_run *g, int64_t r0, int64_t r1, int64_t c0, int64_t c1,
                      float *apack, int64_t mc_max) {
    const us_gemm_kernel *kern = g->kern;
    for (int64_t p0 = 0; p0 < g->k; p0 += US_GEMM_KC) {
        const int64_t kc = g->k - p0 < US_GEMM_KC ? g->k - p0 : US_GEMM_KC;
        us_gemm_tile t = {.kc = kc, .lda = g->lda, .b_row = g->ldb ? g->ldb : US_GEMM_PANEL, .ldc = g->ldc,
                          .accumulate = g->accumulate || p0 > 0};
        for (int64_t i0 = r0; i0 < r1; i0 += mc_max) {
            const int64_t mc = r1 - i0 < mc_max ? r1 - i0 : mc_max;
            /* in place, nothing is packed (a last partial micro-panel too:
             * packing its rows for every call of Winograd's fused groups
             * was a quarter of an 8x8 layer's time) */
            if (!g->a_in_place) pack_a(g->trans_a, g->a, g->lda, i0, mc, p0, kc, kern->mr, apack);
            for (int64_t j = c0; j < c1; j += kern->nr) {
                tile_b(g, p0, j, &t.b, &t.b_next);
                /* the first row of tiles brings the next tile's B in;
                 * the last tile's, the caller's next data (first block) */
                const float *pf = NULL, *pf_next = NULL;
                int64_t pf_row = t.b_row;
                if (j + kern->nr < c1) {
                    tile_b(g, p0, j + kern->nr, &pf, &pf_next);
                    if (kern->nr <= US_GEMM_PANEL) pf_next = NULL; /* one panel a tile */
                } else if (g->ahead && p0 == 0 && i0 == r0) {
                    pf = g->ahead, pf_next = g->ahead + US_GEMM_PANEL, pf_row = g->ahead_row;
                }
                t.cols = (int32_t)(c1 - j < kern->nr ? c1 - j : kern->nr);
                t.prefetch_row = pf_row;
                for (int64_t i = 0; i < mc; i += kern->mr) {
                    t.prefetch = i == 0 ? pf : NULL;
                    t.prefetch_next = i == 0 ? pf_next : NULL;
                    t.c = g->c + (i0 + i) * g->ldc + j;
                    t.rows = (int32_t)(mc - i < kern->mr ? mc - i : kern->mr);
                    if (g->a_in_place) {
                        t.a = g->a + (i0 + i) * g->lda + p0;
                        kern->run_a_in_place(&t);
                    } else {
                        t.a = apack + i * kc;
                        kern->run(&t);
                    }
                }
            }
        }
    }
}

static void run_part(void *arg, int32_t part, int32_t parts) {
    const gemm_run *g = arg;
    (void)parts;
    const int64_t total = g->split_rows ? g->m : g->n;
    const int64_t lo = part * g->block, hi = lo + g->block < total ? lo + g->block : total;
    if (lo >= hi) return;
    /* Without memory for a block of A, one micro-panel at a time on the
     * stack: slower (B comes from L2 for every tile), same results. */
    float fallback[US_GEMM_MAX_MR * US_GEMM_KC];
    /* A read in place needs no block; the others reuse one (core/scratch.h:
     * a malloc and free of 96 KB on each of the ~50 calls of a pass went
     * back to the kernel wherever glibc trimmed its heap) */
    float *block = g->a_in_place ? NULL : us_scratch_get((size_t)(US_GEMM_MC * US_GEMM_KC), sizeof(float));
    const int64_t mc = block || g->a_in_place ? US_GEMM_MC : g->kern->mr;
    if (g->split_rows)
        run_block(g, lo, hi, 0, g->n, block ? block : fallback, mc);
    else
        run_block(g, 0, g->m, lo, hi, block ? block : fallback, mc);
    us_scratch_put(block);
}

/* The largest part over the even share when `total` rows (columns) are
 * dealt to `threads` in whole tiles of `unit`: 1.0 when they divide evenly. */
static double imbalance(int64_t total, int64_t unit, int32_t threads) {
    const int64_t units = (total + unit - 1) / unit;
    return (double)((units + threads - 1) / threads * unit * threads) / (double)total;
}

/* Rows (or columns) per thread: whole tiles, split along whichever of the
 * two shares them more evenly (64 rows are 6 tiles of 12: 3 + 3 tiles of
 * work for 36 + 28 rows; 512 columns are 16 + 16 tiles), rows on a tie
 * (each part packs all the rows of A it needs), and threads only where each
 * gets enough work. */
static void plan_split(gemm_run *g, int32_t *parts) {
    const us_gemm_kernel *kern = g->kern;
    int32_t threads = us_parallel_threads();
    /* below ~1 MFLOP per thread a split costs more than it saves */
    if ((double)g->m * (double)g->n * (double)g->k < 1e6 * threads) threads = 1;
    const int64_t row_units = (g->m + kern->mr - 1) / kern->mr;
    const int64_t col_units = (g->n + kern->nr - 1) / kern->nr;
    g->split_rows = threads == 1 || row_units >= 4 * threads ||
                    imbalance(g->m, kern->mr, threads) <= imbalance(g->n, kern->nr, threads);
    const int64_t total = g->split_rows ? g->m : g->n, unit = g->split_rows ? kern->mr : kern->nr;
    const int64_t units = g->split_rows ? row_units : col_units;
    if (threads > units) threads = (int32_t)units;
    if (threads < 1) threads = 1;
    g->block = (units + threads - 1) / threads * unit;
    *parts = (int32_t)((total + g->block - 1) / g->block);
}

/* Up to this many columns of C (of a part's own columns, where parts take
 * columns), the micro-panels of A are read in place rather than packed
 * (bench_gemm, Zen 5: the 7x7 stem's im2col GEMM, k = 147 and 64 columns,
 * 138 -> 186 GFLOP/s; Winograd's 64-256 columns +3-7 %; with 512 columns
 * each panel of A is read 16 times and packing wins). */
#define US_GEMM_A_IN_PLACE_MAX_N 256

/* ldb = 0: b is packed. */
static void gemm_own(const us_gemm_kernel *kern, int trans_a, int64_t m, int64_t n, int64_t k,
                     const float *a, int64_t lda, const float *b, int64_t ldb, int accumulate,
                     float *c, int64_t ldc, const float *ahead, int64_t ahead_row) {
    gemm_run g = {.kern = kern, .trans_a = trans_a, .accumulate = accumulate, .m = m, .n = n,
                  .k = k, .lda = lda, .ldc = ldc, .a = a, .b = b, .ldb = ldb, .c = c,
                  .ahead = ahead, .ahead_row = ahead_row};
    int32_t parts;
    plan_split(&g, &parts);
    /* each part reads A for its own columns only */
    const int64_t part_n = g.split_rows ? n : g.block;
    g.a_in_place = kern->run_a_in_place && !trans_a && part_n <= US_GEMM_A_IN_PLACE_MAX_N;
    if (parts > 1)
        us_parallel_run(parts, run_part, &g);
    else
        run_part(&g, 0, 1);
}

void us_sgemm_packed_ahead(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                           const float *packed_b, int accumulate, float *c, int64_t ldc,
                           const float *ahead, int64_t ahead_row) {
    if (m <= 0 || n <= 0) return;
    const us_gemm_kernel *kern = active_kernel();
    if (!kern)
        us_sgemm_blas(0, 0, m, n, k, a, lda, packed_b, n, accumulate, c, ldc);
    else if (k <= 0 && !accumulate)
        for (int64_t i = 0; i < m; i++) memset(c + i * ldc, 0, sizeof(float) * (size_t)n);
    else if (k > 0)
        gemm_own(kern, 0, m, n, k, a, lda, packed_b, 0, accumulate, c, ldc, ahead, ahead_row);
}

void us_sgemm_packed(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                     const float *packed_b, int accumulate, float *c, int64_t ldc) {
    us_sgemm_packed_ahead(m, n, k, a, lda, packed_b, accumulate, c, ldc, NULL, 0);
}

/* us_sgemm without memory to pack B: two panels of B (32 columns) and one
 * block of depth (KC rows) at a time through a buffer on the stack, each
 * column summed over the same blocks in the same order, so the same bits.
 * Until 2026-12-08 this fell back to OpenBLAS, whose first call allocates a
 * 128 MB buffer and, when that fails, retries forever: a training step
 * hung under a 320 MB address-space limit. */
static void gemm_packing_on_stack(const us_gemm_kernel *kern, int trans_a, int trans_b, int64_t m,
                                  int64_t n, int64_t k, const float *a, int64_t lda,
                                  const float *b, int64_t ldb, int accumulate, float *c, int64_t ldc) {
    enum { WIDTH = 2 * US_GEMM_PANEL };
    _Static_assert(WIDTH >= 32, "a tile of the widest kernel (nr = 32) reads two panels");
    float panels[US_GEMM_KC * WIDTH];
    memset(panels, 0, sizeof panels); /* a narrow last block leaves its second panel unread */
    for (int64_t c0 = 0; c0 < n; c0 += WIDTH) {
        const int64_t cols = n - c0 < WIDTH ? n - c0 : WIDTH;
        for (int64_t p0 = 0; p0 < k; p0 += US_GEMM_KC) {
            const int64_t kc = k - p0 < US_GEMM_KC ? k - p0 : US_GEMM_KC;
            us_gemm_pack_b(trans_b, kc, cols, trans_b ? b + c0 * ldb + p0 : b + p0 * ldb + c0, ldb, panels);
            gemm_own(kern, trans_a, m, cols, kc, trans_a ? a + p0 * lda : a + p0, lda, panels, 0,
                     accumulate || p0 > 0, c + c0, ldc, NULL, 0);
        }
    }
}

void us_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, const float *a,
              int64_t lda, const float *b, int64_t ldb, int accumulate, float *c, int64_t ldc) {
    if (m <= 0 || n <= 0) return;
    const us_gemm_kernel *kern = active_kernel();
    /* B read in place: faster than packing it when whole tiles fit (a
     * layer's weights, used once per KC block, at m = 64 rows: 169 against
     * 124 GFLOP/s packed, bench/bench_gemm.c) */
    if (kern && k > 0 && !trans_b && n % kern->nr == 0) {
        gemm_own(kern, trans_a, m, n, k, a, lda, b, ldb, accumulate, c, ldc, NULL, 0);
        return;
    }
    if (!kern || k <= 0) { /* no kernel of ours: OpenBLAS */
        us_sgemm_blas(trans_a, trans_b, m, n, k, a, lda, b, ldb, accumulate, c, ldc);
        return;
    }
    float *packed = us_malloc_array((size_t)us_gemm_packed_floats(k, n), sizeof(float));
    if (!packed) {
        gemm_packing_on_stack(kern, trans_a, trans_b, m, n, k, a, lda, b, ldb, accumulate, c, ldc);
        return;
    }
    us_gemm_pack_b(trans_b, k, n, b, ldb, packed);
    gemm_own(kern, trans_a, m, n, k, a, lda, packed, 0, accumulate, c, ldc, NULL, 0);
    free(packed);
}
