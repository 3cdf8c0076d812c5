/* Public entry points for building and querying a model: argument checks,
 * then a call inward. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "graph/layer_kinds.h"
#include "graph/model.h"

#define CHECK_MODEL(m, fn)                                                          \
    do {                                                                            \
        US_CLEAR_ERROR_ON(m);                                                       \
        if (!(m)) return us_fail(UNETSEG_E_INVALID_ARG, fn ": model is NULL");      \
    } while (0)

UNETSEG_API int32_t unetseg_model_create(unetseg_model **out) {
    us_clear_error();
    if (!out) return us_fail(UNETSEG_E_INVALID_ARG, "model_create: out is NULL");
    return us_model_new(out);
}

UNETSEG_API void unetseg_model_free(unetseg_model *model) { us_model_free(model); }

/* Reads the model's copy only: clears no error, records nothing. */
UNETSEG_API const char *unetseg_model_last_error(const unetseg_model *model) {
    return model ? model->last_error : "";
}

UNETSEG_API const char *unetseg_layer_kind_name(int32_t kind) {
    const us_layer_kind *k = us_layer_kind_get(kind);
    return k ? k->lower_name : NULL;
}

/* Common checks of every add_* call, then append. */
static int32_t add_layer(unetseg_model *m, const char *fn, const char *name, int32_t kind,
                         const char *const *inbound, int32_t n_in, const us_layer_config *cfg) {
    US_CLEAR_ERROR_ON(m);
    if (!m) return us_fail(UNETSEG_E_INVALID_ARG, "%s: model is NULL", fn);
    if (!name) return us_fail(UNETSEG_E_INVALID_ARG, "%s: name is NULL", fn);
    if (n_in > 0 && !inbound) return us_fail(UNETSEG_E_INVALID_ARG, "%s: inbound is NULL", fn);
    return us_model_append(m, name, kind, inbound, n_in, cfg);
}

UNETSEG_API int32_t unetseg_model_add_input(unetseg_model *model, const char *name,
                                            int64_t height, int64_t width, int64_t channels) {
    us_layer_config c = {.height = height, .width = width, .channels = channels};
    return add_layer(model, "add_input", name, UNETSEG_LAYER_INPUT, NULL, 0, &c);
}

UNETSEG_API int32_t unetseg_model_add_conv2d(unetseg_model *model, const char *name,
                                             const char *inbound, int64_t filters,
                                             int64_t kernel_h, int64_t kernel_w,
                                             int64_t stride_h, int64_t stride_w,
                                             int32_t padding, int32_t use_bias) {
    us_layer_config c = {.filters = filters, .kernel_h = kernel_h, .kernel_w = kernel_w,
                         .stride_h = stride_h, .stride_w = stride_w, .padding = padding,
                         .use_bias = use_bias};
    return add_layer(model, "add_conv2d", name, UNETSEG_LAYER_CONV2D, &inbound, 1, &c);
}

UNETSEG_API int32_t unetseg_model_add_conv2d_transpose(
    unetseg_model *model, const char *name, const char *inbound, int64_t filters,
    int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w, int32_t padding,
    int32_t use_bias) {
    us_layer_config c = {.filters = filters, .kernel_h = kernel_h, .kernel_w = kernel_w,
                         .stride_h = stride_h, .stride_w = stride_w, .padding = padding,
                         .use_bias = use_bias};
    return add_layer(model, "add_conv2d_transpose", name, UNETSEG_LAYER_CONV2D_TRANSPOSE,
                     &inbound, 1, &c);
}

UNETSEG_API int32_t unetseg_model_add_batchnorm(unetseg_model *model, const char *name,
                                                const char *inbound, double epsilon,
                                                double momentum, int32_t center, int32_t scale) {
    us_layer_config c = {.epsilon = epsilon, .momentum = momentum, .center = center,
                         .scale = scale};
    return add_layer(model, "add_batchnorm", name, UNETSEG_LAYER_BATCHNORM, &inbound, 1, &c);
}

UNETSEG_API int32_t unetseg_model_add_activation(unetseg_model *model, const char *name,
                                                 const char *inbound, int32_t activation) {
    us_layer_config c = {.activation = activation};
    return add_layer(model, "add_activation", name, UNETSEG_LAYER_ACTIVATION, &inbound, 1, &c);
}

