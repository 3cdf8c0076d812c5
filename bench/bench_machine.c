/* What the machine itself gives one thread and two, right now: the DRAM
 * read bandwidth (each thread sums a buffer of its own, far larger than
 * any cache) and the multiply-add throughput (independent chains in
 * registers, no memory). make bench prints these beside its scaling
 * ratios: on a shared VM the bandwidth changes from minute to minute (Zen
 * 5, 2 vCPUs: two threads read 28 to 58 GB/s, one 12 to 29), and no
 * engine scales past what the machine gives it at that moment.
 *   build/bench/bench_machine [MIB_PER_THREAD]
 * Prints key=value pairs: read_gbs_1, read_gbs_2, fma_gflops_1,
 * fma_gflops_2 (totals over the threads). Needs no library of ours. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_THREADS 2
#define READ_PASSES 3
#define FMA_CHAINS 12 /* independent chains: more than latency x pipes */
#define FMA_STEPS 20000000L
#define ROUNDS 5

typedef float vec16 __attribute__((vector_size(64)));

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct job {
    const vec16 *buf;
    size_t vectors;
    float sink; /* keeps the work from being optimised away */
} job;

static void *read_buffer(void *arg) {
    job *j = arg;
    vec16 s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
    for (int pass = 0; pass < READ_PASSES; pass++)
        for (size_t i = 0; i + 4 <= j->vectors; i += 4) {
            s0 += j->buf[i], s1 += j->buf[i + 1];
            s2 += j->buf[i + 2], s3 += j->buf[i + 3];
        }
    vec16 s = s0 + s1 + s2 + s3;
    j->sink = s[0] + s[15];
    return NULL;
}

/* Chains of multiply-adds with the widest fused multiply-add the CPU has
 * (AVX-512: 32 flops a step of a chain, AVX2: 16); without either, a
 * multiply and an add of the vector extension (32 flops, as SSE code). */
#define FMA_CHAIN_LOOP(type, set1, fmadd, add, lanes)                         \
    job *j = arg;                                                              \
    type a[FMA_CHAINS];                                                        \
    const type b = set1(0.9999f), c = set1(0.0001f);                           \
    for (int i = 0; i < FMA_CHAINS; i++) a[i] = set1(0.001f * (float)i);       \
    for (long step = 0; step < FMA_STEPS; step++) {                            \
        _Pragma("GCC unroll 12") for (int i = 0; i < FMA_CHAINS; i++)          \
            a[i] = fmadd(a[i], b, c);                                          \
    }                                                                          \
    type s = a[0];                                                             \
    for (int i = 1; i < FMA_CHAINS; i++) s = add(s, a[i]);                     \
    float out[lanes];                                                          \
    memcpy(out, &s, sizeof out);                                               \
    j->sink = out[0];                                                          \
    return NULL;

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
__attribute__((target("avx512f"))) static void *fma_avx512(void *arg) {
    FMA_CHAIN_LOOP(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, 16)
}
__attribute__((target("avx2,fma"))) static void *fma_avx2(void *arg) {
    FMA_CHAIN_LOOP(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, 8)
}
#endif
#define VEC_SET1(x) ((vec16){0} + (x))
#define VEC_MULADD(a, b, c) ((a) * (b) + (c))
#define VEC_ADD(a, b) ((a) + (b))
static void *fma_plain(void *arg) { FMA_CHAIN_LOOP(vec16, VEC_SET1, VEC_MULADD, VEC_ADD, 16) }

static int by_value(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double v[ROUNDS]) {
    qsort(v, ROUNDS, sizeof *v, by_value);
    return v[ROUNDS / 2];
}

/* Seconds for `threads` threads each running fn on its own job. */
static double timed(void *(*fn)(void *), job *jobs, int threads) {
    pthread_t t[MAX_THREADS];
    int started = 0;
    double t0 = now_s();
    for (; started < threads; started++)
        if (pthread_create(&t[started], NULL, fn, &jobs[started]) != 0) break;
    for (int i = 0; i < started; i++) pthread_join(t[i], NULL);
    return started == threads ? now_s() - t0 : -1.0;
}

int main(int argc, char **argv) {
    const long mib = argc > 1 ? atol(argv[1]) : 256;
    if (mib < 1 || mib > 4096) {
        fprintf(stderr, "usage: bench_machine [MIB_PER_THREAD, 1-4096]\n");
        return 2;
    }
    const size_t bytes = (size_t)mib << 20;
    job jobs[MAX_THREADS];
    for (int i = 0; i < MAX_THREADS; i++) {
        void *p = NULL;
        if (posix_memalign(&p, 64, bytes) != 0) {
            fprintf(stderr, "bench_machine: cannot allocate %ld MiB\n", mib);
            for (int k = 0; k < i; k++) free((void *)jobs[k].buf);
            return 1;
        }
        memset(p, 1, bytes); /* touched: no page faults inside the timing */
        jobs[i] = (job){p, bytes / sizeof(vec16), 0};
    }
    void *(*fma)(void *) = fma_plain;
    double flops_per_step = 16.0 * 2.0; /* a multiply and an add per lane */
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        fma = fma_avx512;
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        fma = fma_avx2, flops_per_step = 8.0 * 2.0;
#endif
    /* one thread and two in turn, ROUNDS times; the median of each (a
     * single reading of ~40 ms swings with the host) */
    double gbs[MAX_THREADS][ROUNDS], gflops[MAX_THREADS][ROUNDS];
    int status = 0;
    for (int round = 0; round < ROUNDS && !status; round++)
        for (int threads = 1; threads <= MAX_THREADS; threads++) {
            const double r = timed(read_buffer, jobs, threads), f = timed(fma, jobs, threads);
            if (r <= 0 || f <= 0) {
                fprintf(stderr, "bench_machine: cannot start %d threads\n", threads);
                status = 1;
                break;
            }
            gbs[threads - 1][round] = (double)threads * READ_PASSES * (double)bytes / r * 1e-9;
            gflops[threads - 1][round] = (double)threads * FMA_STEPS * FMA_CHAINS * flops_per_step / f * 1e-9;
        }
    for (int threads = 1; threads <= MAX_THREADS && !status; threads++)
        printf("read_gbs_%d=%.1f fma_gflops_%d=%.1f ", threads, median(gbs[threads - 1]), threads,
               median(gflops[threads - 1]));
    printf("\n");
    for (int i = 0; i < MAX_THREADS; i++) free((void *)jobs[i].buf);
    return status;
}
