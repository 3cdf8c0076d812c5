/* GEMM kernels on the shapes of Unet('resnet34') at 256x256, batch 1:
 * GFLOP/s of each variant (unetseg's AVX-512 and AVX2 kernels, OpenBLAS)
 * and its largest error against a float64 product, on THREADS threads.
 *   build/bench/bench_gemm [REPEAT [THREADS]]
 * Built with -DBENCH_LIBXSMM (make bench-kernels does when Debian's
 * libxsmm-dev is installed), it adds libxsmm 1.17: one JIT kernel for the
 * whole product, the way it would replace ours (single thread; "n/a" when
 * libxsmm declines the shape, "-" for a transposed A).
 * Internal functions: links the static library. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifdef BENCH_LIBXSMM
#include <libxsmm.h>
#endif

#include "core/cpu.h"
#include "core/parallel.h"
#include "ops/ops.h"

typedef struct shape {
    const char *what;
    int64_t m, n, k;
    int packed; /* B packed once (Winograd's prepared kernels) */
} shape;

static const shape SHAPES[] = {
    {"winograd 64x64 (120 tiles)", 120, 64, 64, 1},
    {"winograd 128x128", 120, 128, 128, 1},
    {"winograd 256x256", 120, 256, 256, 1},
    {"winograd 512x512", 120, 512, 512, 1},
    {"winograd decoder 768->256", 120, 256, 768, 1},
    {"winograd decoder 32->16", 120, 16, 32, 1},
    {"winograd decoder 16->16", 120, 16, 16, 1},
    {"conv0 7x7 s2 im2col", 16384, 64, 147, 0},
    {"3x3 s2 64->128 im2col", 1024, 128, 576, 0},
    {"3x3 s2 128->256 im2col", 256, 256, 1152, 0},
    {"3x3 256->512 8x8 im2col", 64, 512, 2304, 0},
    {"3x3 512->512 8x8 im2col", 64, 512, 4608, 0},
    {"1x1 s1 64->128", 4096, 128, 64, 0},
    {"dkernel 3x3 64->64 (A^T)", 576, 64, 16384, 0},
};

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#ifdef BENCH_LIBXSMM
/* Row-major C = A B is column-major C^T = B^T A^T: libxsmm's m, n are our
 * n, m. Best time in seconds, or 0 when no kernel is made. */
static double time_libxsmm(const shape *sh, const float *a, const float *b, float *c, int repeat) {
    const libxsmm_blasint m = (libxsmm_blasint)sh->n, n = (libxsmm_blasint)sh->m,
                          k = (libxsmm_blasint)sh->k;
    const float alpha = 1.0f, beta = 0.0f;
    libxsmm_smmfunction kernel = libxsmm_smmdispatch(m, n, k, &m, &k, &m, &alpha, &beta, NULL, NULL);
    if (!kernel) return 0;
    double t_best = 1e30;
    for (int r = 0; r < repeat; r++) {
        double t0 = now();
        kernel(b, a, c);
        double t = now() - t0;
        if (t < t_best) t_best = t;
    }
    return t_best;
}
#endif

static float *random_matrix(int64_t count, unsigned *seed) {
    float *x = malloc((size_t)count * sizeof *x);
    for (int64_t i = 0; i < count; i++) x[i] = (float)rand_r(seed) / (float)RAND_MAX - 0.5f;
    return x;
}

int main(int argc, char **argv) {
    int repeat = argc > 1 ? atoi(argv[1]) : 20;
    const int32_t threads = argc > 2 ? atoi(argv[2]) : 1;
    const us_isa best = us_cpu_best_isa();
    printf("| shape | m | n | k |");
    for (int isa = best; isa >= 0; isa--) printf(" %s GFLOP/s |", us_isa_name((us_isa)isa));
#ifdef BENCH_LIBXSMM
    printf(" libxsmm GFLOP/s (1 thread) |");
#endif
    printf(" max rel. error |\n|---|---|---|---|");
    for (int isa = best; isa >= 0; isa--) printf("---|");
#ifdef BENCH_LIBXSMM
    printf("---|");
#endif
    printf("---|\n");
    for (size_t s = 0; s < sizeof SHAPES / sizeof *SHAPES; s++) {
        const shape *sh = &SHAPES[s];
        const int trans_a = sh->what[0] == 'd';
        unsigned seed = 1;
        float *a = random_matrix(sh->m * sh->k, &seed), *b = random_matrix(sh->k * sh->n, &seed);
        float *c = malloc((size_t)(sh->m * sh->n) * sizeof *c);
        double *ref = malloc((size_t)(sh->m * sh->n) * sizeof *ref);
        for (int64_t i = 0; i < sh->m; i++)
            for (int64_t j = 0; j < sh->n; j++) {
                double sum = 0;
                for (int64_t p = 0; p < sh->k; p++)
                    sum += (double)(trans_a ? a[p * sh->m + i] : a[i * sh->k + p]) * b[p * sh->n + j];
                ref[i * sh->n + j] = sum;
            }
        printf("| %s | %lld | %lld | %lld |", sh->what, (long long)sh->m, (long long)sh->n,
               (long long)sh->k);
        double worst = 0;
        for (int isa = best; isa >= 0; isa--) {
            us_cpu_force_isa((us_isa)isa);
            float *packed = malloc((size_t)us_gemm_packed_floats(sh->k, sh->n) * sizeof(float));
            us_gemm_pack_b(0, sh->k, sh->n, b, sh->n, packed);
            us_parallel_set_threads(threads);
            double t_best = 1e30;
            for (int r = 0; r < repeat; r++) {
                double t0 = now();
                if (sh->packed)
                    us_sgemm_packed(sh->m, sh->n, sh->k, a, sh->k, packed, 0, c, sh->n);
                else
                    us_sgemm(trans_a, 0, sh->m, sh->n, sh->k, a, trans_a ? sh->m : sh->k, b, sh->n, 0, c, sh->n);
                double t = now() - t0;
                if (t < t_best) t_best = t;
            }
            us_parallel_set_threads(1);
            double scale = 0, err = 0;
            for (int64_t i = 0; i < sh->m * sh->n; i++) {
                if (fabs(ref[i]) > scale) scale = fabs(ref[i]);
                if (fabs(c[i] - ref[i]) > err) err = fabs(c[i] - ref[i]);
            }
            if (err / scale > worst) worst = err / scale;
            printf(" %.1f |", 2.0 * (double)sh->m * (double)sh->n * (double)sh->k / t_best * 1e-9);
            free(packed);
        }
#ifdef BENCH_LIBXSMM
        double t_x = trans_a ? 0 : time_libxsmm(sh, a, b, c, repeat);
        if (trans_a)
            printf(" - |");
        else if (t_x == 0)
            printf(" n/a |");
        else {
            double scale = 0, err = 0;
            for (int64_t i = 0; i < sh->m * sh->n; i++) {
                scale = fmax(scale, fabs(ref[i]));
                err = fmax(err, fabs(c[i] - ref[i]));
            }
            printf(" %.1f (error %.0e) |", 2.0 * (double)sh->m * (double)sh->n * (double)sh->k / t_x * 1e-9,
                   err / scale);
        }
#endif
        printf(" %.1e |\n", worst);
        fflush(stdout);
        free(a), free(b), free(c), free(ref);
    }
    return 0;
}
