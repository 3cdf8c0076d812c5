/* One benchmark case of unetseg, in its own process (so peak RSS is the
 * case's own): prints `median_ms=X cpu_ms=C gflop=Y peak_rss_kb=Z min_ms=M` (the
 * fastest pass: steadier than the median on a noisy shared host, for A/B runs).
 *   bench_unetseg fwd|mc|train BATCH SIZE THREADS REPEAT [key=value ...]
 *   bench_unetseg info   (unetseg_runtime_info: the kernel variant this
 *                         environment selects, for the results' header)
 * The network is Keras' Unet('resnet34'), classes=1; `mc` inserts
 * ConditionalDropout(0.2) after the decoder convs and runs 10 samples;
 * `train` is one Adam step with BCE. Public API only. Keys:
 *   weights=FILE  load the parameters (unetseg_model_load_weights, strict);
 *                 without it the library's own initialisation
 *   input=FILE    safetensors with `images` (BATCH, SIZE, SIZE, 3) and
 *                 `masks` (BATCH, SIZE, SIZE, 1); without it a fixed pattern
 *   dump=FILE     fwd: run one forward pass and write its output as raw
 *                 float32 (NHWC) to FILE instead of timing
 *   kernel_cache=MIB  unetseg_model_set_kernel_cache_limit (default: the
 *                 library's, 48 MiB)
 *   profile=1     fwd, mc: profile the timed passes after the first (which
 *                 makes the kept kernels; unetseg_model_set_profiling) and
 *                 print the table (unetseg_model_profile) on stderr */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unetseg.h>

#define CHECK(call)                                                                          \
    do {                                                                                     \
        int32_t st_ = (call);                                                                \
        if (st_) {                                                                           \
            fprintf(stderr, "%s: %s\n", unetseg_status_string(st_), unetseg_last_error()); \
            exit(1);                                                                         \
        }                                                                                    \
    } while (0)

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static double cpu_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Multiply-adds x 2 of every convolution for this input (GFLOP). */
static double conv_gflop(unetseg_model *m, int64_t batch) {
    int32_t n = 0;
    double flop = 0;
    CHECK(unetseg_model_layer_count(m, &n));
    for (int32_t i = 0; i < n; i++) {
        int32_t kind;
        int64_t shape[4], params, in_shape[4];
        const char *in_name;
        int32_t in_index;
        CHECK(unetseg_model_layer_kind(m, i, &kind));
        if (kind != UNETSEG_LAYER_CONV2D && kind != UNETSEG_LAYER_CONV2D_TRANSPOSE) continue;
        CHECK(unetseg_model_layer_output_shape(m, i, shape));
        CHECK(unetseg_model_layer_param_count(m, i, &params));
        CHECK(unetseg_model_layer_inbound(m, i, 0, &in_name));
        CHECK(unetseg_model_layer_index(m, in_name, &in_index));
        CHECK(unetseg_model_layer_output_shape(m, in_index, in_shape));
        /* kernel weights (bias ignored) x output (Conv2D) or input (transpose) pixels */
        int64_t pixels = kind == UNETSEG_LAYER_CONV2D ? shape[1] * shape[2] : in_shape[1] * in_shape[2];
        flop += 2.0 * (double)params * (double)pixels * (double)batch;
    }
    return flop * 1e-9;
}

/* The tensor `name` of FILE into `dst`, which must have the same shape. */
static void load_into(const char *path, const char *name, unetseg_tensor *dst) {
    unetseg_tensor *t = NULL;
    int64_t want[4], got[4] = {0};
    int32_t rank = 0;
    CHECK(unetseg_tensor_load(path, name, &t));
    CHECK(unetseg_tensor_shape(dst, want, 4));
    CHECK(unetseg_tensor_rank(t, &rank));
    if (rank == 4) CHECK(unetseg_tensor_shape(t, got, 4));
    if (rank != 4 || memcmp(want, got, sizeof want)) {
        fprintf(stderr, "%s: '%s' has not the shape (%lld, %lld, %lld, %lld)\n", path, name,
                (long long)want[0], (long long)want[1], (long long)want[2], (long long)want[3]);
        exit(1);
    }
    CHECK(unetseg_tensor_copy_from(dst, unetseg_tensor_data(t), want[0] * want[1] * want[2] * want[3]));
    unetseg_tensor_free(t);
}

