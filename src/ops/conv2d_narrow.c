/* Conv2D with very few output channels (a segmentation head: 16 -> 1).
 * As a GEMM this has 1-4 columns, which OpenBLAS runs at a few GFLOP/s
 * (the head conv of the U-Net took 11 ms of a 360 ms forward). Here each
 * output value accumulates tap by tap into a cin-long vector of partial
 * sums (the loop over channels vectorises), reduced once per pixel. */
#include <stdlib.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/parallel.h"
#include "core/simd.h"
#include "ops/ops.h"

typedef struct narrow_job {
    const us_conv_geom *g;
    const float *x, *wt, *bias;
    const us_conv_epilogue *ep;
    float *y;
} narrow_job;

/* One output value: the taps inside the image, then bias and epilogue in the
 * order of separate layers. `acc` is cin floats of scratch. */
US_VECTOR_CLONES static float output_value(const narrow_job *j, int64_t b, int64_t oh, int64_t ow, int64_t co,
                          float *restrict acc) {
    const us_conv_geom *g = j->g;
    const int64_t cin = g->cin, taps = g->kh * g->kw;
    for (int64_t c = 0; c < cin; c++) acc[c] = 0.0f;
    for (int64_t i = 0; i < g->kh; i++) {
        int64_t ih = oh * g->sh - g->pad_top + i;
        if (ih < 0 || ih >= g->h) continue;
        for (int64_t k = 0; k < g->kw; k++) {
            int64_t iw = ow * g->sw - g->pad_left + k;
            if (iw < 0 || iw >= g->w) continue;
            const float *restrict xp = j->x + ((b * g->h + ih) * g->w + iw) * cin;
            const float *restrict wp = j->wt + (co * taps + i * g->kw + k) * cin;
            for (int64_t c = 0; c < cin; c++) acc[c] += xp[c] * wp[c];
        }
    }
    float v = 0.0f;
    for (int64_t c = 0; c < cin; c++) v += acc[c];
    if (j->bias) v += j->bias[co];
    if (j->ep && j->ep->scale) v = v * j->ep->scale[co] + j->ep->shift[co];
    if (j->ep && j->ep->relu) v = v > 0.0f ? v : 0.0f;
    return v;
}

/* Part `part` of `parts` computes a contiguous band of output rows; every
 * value is computed alone, so the split never changes a result. */
static void narrow_part(void *arg, int32_t part, int32_t parts) {
    const narrow_job *j = arg;
    const us_conv_geom *g = j->g;
    float acc[US_NARROW_MAX_CIN];
    int64_t rows = g->n * g->ho, lo = rows * part / parts, hi = rows * (part + 1) / parts;
    for (int64_t r = lo; r < hi; r++) {
        int64_t b = r / g->ho, oh = r % g->ho;
        float *out = j->y + r * g->wo * g->cout;
        for (int64_t ow = 0; ow < g->wo; ow++)
            for (int64_t co = 0; co < g->cout; co++)
                *out++ = output_value(j, b, oh, ow, co, acc);
    }
}

int32_t us_conv2d_forward_narrow(const us_conv_geom *g, const float *x, const float *kernel,
                                 const float *bias, const us_conv_epilogue *ep, float *y) {
    if (g->cout > US_NARROW_MAX_COUT || g->cin > US_NARROW_MAX_CIN)
        return us_fail(UNETSEG_E_UNSUPPORTED, "conv2d: too many channels for the narrow kernel");
    const int64_t taps = g->kh * g->kw;
    /* HWIO -> (cout, taps, cin): each tap's weights contiguous over cin */
    float *wt = us_malloc_array((size_t)(g->cout * taps * g->cin), sizeof(float));
    if (!wt) return us_fail(UNETSEG_E_NOMEM, "conv2d: cannot allocate the narrow kernel");
    for (int64_t t = 0; t < taps; t++)
        for (int64_t c = 0; c < g->cin; c++)
            for (int64_t co = 0; co < g->cout; co++)
                wt[(co * taps + t) * g->cin + c] = kernel[(t * g->cin + c) * g->cout + co];
    narrow_job j = {g, x, wt, bias, ep, y};
    int32_t threads = us_parallel_threads();
    if (threads > g->n * g->ho) threads = (int32_t)(g->n * g->ho);
    if (threads > 1)
        us_parallel_run(threads, narrow_part, &j);
    else
        narrow_part(&j, 0, 1);
    free(wt);
    return UNETSEG_OK;
}
