/* Conv2D with very few output channels (a segmentation head: 16 -> 1).
 * As a GEMM this has 1-4 columns, which OpenBLAS runs at a few GFLOP/s
 * (the head conv of the U-Net took 11 ms of a 360 ms forward). Here each
 * output value accumulates tap by tap into a cin-long vector of partial
 * sums, reduced once per pixel. With stride 1 a whole output row does this
 * at once: the inputs of one tap for a row of outputs are contiguous in
 * NHWC, so each tap is one long multiply-add against the tap's weights
 * repeated along the row (same sums in the same order as per pixel). */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/parallel.h"
#include "core/simd.h"
#include "ops/ops.h"

/* Repeated weights of the row path: at most this many floats (16 MB);
 * wider rows go pixel by pixel. */
#define US_NARROW_MAX_ROW_WEIGHTS ((int64_t)1 << 22)

typedef struct narrow_job {
    const us_conv_geom *g;
    const float *x, *wt, *bias;
    const us_conv_epilogue *ep;
    float *y;
    const float *wrow; /* stride 1: (cout, taps, wo * cin), NULL otherwise */
    _Atomic int32_t failed; /* a part could not allocate its row (parts run at once) */
} narrow_job;

/* Bias and epilogue, in the order of separate layers. */
static float finish_value(const narrow_job *j, float v, int64_t co) {
    if (j->bias) v += j->bias[co];
    if (j->ep && j->ep->scale) v = v * j->ep->scale[co] + j->ep->shift[co];
    if (j->ep && j->ep->relu) v = v > 0.0f ? v : 0.0f;
    return v;
}

/* acc[k] += x[k] * w[k] over n floats. */
US_VECTOR_CLONES static void multiply_add(float *restrict acc, const float *restrict x,
                                          const float *restrict w, int64_t n) {
    for (int64_t k = 0; k < n; k++) acc[k] += x[k] * w[k];
}

/* Output row r (image r / ho, row r % ho), channel co, stride 1: `acc` is
 * wo * cin floats of scratch. */
static void output_row(const narrow_job *j, int64_t r, int64_t co, float *acc) {
    const us_conv_geom *g = j->g;
    const int64_t cin = g->cin, taps = g->kh * g->kw, b = r / g->ho, oh = r % g->ho;
    for (int64_t k = 0; k < g->wo * cin; k++) acc[k] = 0.0f;
    for (int64_t i = 0; i < g->kh; i++) {
        int64_t ih = oh * g->sh - g->pad_top + i;
        if (ih < 0 || ih >= g->h) continue;
        for (int64_t k = 0; k < g->kw; k++) {
            /* output ow reads input column ow + shift, inside [0, w) */
            int64_t shift = k - g->pad_left, lo = shift < 0 ? -shift : 0;
            int64_t hi = g->w - shift < g->wo ? g->w - shift : g->wo;
            if (lo >= hi) continue;
            multiply_add(acc + lo * cin, j->x + ((b * g->h + ih) * g->w + lo + shift) * cin,
                         j->wrow + ((co * taps + i * g->kw + k) * g->wo + lo) * cin, (hi - lo) * cin);
        }
    }
    float *out = j->y + r * g->wo * g->cout + co;
    for (int64_t ow = 0; ow < g->wo; ow++) {
        float v = 0.0f;
        for (int64_t c = 0; c < cin; c++) v += acc[ow * cin + c];
        out[ow * g->cout] = finish_value(j, v, co);
    }
}

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
    return finish_value(j, v, co);
}

/* Output rows [lo, hi) (row r: image r / ho, row r % ho); every value is
 * computed alone, so the split into bands never changes a result. */
static void narrow_rows(void *arg, int64_t lo, int64_t hi) {
    narrow_job *j = arg;
    const us_conv_geom *g = j->g;
    float acc[US_NARROW_MAX_CIN];
    if (j->wrow) {
        float *row = us_malloc_array((size_t)(g->wo * g->cin), sizeof(float));
        if (!row) {
            j->failed = 1;
            return;
        }
        for (int64_t r = lo; r < hi; r++)
            for (int64_t co = 0; co < g->cout; co++) output_row(j, r, co, row);
        free(row);
        return;
    }
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
    /* stride 1: each tap's weights repeated along an output row */
    float *wrow = NULL;
    if (g->sw == 1 && g->cout * taps * g->wo * g->cin <= US_NARROW_MAX_ROW_WEIGHTS) {
        wrow = us_malloc_array((size_t)(g->cout * taps * g->wo * g->cin), sizeof(float));
        if (!wrow) {
            free(wt);
            return us_fail(UNETSEG_E_NOMEM, "conv2d: cannot allocate the narrow kernel");
        }
        for (int64_t t = 0; t < g->cout * taps; t++)
            for (int64_t ow = 0; ow < g->wo; ow++)
                memcpy(wrow + (t * g->wo + ow) * g->cin, wt + t * g->cin, (size_t)g->cin * sizeof(float));
    }
    narrow_job j = {g, x, wt, bias, ep, y, wrow, 0};
    us_parallel_rows(g->n * g->ho, g->wo * g->cout * taps * g->cin, narrow_rows, &j);
    free(wt);
    free(wrow);
    return j.failed ? us_fail(UNETSEG_E_NOMEM, "conv2d: cannot allocate the narrow kernel") : UNETSEG_OK;
}
