/* Monte-Carlo dropout prediction: T stochastic passes, BatchNorm in inference
 * mode, reduced on the fly (Welford) so memory does not grow with T. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "graph/exec.h"

#define US_MC_MAX_SAMPLES 1000
#define US_PROB_FLOOR 1e-7

/* Entropy of the mean prediction per pixel: binary for one channel,
 * categorical over channels otherwise. */
static void entropy_map(const double *mean, int64_t pixels, int64_t c, float *out) {
    for (int64_t p = 0; p < pixels; p++) {
        const double *m = mean + p * c;
        double h = 0;
        if (c == 1) {
            double q = fmin(fmax(m[0], US_PROB_FLOOR), 1.0 - US_PROB_FLOOR);
            h = -q * log(q) - (1 - q) * log(1 - q);
        } else {
            for (int64_t k = 0; k < c; k++) {
                double q = fmin(fmax(m[k], US_PROB_FLOOR), 1.0);
                h -= q * log(q);
            }
        }
        out[p] = (float)h;
    }
}

typedef struct mc_state {
    double *mean, *m2; /* running mean and sum of squared deviations */
    int64_t count;     /* elements of one prediction */
    int64_t shape[4];
} mc_state;

static int32_t accumulate(mc_state *s, const unetseg_tensor *y, int32_t t) {
    if (!s->mean) {
        s->count = y->numel;
        memcpy(s->shape, y->shape, sizeof s->shape);
        s->mean = us_calloc_array((size_t)s->count, sizeof(double));
        s->m2 = us_calloc_array((size_t)s->count, sizeof(double));
        if (!s->mean || !s->m2) return us_fail(UNETSEG_E_NOMEM, "predict_mc: out of memory");
    }
    for (int64_t i = 0; i < s->count; i++) {
        double x = y->data[i], delta = x - s->mean[i];
        s->mean[i] += delta / (t + 1);
        s->m2[i] += delta * (x - s->mean[i]);
    }
    return UNETSEG_OK;
}

static int32_t make_outputs(const mc_state *s, int32_t samples, unetseg_tensor **mean,
                            unetseg_tensor **std, unetseg_tensor **entropy) {
    int32_t st = UNETSEG_OK;
    if (mean && !(st = us_tensor_new(4, s->shape, mean)))
        for (int64_t i = 0; i < s->count; i++) (*mean)->data[i] = (float)s->mean[i];
    if (!st && std && !(st = us_tensor_new(4, s->shape, std)))
        for (int64_t i = 0; i < s->count; i++) (*std)->data[i] = (float)sqrt(s->m2[i] / samples);
    int64_t eshape[4] = {s->shape[0], s->shape[1], s->shape[2], 1};
    if (!st && entropy && !(st = us_tensor_new(4, eshape, entropy)))
        entropy_map(s->mean, s->count / s->shape[3], s->shape[3], (*entropy)->data);
    return st;
}

UNETSEG_API int32_t unetseg_model_predict_mc(unetseg_model *model, const unetseg_tensor *input,
                                             int32_t samples, uint64_t seed,
                                             unetseg_tensor **mean, unetseg_tensor **std,
                                             unetseg_tensor **entropy) {
    us_clear_error();
    if (mean) *mean = NULL;
    if (std) *std = NULL;
    if (entropy) *entropy = NULL;
    if (!model || !input) return us_fail(UNETSEG_E_INVALID_ARG, "predict_mc: NULL argument");
    if (samples < 1 || samples > US_MC_MAX_SAMPLES)
        return us_fail(UNETSEG_E_INVALID_ARG, "predict_mc: samples %d not in 1..%d", samples,
                       US_MC_MAX_SAMPLES);
    int32_t st = us_check_forward_input(model, input);
    mc_state s = {0};
    us_model_apply_threads(model);
    for (int32_t t = 0; t < samples && !st; t++) {
        us_exec_ctx ctx = {.all_dropout = 1, .seed = seed, .step = (uint64_t)t};
        unetseg_tensor *y = NULL;
        st = us_model_run(model, &ctx, input, NULL, NULL, &y);
        if (!st) st = accumulate(&s, y, t);
        unetseg_tensor_free(y);
    }
    if (!st) st = make_outputs(&s, samples, mean, std, entropy);
    if (st) {
        unetseg_tensor_free(mean ? *mean : NULL);
        unetseg_tensor_free(std ? *std : NULL);
        unetseg_tensor_free(entropy ? *entropy : NULL);
        if (mean) *mean = NULL;
        if (std) *std = NULL;
        if (entropy) *entropy = NULL;
    }
    free(s.mean);
    free(s.m2);
    return st;
}
