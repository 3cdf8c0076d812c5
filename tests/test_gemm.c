/* The GEMM kernels (src/ops/gemm*.c): every variant this CPU runs against a
 * float64 product, on shapes that hit every edge (partial tiles of rows and
 * columns, depths across several blocks, transposed operands, accumulation,
 * strides whose padding must survive); unetseg's AVX2 and AVX-512 kernels
 * bit-identical to each other, and every result independent of the thread
 * count. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cpu.h"
#include "core/parallel.h"
#include "ops/ops.h"
#include "support/test_support.h"

typedef struct gemm_case {
    int trans_a, trans_b, accumulate;
    int64_t m, n, k;
} gemm_case;

static const gemm_case CASES[] = {
    {0, 0, 0, 1, 1, 1},     {0, 0, 0, 13, 17, 5},   {0, 0, 1, 25, 33, 300},
    {1, 0, 1, 37, 48, 600}, {0, 1, 0, 50, 31, 129}, {1, 1, 1, 7, 70, 257},
    {0, 0, 0, 200, 16, 32}, {0, 0, 0, 97, 64, 513}, {0, 0, 1, 3, 5, 0},
    {0, 0, 0, 4, 3, 0},
    /* 512 columns: one thread packs A, parts of at most 256 columns read it
     * in place */
    {0, 0, 1, 40, 512, 300},
    /* B packed (transposed, or columns not a multiple of 32) over several
     * blocks of depth, C overwritten */
    {0, 1, 0, 30, 40, 600}, {1, 0, 0, 20, 50, 300},
};

static float value(int64_t i, double f) { return (float)sin((double)i * f + 0.3); }

/* Row-major storage with padding after each row: lda = cols + 3 etc. */
typedef struct operands {
    int64_t lda, ldb, ldc;
    float *a, *b, *c0;
    double *ref;
} operands;

static operands make_operands(const gemm_case *g) {
    operands o;
    const int64_t a_rows = g->trans_a ? g->k : g->m, a_cols = g->trans_a ? g->m : g->k;
    const int64_t b_rows = g->trans_b ? g->n : g->k, b_cols = g->trans_b ? g->k : g->n;
    o.lda = a_cols + 3, o.ldb = b_cols + 2, o.ldc = g->n + 5;
    o.a = malloc((size_t)(a_rows * o.lda + 1) * sizeof(float));
    o.b = malloc((size_t)(b_rows * o.ldb + 1) * sizeof(float));
    o.c0 = malloc((size_t)(g->m * o.ldc) * sizeof(float));
    o.ref = malloc((size_t)(g->m * o.ldc) * sizeof(double));
    for (int64_t i = 0; i < a_rows * o.lda; i++) o.a[i] = value(i, 0.7);
    for (int64_t i = 0; i < b_rows * o.ldb; i++) o.b[i] = value(i, 1.1);
    for (int64_t i = 0; i < g->m * o.ldc; i++) o.c0[i] = value(i, 0.37) * 4.0f;
    for (int64_t i = 0; i < g->m; i++)
        for (int64_t j = 0; j < o.ldc; j++) {
            double sum = j < g->n && g->accumulate ? o.c0[i * o.ldc + j] : 0.0;
            if (j >= g->n) sum = o.c0[i * o.ldc + j]; /* padding: untouched */
            for (int64_t p = 0; j < g->n && p < g->k; p++)
                sum += (double)(g->trans_a ? o.a[p * o.lda + i] : o.a[i * o.lda + p]) *
                       (double)(g->trans_b ? o.b[j * o.ldb + p] : o.b[p * o.ldb + j]);
            o.ref[i * o.ldc + j] = sum;
        }
    return o;
}

static void free_operands(operands *o) { free(o->a), free(o->b), free(o->c0), free(o->ref); }

/* C for one variant and thread count; `packed` 1: through us_gemm_pack_b
 * and us_sgemm_packed (A not transposed only); 2: us_sgemm with its first
 * allocation (packing B) failing, so that it packs B a block at a time on
 * the stack. */
static float *run(const gemm_case *g, const operands *o, us_isa isa, int32_t threads, int packed) {
    assert_int_equal(us_cpu_force_isa(isa), isa);
    us_parallel_set_threads(threads);
    float *c = malloc((size_t)(g->m * o->ldc) * sizeof(float));
    memcpy(c, o->c0, (size_t)(g->m * o->ldc) * sizeof(float));
    if (packed == 1) {
        float *bp = malloc((size_t)(us_gemm_packed_floats(g->k, g->n) + 1) * sizeof(float));
        us_gemm_pack_b(g->trans_b, g->k, g->n, o->b, o->ldb, bp);
        us_sgemm_packed(g->m, g->n, g->k, o->a, o->lda, bp, g->accumulate, c, o->ldc);
        free(bp);
    } else {
        if (packed == 2) us_test_fail_allocation(1);
        us_sgemm(g->trans_a, g->trans_b, g->m, g->n, g->k, o->a, o->lda, o->b, o->ldb,
                 g->accumulate, c, o->ldc);
        us_test_fail_allocation(0);
    }
    us_parallel_set_threads(1);
    return c;
}

