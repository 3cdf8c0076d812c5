/* Monte-Carlo dropout prediction: T stochastic passes, BatchNorm in inference
 * mode, reduced on the fly (Welford) so memory does not grow with T. */
#include "graph/mc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "graph/exec.h"
#include "graph/layer_kinds.h"

#define US_PROB_FLOOR 1e-7

/* Entropy of a pixel's mean prediction: binary for one channel (of q),
 * categorical over channels otherwise (the sum of one term per channel).
 * One function per term, so that the double means of a whole-image pass and
 * the float means of a tiled one give the same values. */
static double binary_entropy(double q) {
    q = fmin(fmax(q, US_PROB_FLOOR), 1.0 - US_PROB_FLOOR);
    return -q * log(q) - (1 - q) * log(1 - q);
}

static double category_entropy_term(double q) {
    q = fmin(fmax(q, US_PROB_FLOOR), 1.0);
    return -q * log(q);
}

static void entropy_map(const double *mean, int64_t pixels, int64_t c, float *out) {
    for (int64_t p = 0; p < pixels; p++, mean += c) {
        double h = c == 1 ? binary_entropy(mean[0]) : 0;
        for (int64_t k = 0; c > 1 && k < c; k++) h += category_entropy_term(mean[k]);
        out[p] = (float)h;
    }
}

void us_mc_entropy_map(const float *mean, int64_t pixels, int64_t c, float *out) {
    for (int64_t p = 0; p < pixels; p++, mean += c) {
        double h = c == 1 ? binary_entropy(mean[0]) : 0;
        for (int64_t k = 0; c > 1 && k < c; k++) h += category_entropy_term(mean[k]);
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

/* Layers whose output depends on an active dropout (or on such a layer). */
static uint8_t *stochastic_layers(const unetseg_model *m, const us_exec_ctx *ctx, int32_t *any) {
    uint8_t *sto = us_calloc_array((size_t)m->n_layers, 1);
    *any = 0;
    for (int32_t i = 0; sto && i < m->n_layers; i++) {
        const us_layer *l = &m->layers[i];
        int dropout = l->kind == UNETSEG_LAYER_DROPOUT || l->kind == UNETSEG_LAYER_SPATIAL_DROPOUT2D ||
                      l->kind == UNETSEG_LAYER_CONDITIONAL_DROPOUT;
        sto[i] = (uint8_t)(dropout && us_dropout_active(l, ctx));
        for (int32_t j = 0; j < l->n_in && !sto[i]; j++) sto[i] = sto[us_model_index_of_id(m, l->in_ids[j])];
        *any |= sto[i];
    }
    return sto;
}

/* The first pass keeps a copy of every deterministic output that a
 * stochastic layer reads: later passes start from there. */
typedef struct prefix_cache {
    const unetseg_model *m;
    const uint8_t *sto;
    float **given;
} prefix_cache;

static int32_t keep_frontier(void *user, int32_t layer, const float *data, const int64_t shape[4]) {
    prefix_cache *c = user;
    if (c->sto[layer]) return UNETSEG_OK;
    const us_layer *l = &c->m->layers[layer];
    int read_by_stochastic = 0;
    for (int32_t i = layer + 1; i < c->m->n_layers && !read_by_stochastic; i++)
        for (int32_t j = 0; j < c->m->layers[i].n_in; j++)
            read_by_stochastic |= c->sto[i] && c->m->layers[i].in_ids[j] == l->id;
    if (!read_by_stochastic) return UNETSEG_OK;
    int64_t n = us_shape_numel(4, shape);
    c->given[layer] = us_malloc_array((size_t)n, sizeof(float));
    if (!c->given[layer]) return us_fail(UNETSEG_E_NOMEM, "predict_mc: out of memory");
    memcpy(c->given[layer], data, (size_t)n * sizeof(float));
    return UNETSEG_OK;
}

/* The samples: the deterministic part of the network (e.g. the whole
 * encoder when dropout is only in the decoder) runs once. */
static int32_t run_samples(unetseg_model *model, const unetseg_tensor *input, int32_t samples,
                           uint64_t seed, mc_state *s) {
    us_exec_ctx ctx = {.all_dropout = 1, .seed = seed, .step = 0};
    int32_t any = 0, st = UNETSEG_OK;
    uint8_t *sto = stochastic_layers(model, &ctx, &any);
    uint8_t *skip = us_calloc_array((size_t)model->n_layers, 1);
    float **given = us_calloc_array((size_t)model->n_layers, sizeof *given);
    prefix_cache cache = {model, sto, given};
    if (!sto || !skip || !given) st = us_fail(UNETSEG_E_NOMEM, "predict_mc: out of memory");
    for (int32_t i = 0; !st && i < model->n_layers; i++) skip[i] = !sto[i];
    /* without any active dropout every pass is the same: run it once */
    int32_t passes = any ? samples : 1;
    for (int32_t t = 0; t < passes && !st; t++) {
        unetseg_tensor *y = NULL;
        ctx.step = (uint64_t)t;
        st = t == 0 ? us_model_run(model, &ctx, input, any ? keep_frontier : NULL, &cache, &y)
                    : us_model_run_given(model, &ctx, input, (const float *const *)given, skip, &y);
        if (!st) st = accumulate(s, y, t);
        unetseg_tensor_free(y);
    }
    for (int32_t i = 0; given && i < model->n_layers; i++) free(given[i]);
    free(given);
    free(skip);
    free(sto);
    return st;
}

int32_t us_model_predict_mc(unetseg_model *model, const unetseg_tensor *input, int32_t samples,
                            uint64_t seed, unetseg_tensor **mean, unetseg_tensor **std,
                            unetseg_tensor **entropy) {
    mc_state s = {0};
    const int pass = us_model_pass_begin(model);
    int32_t st = run_samples(model, input, samples, seed, &s);
    us_model_pass_end(pass);
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
