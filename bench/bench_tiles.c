/* bench_tiles: peak memory and time of tiled sliding-window prediction
 * against whole-image inference, Unet('resnet34') with random (Keras-
 * initialised) weights on random N x N RGB inputs.
 *
 *   build/bench/bench_tiles [N ...]        (default 2048; make bench-tiles,
 *                                           BENCH_TILE_SIZES="2048 8192")
 *
 * Each row runs in a child process of its own (fork before the library is
 * used), so its peak RSS (the child's ru_maxrss from wait4) is that row's
 * alone: the model, the input, the output and the pass. Above 4096 x 4096 the
 * whole-image row (tens of GB) and the batch-4 row (time) are skipped unless
 * BENCH_TILES_WHOLE=1. */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unetseg.h"

typedef struct row {
    const char *name;
    int64_t tile, overlap, batch; /* tile 0: whole image */
} row;

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* In the child: build the model, make the input, run once; writes the
 * seconds of the prediction (not of the setup) to fd. Exit status 0/1. */
static int run_row(const row *r, int64_t n, int fd) {
    unetseg_unet_options *uo = NULL;
    unetseg_model *m = NULL;
    unetseg_tensor *x = NULL, *y = NULL;
    unetseg_tile_options *to = NULL;
    const int64_t shape[4] = {1, n, n, 3};
    int32_t st = unetseg_unet_options_create(&uo);
    if (!st) st = unetseg_unet_options_set_seed(uo, 1);
    if (!st) st = unetseg_unet_create(uo, &m);
    if (!st) st = unetseg_tensor_create(4, shape, &x);
    if (!st) {
        float *d = unetseg_tensor_data(x);
        uint64_t s = 12345;
        for (int64_t i = 0; i < n * n * 3; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            d[i] = (float)(s >> 40) / 16777216.0f * 255.0f;
        }
    }
    if (!st && r->tile) {
        st = unetseg_tile_options_create(&to);
        if (!st) st = unetseg_tile_options_set_tile(to, r->tile, r->tile);
        if (!st) st = unetseg_tile_options_set_overlap(to, r->overlap);
        if (!st) st = unetseg_tile_options_set_batch(to, (int32_t)r->batch);
    }
    double t0 = now_s();
    if (!st) st = r->tile ? unetseg_model_predict_tiled(m, x, to, &y) : unetseg_model_forward(m, x, &y);
    double secs = now_s() - t0;
    if (st) fprintf(stderr, "bench_tiles: %s %lldx%lld: %s: %s\n", r->name, (long long)n, (long long)n,
                    unetseg_status_string(st), unetseg_last_error());
    if (write(fd, &secs, sizeof secs) != (ssize_t)sizeof secs) st = UNETSEG_E_IO;
    unetseg_tensor_free(y);
    unetseg_tensor_free(x);
    unetseg_tile_options_free(to);
    unetseg_model_free(m);
    unetseg_unet_options_free(uo);
    return st ? 1 : 0;
}

static void measure(const row *r, int64_t n) {
    int fds[2];
    if (pipe(fds) != 0) {
        perror("pipe");
        exit(1);
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(1);
    }
    if (pid == 0) {
        close(fds[0]);
        _exit(run_row(r, n, fds[1]));
    }
    close(fds[1]);
    double secs = -1.0;
    if (read(fds[0], &secs, sizeof secs) != (ssize_t)sizeof secs) secs = -1.0;
    close(fds[0]);
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("wait4");
        exit(1);
    }
    const int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    char tile[32] = "-";
    if (r->tile) snprintf(tile, sizeof tile, "%lld/%lld x%lld", (long long)r->tile, (long long)r->overlap,
                          (long long)r->batch);
    printf("| %5lldx%-5lld | %-16s | %-14s | %9.1f | %11.0f | %s |\n", (long long)n, (long long)n, r->name,
           tile, ok ? secs : -1.0, (double)ru.ru_maxrss / 1024.0,
           ok ? "" : WIFSIGNALED(status) ? "killed (out of memory?)" : "failed");
}

int main(int argc, char **argv) {
    static const row rows[] = {
        {"whole image", 0, 0, 0},
        {"tiled", 512, 128, 1},
        {"tiled", 512, 128, 4},
    };
    int64_t sizes[16];
    int n_sizes = 0;
    for (int i = 1; i < argc && n_sizes < 16; i++) {
        char *end = NULL;
        long long v = strtoll(argv[i], &end, 10);
        if (!end || *end || v < 1 || v > 65536) {
            fprintf(stderr, "usage: bench_tiles [N ...] (1..65536)\n");
            return 2;
        }
        sizes[n_sizes++] = v;
    }
    if (n_sizes == 0) sizes[n_sizes++] = 2048;
    const char *whole_env = getenv("BENCH_TILES_WHOLE");
    const int force_whole = whole_env && strcmp(whole_env, "1") == 0;
    printf("Unet('resnet34'), random weights, 1 x N x N x 3 input; tiled: tile/overlap x tiles per\n"
           "pass, Gaussian blend; peak RSS of a child process per row (model, input, output, pass).\n"
           "%s", unetseg_runtime_info());
    printf("\n|     input   | mode             | tile           | time (s)  | peak RSS MB | note |\n"
           "|-------------|------------------|----------------|-----------|-------------|------|\n");
    for (int s = 0; s < n_sizes; s++)
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
            if (!rows[i].tile && sizes[s] > 4096 && !force_whole) {
                printf("| %5lldx%-5lld | %-16s | %-14s | %9s | %11s | skipped (BENCH_TILES_WHOLE=1 runs it) |\n",
                       (long long)sizes[s], (long long)sizes[s], rows[i].name, "-", "-", "-");
                continue;
            }
            if (rows[i].batch > 1 && sizes[s] > 4096 && !force_whole) continue; /* time: one tiled row */
            measure(&rows[i], sizes[s]);
        }
    return 0;
}
