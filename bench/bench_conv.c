/* The convolutions of Unet('resnet34') at 256x256, batch 1, one at a time:
 * the best of REPEAT runs (robust to a busy machine) of each path, one
 * thread unless THREADS is given.
 *   build/bench/bench_conv [REPEAT] [THREADS]
 * Internal functions: links the static library. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/cpu.h"
#include "core/parallel.h"
#include "ops/ops.h"

typedef struct conv_case {
    const char *what;
    int64_t h, cin, cout, k, s; /* square input h x h, 'same' padding */
} conv_case;

static const conv_case CASES[] = {
    {"conv0", 256, 3, 64, 7, 2},
    {"stage1 3x3", 64, 64, 64, 3, 1},
    {"stage2 3x3", 32, 128, 128, 3, 1},
    {"stage3 3x3", 16, 256, 256, 3, 1},
    {"stage4 3x3", 8, 512, 512, 3, 1},
    {"stage2 s2", 64, 64, 128, 3, 2},
    {"stage4 s2", 16, 256, 512, 3, 2},
    {"decoder0a", 16, 768, 256, 3, 1},
    {"decoder1a", 32, 384, 128, 3, 1},
    {"decoder2a", 64, 192, 64, 3, 1},
    {"decoder3a", 128, 128, 32, 3, 1},
    {"decoder3b", 128, 32, 32, 3, 1},
    {"decoder4a", 256, 32, 16, 3, 1},
    {"decoder4b", 256, 16, 16, 3, 1},
};

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + 1e-6 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
    const int repeat = argc > 1 ? atoi(argv[1]) : 20;
    us_parallel_set_threads(argc > 2 ? atoi(argv[2]) : 1);
    printf("kernel variant: %s\n| conv | ms | GFLOP/s (direct-conv flops) | path |\n|---|---|---|---|\n",
           us_isa_name(us_cpu_isa()));
    double total = 0;
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        const conv_case *c = &CASES[i];
        const int64_t ho = (c->h + c->s - 1) / c->s;
        us_conv_geom g = {1, c->h, c->h, c->cin, ho, ho, c->cout, c->k, c->k, c->s, c->s,
                          us_conv_pad_before(c->h, c->k, c->s, 1), us_conv_pad_before(c->h, c->k, c->s, 1)};
        float *x = malloc(sizeof(float) * (size_t)(c->h * c->h * c->cin));
        float *w = malloc(sizeof(float) * (size_t)(c->k * c->k * c->cin * c->cout));
        float *y = malloc(sizeof(float) * (size_t)(ho * ho * c->cout));
        for (int64_t j = 0; j < c->h * c->h * c->cin; j++) x[j] = (float)(j % 255);
        for (int64_t j = 0; j < c->k * c->k * c->cin * c->cout; j++) w[j] = (float)(j % 7) * 0.01f - 0.03f;
        const int wino = us_conv2d_uses_winograd(&g);
        float *u = NULL;
        if (wino) {
            u = malloc(sizeof(float) * (size_t)us_winograd_kernel_floats(c->cin, c->cout));
            us_winograd_transform_kernel(w, c->cin, c->cout, u);
        }
        us_conv_epilogue ep = {NULL, NULL, 1, 0};
        double best = 1e30;
        for (int r = 0; r < repeat; r++) {
            double t0 = now_ms();
            if (wino)
                us_conv2d_forward_winograd(&g, x, w, u, NULL, &ep, y);
            else
                us_conv2d_forward(&g, x, w, NULL, &ep, y);
            double t = now_ms() - t0;
            if (t < best) best = t;
        }
        double flop = 2.0 * (double)(ho * ho) * (double)(c->k * c->k * c->cin * c->cout);
        printf("| %s %lldx%lld %lld->%lld | %.3f | %.0f | %s |\n", c->what, (long long)c->h,
               (long long)c->h, (long long)c->cin, (long long)c->cout, best, flop / best * 1e-6,
               wino ? "winograd" : "im2col/direct");
        total += best;
        free(x), free(w), free(y), free(u);
    }
    printf("| sum | %.3f | | |\n", total);
    return 0;
}
