/* The OpenBLAS path of us_sgemm (CPUs without AVX2 + FMA, or UNETSEG_ISA=blas):
 * C = op(A) op(B) (+ C), split over the pass's threads by blocks of
 * rows (or of columns when there are few rows), each block an independent
 * single-threaded OpenBLAS call. Every element of C is then summed in the
 * same order whatever the thread count, so results do not depend on it
 * (OpenBLAS's own threading splits work differently per thread count). */
#include <cblas.h>

#include "core/parallel.h"
#include "ops/gemm_tile.h"
#include "ops/ops.h"

/* Below this many rows (columns) per thread a split is not worth a thread. */
#define US_GEMM_MIN_BLOCK 64

typedef struct gemm_job {
    int trans_a, trans_b, split_rows;
    int64_t m, n, k;
    float beta;
    const float *a, *b;
    int64_t lda, ldb, ldc;
    float *c;
} gemm_job;

static void gemm_part(void *arg, int32_t part, int32_t parts) {
    const gemm_job *j = arg;
    const int64_t total = j->split_rows ? j->m : j->n;
    /* blocks are multiples of 16 so that kernels see aligned panel sizes */
    int64_t block = ((total + parts - 1) / parts + 15) / 16 * 16;
    int64_t lo = part * block, hi = lo + block < total ? lo + block : total;
    if (lo >= hi) return;
    const float *a = j->a, *b = j->b;
    float *c = j->c;
    int64_t m = j->m, n = j->n;
    if (j->split_rows) {
        a += j->trans_a ? lo : lo * j->lda;
        c += lo * j->ldc;
        m = hi - lo;
    } else {
        b += j->trans_b ? lo * j->ldb : lo;
        c += lo;
        n = hi - lo;
    }
    cblas_sgemm(CblasRowMajor, j->trans_a ? CblasTrans : CblasNoTrans,
                j->trans_b ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)j->k, 1.0f, a,
                (int)j->lda, b, (int)j->ldb, j->beta, c, (int)j->ldc);
}

/* The number of blocks depends only on the shape, never on the thread
 * count: OpenBLAS's kernels may sum a block's edge elements in another order
 * than its interior ones, so the blocks themselves must not move. */
#define US_GEMM_BLOCKS 2

typedef struct block_run {
    const gemm_job *job;
    int32_t blocks;
} block_run;

/* Thread `part` of `parts` computes blocks part, part + parts, ... */
static void run_blocks(void *arg, int32_t part, int32_t parts) {
    const block_run *r = arg;
    for (int32_t b = part; b < r->blocks; b += parts) gemm_part((void *)r->job, b, r->blocks);
}

void us_sgemm_blas(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, const float *a,
                   int64_t lda, const float *b, int64_t ldb, int accumulate, float *c, int64_t ldc) {
    gemm_job j = {trans_a, trans_b, m >= n, m, n, k, accumulate ? 1.0f : 0.0f, a, b, lda, ldb, ldc, c};
    int64_t split = m >= n ? m : n;
    int32_t blocks = split >= 2 * US_GEMM_MIN_BLOCK ? US_GEMM_BLOCKS : 1;
    int32_t threads = us_parallel_threads();
    block_run r = {&j, blocks};
    if (blocks == 1 || threads == 1)
        run_blocks(&r, 0, 1);
    else
        us_parallel_run(threads < blocks ? threads : blocks, run_blocks, &r);
}