UNETSEG_API int32_t unetseg_model_add_zero_padding2d(unetseg_model *model, const char *name,
                                                     const char *inbound, int64_t top,
                                                     int64_t bottom, int64_t left,
                                                     int64_t right) {
    us_layer_config c = {.pad_top = top, .pad_bottom = bottom, .pad_left = left,
                         .pad_right = right};
    return add_layer(model, "add_zero_padding2d", name, UNETSEG_LAYER_ZERO_PADDING2D, &inbound,
                     1, &c);
}

UNETSEG_API int32_t unetseg_model_add_max_pooling2d(unetseg_model *model, const char *name,
                                                    const char *inbound, int64_t pool_h,
                                                    int64_t pool_w, int64_t stride_h,
                                                    int64_t stride_w, int32_t padding) {
    us_layer_config c = {.kernel_h = pool_h, .kernel_w = pool_w, .stride_h = stride_h,
                         .stride_w = stride_w, .padding = padding};
    return add_layer(model, "add_max_pooling2d", name, UNETSEG_LAYER_MAX_POOLING2D, &inbound, 1,
                     &c);
}

UNETSEG_API int32_t unetseg_model_add_upsampling2d(unetseg_model *model, const char *name,
                                                   const char *inbound, int64_t size_h,
                                                   int64_t size_w, int32_t interpolation) {
    us_layer_config c = {.size_h = size_h, .size_w = size_w, .interpolation = interpolation};
    return add_layer(model, "add_upsampling2d", name, UNETSEG_LAYER_UPSAMPLING2D, &inbound, 1,
                     &c);
}

UNETSEG_API int32_t unetseg_model_add_concatenate(unetseg_model *model, const char *name,
                                                  const char *const *inbound, int32_t n) {
    us_layer_config c = {0};
    return add_layer(model, "add_concatenate", name, UNETSEG_LAYER_CONCATENATE, inbound, n, &c);
}

UNETSEG_API int32_t unetseg_model_add_add(unetseg_model *model, const char *name,
                                          const char *const *inbound, int32_t n) {
    us_layer_config c = {0};
    return add_layer(model, "add_add", name, UNETSEG_LAYER_ADD, inbound, n, &c);
}

UNETSEG_API int32_t unetseg_model_add_dropout(unetseg_model *model, const char *name,
                                              const char *inbound, double rate) {
    us_layer_config c = {.rate = rate};
    return add_layer(model, "add_dropout", name, UNETSEG_LAYER_DROPOUT, &inbound, 1, &c);
}

UNETSEG_API int32_t unetseg_model_add_spatial_dropout2d(unetseg_model *model, const char *name,
                                                        const char *inbound, double rate) {
    us_layer_config c = {.rate = rate};
    return add_layer(model, "add_spatial_dropout2d", name, UNETSEG_LAYER_SPATIAL_DROPOUT2D,
                     &inbound, 1, &c);
}

UNETSEG_API int32_t unetseg_model_add_conditional_dropout(unetseg_model *model,
                                                          const char *name, const char *inbound,
                                                          double rate, int32_t mode,
                                                          int32_t spatial) {
    us_layer_config c = {.rate = rate, .mode = mode, .spatial = spatial};
    return add_layer(model, "add_conditional_dropout", name, UNETSEG_LAYER_CONDITIONAL_DROPOUT,
                     &inbound, 1, &c);
}