static void assert_near_reference(const gemm_case *g, const operands *o, const float *c) {
    for (int64_t i = 0; i < g->m; i++)
        for (int64_t j = 0; j < o->ldc; j++) {
            double want = o->ref[i * o->ldc + j], got = c[i * o->ldc + j];
            double tol = j < g->n ? 2e-6 * (double)(g->k + 4) : 0.0;
            if (fabs(got - want) > tol)
                fail_msg("case %lldx%lldx%lld: C[%lld][%lld] = %.9g, want %.9g", (long long)g->m,
                         (long long)g->n, (long long)g->k, (long long)i, (long long)j, got, want);
        }
}

static void every_variant_matches_float64(void **state) {
    (void)state;
    for (size_t s = 0; s < sizeof CASES / sizeof *CASES; s++) {
        const gemm_case *g = &CASES[s];
        operands o = make_operands(g);
        for (int isa = 0; isa <= (int)us_cpu_best_isa(); isa++)
            for (int32_t threads = 1; threads <= 3; threads++) {
                float *c = run(g, &o, (us_isa)isa, threads, 0);
                assert_near_reference(g, &o, c);
                free(c);
                c = run(g, &o, (us_isa)isa, threads, 2);
                assert_near_reference(g, &o, c);
                free(c);
                if (g->trans_a) continue;
                c = run(g, &o, (us_isa)isa, threads, 1);
                assert_near_reference(g, &o, c);
                free(c);
            }
        free_operands(&o);
    }
    us_cpu_force_isa(US_ISA_COUNT);
}

/* Bit for bit: thread counts, packed or not (or packed on the stack for
 * want of memory), AVX2 or AVX-512. */
static void own_kernels_agree_exactly(void **state) {
    (void)state;
    if (us_cpu_best_isa() < US_ISA_AVX2) skip();
    for (size_t s = 0; s < sizeof CASES / sizeof *CASES; s++) {
        const gemm_case *g = &CASES[s];
        operands o = make_operands(g);
        float *first = run(g, &o, US_ISA_AVX2, 1, 0);
        for (int isa = US_ISA_AVX2; isa <= (int)us_cpu_best_isa(); isa++)
            for (int32_t threads = 1; threads <= 4; threads++)
                for (int packed = 0; packed <= 2; packed++) {
                    if (packed == 1 && g->trans_a) continue;
                    float *c = run(g, &o, (us_isa)isa, threads, packed);
                    assert_memory_equal(c, first, (size_t)(g->m * o.ldc) * sizeof(float));
                    free(c);
                }
        free(first);
        free_operands(&o);
    }
    us_cpu_force_isa(US_ISA_COUNT);
}

/* Names, and requests above what the CPU has are capped. */
static void variant_names(void **state) {
    (void)state;
    assert_string_equal(us_isa_name(US_ISA_AVX512), "avx512");
    assert_string_equal(us_isa_name(US_ISA_AVX2), "avx2");
    assert_string_equal(us_isa_name(US_ISA_BLAS), "blas");
    assert_string_equal(us_isa_name((us_isa)7), "unknown");
    assert_true(us_cpu_isa() <= us_cpu_best_isa());
    assert_int_equal(us_cpu_force_isa(US_ISA_COUNT), us_cpu_best_isa());
}

/* unetseg_runtime_info names the variant in use, and follows a change. */
static void runtime_info_names_the_variant(void **state) {
    (void)state;
    for (int isa = 0; isa <= (int)us_cpu_best_isa(); isa++) {
        us_cpu_force_isa((us_isa)isa);
        char want[64];
        snprintf(want, sizeof want, "gemm kernels: %s (", us_isa_name((us_isa)isa));
        const char *info = unetseg_runtime_info();
        if (!strstr(info, want)) fail_msg("no '%s' in:\n%s", want, info);
        assert_non_null(strstr(info, "cpu features: "));
        assert_non_null(strstr(info, "openblas: "));
        assert_non_null(strstr(info, unetseg_version_string()));
    }
    us_cpu_force_isa(US_ISA_COUNT);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(every_variant_matches_float64),
                                       cmocka_unit_test(own_kernels_agree_exactly),
                                       cmocka_unit_test(variant_names),
                                       cmocka_unit_test(runtime_info_names_the_variant)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
