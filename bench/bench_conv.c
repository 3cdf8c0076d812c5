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
    {"head", 256, 16, 1, 3, 1},
};

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + 1e-6 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
    const int repeat = argc > 1 ? atoi(argv[1]) : 20;
    us_parallel_set_threads(argc > 2 ? atoi(argv[2]) : 1);
    const int64_t batch = argc > 3 ? atoi(argv[3]) : 1;
    printf("kernel variant: %s\n| conv | ms | GFLOP/s (direct-conv flops) | path | im2col / F(2x2) / F(4x4) [/ direct] ms | F(2x2) / F(4x4) kernel transformed on the call ms |\n|---|---|---|---|---|---|\n",
           us_isa_name(us_cpu_isa()));
    double total = 0;
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        const conv_case *c = &CASES[i];
        const int64_t ho = (c->h + c->s - 1) / c->s;
        us_conv_geom g = {batch, c->h, c->h, c->cin, ho, ho, c->cout, c->k, c->k, c->s, c->s,
                          us_conv_pad_before(c->h, c->k, c->s, 1), us_conv_pad_before(c->h, c->k, c->s, 1)};
        float *x = malloc(sizeof(float) * (size_t)(batch * c->h * c->h * c->cin));
        float *w = malloc(sizeof(float) * (size_t)(c->k * c->k * c->cin * c->cout));
        float *y = malloc(sizeof(float) * (size_t)(batch * ho * ho * c->cout));
        for (int64_t j = 0; j < batch * c->h * c->h * c->cin; j++) x[j] = (float)(j % 255);
        for (int64_t j = 0; j < c->k * c->k * c->cin * c->cout; j++) w[j] = (float)(j % 7) * 0.01f - 0.03f;
        /* Every path that applies, so the thresholds can be checked. */
        const int tile = us_conv2d_inference_tile(&g), direct = us_conv2d_direct_applies(&g);
        const int wino_ok = c->k == 3 && c->s == 1 && c->cout > US_NARROW_MAX_COUT;
        float *u[2] = {NULL, NULL}; /* transformed for F(2x2), F(4x4) */
        for (int t = 0; wino_ok && t < 2; t++) {
            u[t] = malloc(sizeof(float) * (size_t)us_winograd_kernel_floats(2 + 2 * t, c->cin, c->cout));
            us_winograd_transform_kernel(2 + 2 * t, w, c->cin, c->cout, u[t]);
        }
        us_conv_epilogue ep = {NULL, NULL, 1, 0};
        /* im2col, F(2x2), F(4x4) (kept kernels), direct, F(2x2), F(4x4) (not kept) */
        double best[6] = {1e30, 1e30, 1e30, 1e30, 1e30, 1e30};
        for (int r = 0; r < repeat; r++) {
            for (int path = 0; path < (wino_ok ? 6 : 1); path++) {
                if (path == 3 && !direct) continue;
                double t0 = now_ms();
                if (path >= 4)
                    us_conv2d_forward_winograd(&g, 2 * (path - 3), x, w, NULL, NULL, &ep, y);
                else if (path == 3)
                    us_conv2d_forward_direct(&g, x, w, NULL, &ep, y);
                else if (path)
                    us_conv2d_forward_winograd(&g, 2 * path, x, w, u[path - 1], NULL, &ep, y);
                else if (!wino_ok)
                    us_conv2d_forward(&g, x, w, NULL, &ep, y);
                else
                    us_conv2d_forward_im2col(&g, x, w, NULL, &ep, y);
                double t = now_ms() - t0;
                if (t < best[path]) best[path] = t;
            }
        }
        const double chosen = best[direct ? 3 : tile / 2];
        double flop = 2.0 * (double)(batch * ho * ho) * (double)(c->k * c->k * c->cin * c->cout);
        char others[80] = "-", on_call[40] = "-";
        if (wino_ok) {
            int at = snprintf(others, sizeof others, "%.3f / %.3f / %.3f", best[0], best[1], best[2]);
            if (direct) snprintf(others + at, sizeof others - (size_t)at, " / %.3f", best[3]);
            snprintf(on_call, sizeof on_call, "%.3f / %.3f", best[4], best[5]);
        }
        printf("| %s %lldx%lld %lld->%lld | %.3f | %.0f | %s | %s | %s |\n", c->what, (long long)c->h,
               (long long)c->h, (long long)c->cin, (long long)c->cout, chosen, flop / chosen * 1e-6,
               c->cout <= US_NARROW_MAX_COUT ? "narrow" : us_conv2d_stem_applies(&g) ? "stem" : direct ? "direct" : tile == 4 ? "F(4x4)" : tile == 2 ? "F(2x2)" : "im2col",
               others, on_call);
        free(u[0]), free(u[1]);
        total += chosen;
        free(x), free(w), free(y);
    }
    printf("| sum | %.3f | | |\n", total);
    /* decoder4a reads a 2x nearest upsampling of 128x128 x 32: by phases
     * (four 2x2 convs over the 128x128 input) against the direct 3x3 conv
     * expanding the upsampling row by row */
    us_conv_geom up = {batch, 256, 256, 32, 256, 256, 16, 3, 3, 1, 1, 1, 1};
    float *x = malloc(sizeof(float) * (size_t)(batch * 128 * 128 * 32));
    float *w = malloc(sizeof(float) * 9 * 32 * 16), *y = malloc(sizeof(float) * (size_t)(batch * 256 * 256 * 16));
    for (int64_t j = 0; j < batch * 128 * 128 * 32; j++) x[j] = (float)(j % 255);
    for (int64_t j = 0; j < 9 * 32 * 16; j++) w[j] = (float)(j % 7) * 0.01f - 0.03f;
    us_conv_epilogue ep = {NULL, NULL, 1, 0};
    double best[2] = {1e30, 1e30};
    for (int r = 0; r < repeat && us_conv2d_up2_applies(&up); r++)
        for (int path = 0; path < 2; path++) {
            double t0 = now_ms();
            if (path)
                us_conv2d_forward_up2(&up, x, 0, w, NULL, &ep, y);
            else
                us_conv2d_forward_direct_upsampled(&up, 2, 2, x, w, NULL, &ep, y);
            double t = now_ms() - t0;
            if (t < best[path]) best[path] = t;
        }
    if (us_conv2d_up2_applies(&up))
        printf("\ndecoder4a from its 128x128 input (2x nearest upsampling): direct 3x3 %.3f ms, by phases %.3f ms\n",
               best[0], best[1]);
    free(x), free(w), free(y);
    return 0;
}