/* ------------------------------------------------------------- queries */
static int32_t get_layer(const unetseg_model *m, const char *fn, int32_t index, const void *out,
                         const us_layer **layer) {
    US_CLEAR_ERROR_ON(m);
    if (!m) return us_fail(UNETSEG_E_INVALID_ARG, "%s: model is NULL", fn);
    if (!out) return us_fail(UNETSEG_E_INVALID_ARG, "%s: output pointer is NULL", fn);
    if (index < 0 || index >= m->n_layers)
        return us_fail(UNETSEG_E_INVALID_ARG, "%s: layer index %d not in 0..%d", fn, index,
                       m->n_layers - 1);
    *layer = &m->layers[index];
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_model_layer_count(const unetseg_model *model, int32_t *count) {
    CHECK_MODEL(model, "layer_count");
    if (!count) return us_fail(UNETSEG_E_INVALID_ARG, "layer_count: count is NULL");
    *count = model->n_layers;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_model_layer_index(const unetseg_model *model, const char *name,
                                              int32_t *index) {
    CHECK_MODEL(model, "layer_index");
    if (!name || !index) return us_fail(UNETSEG_E_INVALID_ARG, "layer_index: NULL argument");
    *index = us_model_find(model, name);
    if (*index < 0) {
        *index = 0;
        return us_fail(UNETSEG_E_NOT_FOUND, "no layer named '%s'", name);
    }
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_model_layer_name(const unetseg_model *model, int32_t index,
                                             const char **name) {
    const us_layer *l = NULL;
    if (name) *name = NULL;
    int32_t st = get_layer(model, "layer_name", index, name, &l);
    if (!st) *name = l->name;
    return st;
}

UNETSEG_API int32_t unetseg_model_layer_kind(const unetseg_model *model, int32_t index,
                                             int32_t *kind) {
    const us_layer *l = NULL;
    int32_t st = get_layer(model, "layer_kind", index, kind, &l);
    if (!st) *kind = l->kind;
    return st;
}

UNETSEG_API int32_t unetseg_model_layer_region(const unetseg_model *model, int32_t index,
                                               int32_t *region) {
    const us_layer *l = NULL;
    int32_t st = get_layer(model, "layer_region", index, region, &l);
    if (!st) *region = l->region;
    return st;
}

UNETSEG_API int32_t unetseg_model_layer_inbound_count(const unetseg_model *model, int32_t index,
                                                      int32_t *count) {
    const us_layer *l = NULL;
    int32_t st = get_layer(model, "layer_inbound_count", index, count, &l);
    if (!st) *count = l->n_in;
    return st;
}

UNETSEG_API int32_t unetseg_model_layer_inbound(const unetseg_model *model, int32_t index,
                                                int32_t which, const char **name) {
    const us_layer *l = NULL;
    if (name) *name = NULL;
    int32_t st = get_layer(model, "layer_inbound", index, name, &l);
    if (st) return st;
    if (which < 0 || which >= l->n_in)
        return us_fail(UNETSEG_E_INVALID_ARG, "layer_inbound: %s has %d inbound layers, not %d",
                       l->name, l->n_in, which + 1);
    *name = model->layers[us_model_index_of_id(model, l->in_ids[which])].name;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_model_layer_output_shape(const unetseg_model *model, int32_t index,
                                                     int64_t shape[4]) {
    const us_layer *l = NULL;
    int32_t st = get_layer(model, "layer_output_shape", index, shape, &l);
    if (!st) memcpy(shape, l->shape, 4 * sizeof(int64_t));
    return st;
}

static int64_t layer_param_count(const us_layer *l) {
    int64_t total = 0;
    for (int32_t p = 0; p < l->n_params; p++) total += l->params[p].value->numel;
    return total;
}

UNETSEG_API int32_t unetseg_model_layer_param_count(const unetseg_model *model, int32_t index,
                                                    int64_t *count) {
    const us_layer *l = NULL;
    int32_t st = get_layer(model, "layer_param_count", index, count, &l);
    if (!st) *count = layer_param_count(l);
    return st;
}

UNETSEG_API int32_t unetseg_model_layer_trainable(const unetseg_model *model, int32_t index,
                                                  int32_t *trainable) {
    const us_layer *l = NULL;
    int32_t st = get_layer(model, "layer_trainable", index, trainable, &l);
    if (!st) *trainable = l->trainable;
    return st;
}

UNETSEG_API int32_t unetseg_model_set_trainable(unetseg_model *model, const char *name,
                                                int32_t trainable) {
    CHECK_MODEL(model, "set_trainable");
    if (!name) return us_fail(UNETSEG_E_INVALID_ARG, "set_trainable: name is NULL");
    if (trainable != 0 && trainable != 1)
        return us_fail(UNETSEG_E_INVALID_ARG, "set_trainable: trainable must be 0 or 1");
    int32_t i = us_model_find(model, name);
    if (i < 0) return us_fail(UNETSEG_E_NOT_FOUND, "no layer named '%s'", name);
    model->layers[i].trainable = trainable;
    us_model_invalidate(model);
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_model_param_totals(const unetseg_model *model, int64_t *total,
                                               int64_t *trainable, int64_t *non_trainable) {
    CHECK_MODEL(model, "param_totals");
    int64_t t, tr;
    us_model_param_totals(model, &t, &tr);
    if (total) *total = t;
    if (trainable) *trainable = tr;
    if (non_trainable) *non_trainable = t - tr;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_model_summary(unetseg_model *model, const char **text) {
    US_CLEAR_ERROR_ON(model);
    if (text) *text = NULL;
    if (!model || !text) return us_fail(UNETSEG_E_INVALID_ARG, "model_summary: NULL argument");
    return us_model_summary(model, text);
}

/* ------------------------------------------------------------- parameters */
UNETSEG_API int32_t unetseg_model_param_tensor_count(const unetseg_model *model, int32_t *count) {
    CHECK_MODEL(model, "param_tensor_count");
    if (!count) return us_fail(UNETSEG_E_INVALID_ARG, "param_tensor_count: count is NULL");
    *count = 0;
    for (int32_t i = 0; i < model->n_layers; i++) *count += model->layers[i].n_params;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_model_param_tensor_name(const unetseg_model *model, int32_t index,
                                                    const char **name) {
    CHECK_MODEL(model, "param_tensor_name");
    if (!name) return us_fail(UNETSEG_E_INVALID_ARG, "param_tensor_name: name is NULL");
    *name = NULL;
    int32_t k = index;
    for (int32_t i = 0; i < model->n_layers && index >= 0; i++) {
        const us_layer *l = &model->layers[i];
        if (k >= l->n_params) {
            k -= l->n_params;
            continue;
        }
        /* The cache is mutable state behind a const handle: it is only a
         * formatted copy of the name, rebuilt on each call. */
        unetseg_model *mm = (unetseg_model *)model;
        size_t len = strlen(l->name) + strlen(l->params[k].name) + 2;
        char *buf = us_realloc(mm->param_name_cache, len);
        if (!buf) return us_fail(UNETSEG_E_NOMEM, "param_tensor_name: out of memory");
        snprintf(buf, len, "%s/%s", l->name, l->params[k].name);
        mm->param_name_cache = buf;
        *name = buf;
        return UNETSEG_OK;
    }
    return us_fail(UNETSEG_E_INVALID_ARG, "param_tensor_name: index %d out of range", index);
}

UNETSEG_API int32_t unetseg_model_param_get(const unetseg_model *model, const char *name,
                                            unetseg_tensor **out) {
    CHECK_MODEL(model, "param_get");
    if (!name || !out) return us_fail(UNETSEG_E_INVALID_ARG, "param_get: NULL argument");
    *out = NULL;
    const us_param *p = us_model_find_param(model, name);
    if (!p) return us_fail(UNETSEG_E_NOT_FOUND, "no parameter named '%s'", name);
    int32_t st = us_tensor_new(p->value->rank, p->value->shape, out);
    if (!st) memcpy((*out)->data, p->value->data, (size_t)p->value->numel * sizeof(float));
    return st;
}

UNETSEG_API int32_t unetseg_model_param_set(unetseg_model *model, const char *name,
                                            const unetseg_tensor *value) {
    CHECK_MODEL(model, "param_set");
    if (!name || !value) return us_fail(UNETSEG_E_INVALID_ARG, "param_set: NULL argument");
    us_param *p = us_model_find_param(model, name);
    if (!p) return us_fail(UNETSEG_E_NOT_FOUND, "no parameter named '%s'", name);
    if (value->rank != p->value->rank ||
        memcmp(value->shape, p->value->shape, (size_t)value->rank * sizeof(int64_t)) != 0)
        return us_fail(UNETSEG_E_SHAPE, "param_set: '%s' has a different shape (rank %d vs %d)",
                       name, value->rank, p->value->rank);
    int64_t bad = us_first_non_finite(value->data, value->numel);
    if (bad >= 0)
        return us_fail(UNETSEG_E_NUMERIC, "param_set: '%s' element %lld is NaN or infinite", name,
                       (long long)bad);
    if (us_param_is_shared(p)) {
        /* a clone holds these values too: this model gets new ones */
        us_param_data *fresh = NULL;
        int32_t st = us_param_data_new(p->data->group, p->value->rank, p->value->shape, &fresh);
        if (st) return us_fail(UNETSEG_E_NOMEM, "param_set: out of memory for '%s'", name);
        memcpy(fresh->value->data, value->data, (size_t)value->numel * sizeof(float));
        us_param_adopt(p, fresh);
    } else {
        us_param_drop_private_cache(p); /* its transformed kernels are stale */
        memcpy(p->value->data, value->data, (size_t)value->numel * sizeof(float));
    }
    us_model_invalidate(model);
    return UNETSEG_OK;
}
