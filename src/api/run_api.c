/* Public entry points of inference and Monte-Carlo dropout prediction. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "graph/exec.h"
#include "graph/mc.h"
#include "graph/model.h"

UNETSEG_API int32_t unetseg_model_set_seed(unetseg_model *model, uint64_t seed) {
    US_CLEAR_ERROR_ON(model);
    if (!model) return us_fail(UNETSEG_E_INVALID_ARG, "set_seed: model is NULL");
    model->seed = seed;
    model->step = 0;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_model_set_threads(unetseg_model *model, int32_t threads) {
    US_CLEAR_ERROR_ON(model);
    if (!model) return us_fail(UNETSEG_E_INVALID_ARG, "set_threads: model is NULL");
    if (threads < 0 || threads > 256)
        return us_fail(UNETSEG_E_INVALID_ARG, "set_threads: %d is not in 0..256", threads);
    model->threads = threads;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_model_set_kernel_cache_limit(unetseg_model *model, int64_t bytes) {
    US_CLEAR_ERROR_ON(model);
    if (!model) return us_fail(UNETSEG_E_INVALID_ARG, "set_kernel_cache_limit: model is NULL");
    if (bytes < 0)
        return us_fail(UNETSEG_E_INVALID_ARG, "set_kernel_cache_limit: %lld bytes is negative",
                       (long long)bytes);
    us_model_set_kernel_cache_limit(model, bytes);
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_model_set_mc_dropout(unetseg_model *model, int32_t enabled) {
    US_CLEAR_ERROR_ON(model);
    if (!model) return us_fail(UNETSEG_E_INVALID_ARG, "set_mc_dropout: model is NULL");
    if (enabled != 0 && enabled != 1)
        return us_fail(UNETSEG_E_INVALID_ARG, "set_mc_dropout: enabled must be 0 or 1");
    model->mc_dropout = enabled;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_model_forward(unetseg_model *model, const unetseg_tensor *input,
                                          unetseg_tensor **output) {
    return unetseg_model_forward_with_activations(model, input, NULL, 0, NULL, output);
}

typedef struct capture {
    const int32_t *layer_of; /* requested index -> layer index */
    int32_t n;
    unetseg_tensor **out;
} capture;

static int32_t capture_layer(void *user, int32_t layer, const float *data, const int64_t shape[4]) {
    capture *c = user;
    for (int32_t i = 0; i < c->n; i++) {
        if (c->layer_of[i] != layer || c->out[i]) continue;
        int32_t st = us_tensor_new(4, shape, &c->out[i]);
        if (st) return st;
        memcpy(c->out[i]->data, data, (size_t)c->out[i]->numel * sizeof(float));
    }
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_model_forward_with_activations(unetseg_model *model,
                                                           const unetseg_tensor *input,
                                                           const char *const *layer_names,
                                                           int32_t n,
                                                           unetseg_tensor **activations,
                                                           unetseg_tensor **output) {
    US_CLEAR_ERROR_ON(model);
    if (output) *output = NULL;
    if (!model || !input || !output)
        return us_fail(UNETSEG_E_INVALID_ARG, "model_forward: NULL argument");
    if (n < 0 || (n > 0 && (!layer_names || !activations)))
        return us_fail(UNETSEG_E_INVALID_ARG, "model_forward: bad activation list");
    for (int32_t i = 0; i < n; i++) activations[i] = NULL;
    int32_t st = us_check_forward_input(model, input);
    if (st) return st;
    int32_t *layer_of = us_calloc((size_t)(n ? n : 1), sizeof *layer_of);
    if (!layer_of) return us_fail(UNETSEG_E_NOMEM, "model_forward: out of memory");
    for (int32_t i = 0; i < n && !st; i++) {
        layer_of[i] = layer_names[i] ? us_model_find(model, layer_names[i]) : -1;
        if (layer_of[i] < 0)
            st = us_fail(UNETSEG_E_NOT_FOUND, "model_forward: no layer named '%s'",
                         layer_names[i] ? layer_names[i] : "(null)");
    }
    capture cap = {layer_of, n, activations};
    const int pass = us_model_pass_begin(model);
    us_exec_ctx ctx = {.mc_dropout = model->mc_dropout, .seed = model->seed, .step = model->step++};
    if (!st) st = us_model_run(model, &ctx, input, n ? capture_layer : NULL, &cap, output);
    us_model_pass_end(pass);
    free(layer_of);
    if (st)
        for (int32_t i = 0; i < n; i++) {
            unetseg_tensor_free(activations[i]);
            activations[i] = NULL;
        }
    return st;
}

UNETSEG_API int32_t unetseg_model_predict_mc(unetseg_model *model, const unetseg_tensor *input,
                                             int32_t samples, uint64_t seed,
                                             unetseg_tensor **mean, unetseg_tensor **std,
                                             unetseg_tensor **entropy) {
    US_CLEAR_ERROR_ON(model);
    if (mean) *mean = NULL;
    if (std) *std = NULL;
    if (entropy) *entropy = NULL;
    if (!model || !input) return us_fail(UNETSEG_E_INVALID_ARG, "predict_mc: NULL argument");
    if (samples < 1 || samples > US_MC_MAX_SAMPLES)
        return us_fail(UNETSEG_E_INVALID_ARG, "predict_mc: samples %d not in 1..%d", samples,
                       US_MC_MAX_SAMPLES);
    int32_t st = us_check_forward_input(model, input);
    return st ? st : us_model_predict_mc(model, input, samples, seed, mean, std, entropy);
}