int main(int argc, char **argv) {
    const char *weights = NULL, *input = NULL, *dump = NULL;
    int64_t cache_mib = -1;
    int profile = 0;
    if (argc == 2 && !strcmp(argv[1], "info")) {
        fputs(unetseg_runtime_info(), stdout);
        return 0;
    }
    int ok = argc >= 6;
    for (int i = 6; ok && i < argc; i++) {
        if (!strncmp(argv[i], "weights=", 8)) weights = argv[i] + 8;
        else if (!strncmp(argv[i], "input=", 6)) input = argv[i] + 6;
        else if (!strncmp(argv[i], "dump=", 5)) dump = argv[i] + 5;
        else if (!strncmp(argv[i], "kernel_cache=", 13)) cache_mib = atoll(argv[i] + 13);
        else if (!strcmp(argv[i], "profile=1")) profile = 1;
        else ok = 0;
    }
    if (!ok || (dump && strcmp(argv[1], "fwd")) || (!dump && atoi(argv[5]) < 1) ||
        (profile && !strcmp(argv[1], "train"))) {
        fprintf(stderr, "usage: bench_unetseg fwd|mc|train BATCH SIZE THREADS REPEAT "
                        "[weights=FILE] [input=FILE] [dump=FILE (fwd)] [kernel_cache=MIB]\n"
                        "       [profile=1 (fwd, mc)]\n"
                        "       bench_unetseg info\n");
        return 2;
    }
    const char *mode = argv[1];
    int64_t batch = atoll(argv[2]), size = atoll(argv[3]);
    int32_t threads = atoi(argv[4]), repeat = atoi(argv[5]);
    unetseg_unet_options *o = NULL;
    unetseg_model *m = NULL;
    CHECK(unetseg_unet_options_create(&o));
    CHECK(unetseg_unet_options_set_input_shape(o, size, size, 3));
    CHECK(unetseg_unet_create(o, &m));
    CHECK(unetseg_model_set_threads(m, threads));
    if (cache_mib >= 0) CHECK(unetseg_model_set_kernel_cache_limit(m, cache_mib << 20));
    if (weights) CHECK(unetseg_model_load_weights(m, weights, UNETSEG_LOAD_STRICT, NULL));
    double gflop = conv_gflop(m, batch);
    int64_t shape[4] = {batch, size, size, 3}, mshape[4] = {batch, size, size, 1};
    unetseg_tensor *x = NULL, *y = NULL, *mask = NULL;
    CHECK(unetseg_tensor_create(4, shape, &x));
    CHECK(unetseg_tensor_create(4, mshape, &mask));
    for (int64_t i = 0; i < batch * size * size * 3; i++) unetseg_tensor_data(x)[i] = (float)(i * 37 % 256);
    for (int64_t i = 0; i < batch * size * size; i++) unetseg_tensor_data(mask)[i] = (float)(i / size % 2);
    if (input) {
        load_into(input, "images", x);
        load_into(input, "masks", mask);
    }
    if (dump) {
        CHECK(unetseg_model_forward(m, x, &y));
        FILE *f = fopen(dump, "wb");
        size_t n = (size_t)(batch * size * size);
        if (!f || fwrite(unetseg_tensor_data(y), sizeof(float), n, f) != n || fclose(f)) {
            fprintf(stderr, "bench_unetseg: cannot write %s\n", dump);
            return 1;
        }
        unetseg_tensor_free(y);
        unetseg_tensor_free(x);
        unetseg_tensor_free(mask);
        unetseg_model_free(m);
        unetseg_unet_options_free(o);
        return 0;
    }
    unetseg_trainer *t = NULL;
    if (!strcmp(mode, "mc")) {
        unetseg_matcher *mt = NULL;
        unetseg_insert_options *io = NULL;
        CHECK(unetseg_matcher_parse("kind=conv2d & region=decoder", &mt));
        CHECK(unetseg_insert_options_create(&io));
        CHECK(unetseg_insert_options_set_kind(io, UNETSEG_LAYER_CONDITIONAL_DROPOUT));
        CHECK(unetseg_insert_options_set_rate(io, 0.2));
        CHECK(unetseg_model_insert_dropout(m, mt, io, NULL));
        unetseg_insert_options_free(io);
        unetseg_matcher_free(mt);
        gflop *= 10;
    } else if (!strcmp(mode, "train")) {
        unetseg_train_options *to = NULL;
        CHECK(unetseg_train_options_create(&to));
        CHECK(unetseg_trainer_create(m, to, &t));
        unetseg_train_options_free(to);
        gflop *= 3; /* forward + two backward products */
    }
    double *ms = calloc((size_t)repeat, sizeof *ms), *cpu = calloc((size_t)repeat, sizeof *cpu);
    for (int32_t r = -1; r < repeat; r++) { /* r = -1: warm-up */
        if (profile && r == (repeat > 1 ? 1 : 0)) CHECK(unetseg_model_set_profiling(m, 1));
        double t0 = now_ms(), c0 = cpu_ms();
        if (!strcmp(mode, "fwd")) {
            CHECK(unetseg_model_forward(m, x, &y));
            unetseg_tensor_free(y);
        } else if (!strcmp(mode, "mc")) {
            unetseg_tensor *mean = NULL, *std = NULL;
            CHECK(unetseg_model_predict_mc(m, x, 10, 1, &mean, &std, NULL));
            unetseg_tensor_free(mean);
            unetseg_tensor_free(std);
        } else {
            CHECK(unetseg_trainer_step(t, x, mask, NULL));
        }
        if (r >= 0) ms[r] = now_ms() - t0, cpu[r] = cpu_ms() - c0;
    }
    if (profile) {
        const char *table = NULL;
        CHECK(unetseg_model_profile(m, &table));
        fputs(table, stderr);
    }
    qsort(ms, (size_t)repeat, sizeof *ms, compare);
    qsort(cpu, (size_t)repeat, sizeof *cpu, compare);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    /* cpu_ms (all threads' CPU time) is steadier than wall time on a busy machine */
    printf("median_ms=%.2f cpu_ms=%.2f gflop=%.3f peak_rss_kb=%ld min_ms=%.2f\n", ms[repeat / 2],
           cpu[repeat / 2], gflop, ru.ru_maxrss, ms[0]);
    free(ms);
    free(cpu);
    unetseg_trainer_free(t);
    unetseg_tensor_free(x);
    unetseg_tensor_free(mask);
    unetseg_model_free(m);
    unetseg_unet_options_free(o);
    return 0;
}
