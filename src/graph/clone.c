/* unetseg_model_clone's work: a new model with its own layer list, names,
 * settings and working memory, sharing the parameter blocks (and with them
 * the transformed kernels) of its source copy-on-write; and the parameter
 * memory of a set of models, each shared block counted once. */
#include "graph/clone.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

/* A copy of layer `l` in `out` sharing its parameters; NOMEM, nothing held. */
static int32_t clone_layer(const us_layer *l, us_layer *out) {
    memset(out, 0, sizeof *out);
    out->name = us_strdup(l->name);
    out->in_ids = us_malloc_array((size_t)(l->n_in ? l->n_in : 1), sizeof(int32_t));
    if (!out->name || !out->in_ids) {
        us_layer_clear(out);
        return us_fail(UNETSEG_E_NOMEM, "model_clone: out of memory for layer '%s'", l->name);
    }
    if (l->n_in) memcpy(out->in_ids, l->in_ids, (size_t)l->n_in * sizeof(int32_t));
    out->id = l->id;
    out->kind = l->kind;
    out->region = l->region;
    out->trainable = l->trainable;
    out->inserted = l->inserted;
    out->n_in = l->n_in;
    out->cfg = l->cfg;
    memcpy(out->shape, l->shape, sizeof out->shape);
    for (int32_t p = 0; p < l->n_params; p++) us_param_share(&out->params[p], &l->params[p]);
    out->n_params = l->n_params;
    return UNETSEG_OK;
}

int32_t us_model_clone(const unetseg_model *src, unetseg_model **out) {
    *out = NULL;
    unetseg_model *m = us_calloc(1, sizeof *m);
    if (!m) return us_fail(UNETSEG_E_NOMEM, "model_clone: out of memory");
    /* the clone family shares one budget of transformed kernels */
    m->group = src->group;
    us_share_group_retain(m->group);
    m->input_multiple = src->input_multiple;
    m->n_backbone_layers = src->n_backbone_layers;
    m->seed = src->seed;
    m->step = src->step;
    m->mc_dropout = src->mc_dropout;
    m->threads = src->threads;
    m->next_id = src->next_id;
    int32_t st = UNETSEG_OK;
    if (src->description && !(m->description = us_strdup(src->description)))
        st = us_fail(UNETSEG_E_NOMEM, "model_clone: out of memory");
    if (!st && src->n_layers > 0) {
        m->layers = us_calloc_array((size_t)src->n_layers, sizeof *m->layers);
        if (!m->layers) st = us_fail(UNETSEG_E_NOMEM, "model_clone: out of memory for %d layers",
                                     src->n_layers);
        else m->cap_layers = src->n_layers;
    }
    for (int32_t i = 0; i < src->n_layers && !st; i++)
        if (!(st = clone_layer(&src->layers[i], &m->layers[i]))) m->n_layers++;
    if (st) {
        us_model_free(m);
        return st;
    }
    /* lookups scan the list if the index cannot be allocated */
    us_layer_index_rebuild(&m->index, m->layers, m->n_layers, m->next_id);
    *out = m;
    return UNETSEG_OK;
}

/* ------------------------------------------------------- parameter memory */
static int cmp_ptr(const void *a, const void *b) {
    const uintptr_t x = (uintptr_t)*(const us_param_data *const *)a,
                    y = (uintptr_t)*(const us_param_data *const *)b;
    return x < y ? -1 : x > y;
}

static int64_t param_count(const unetseg_model *m) {
    int64_t n = 0;
    for (int32_t i = 0; i < m->n_layers; i++) n += m->layers[i].n_params;
    return n;
}

int32_t us_models_param_bytes(const unetseg_model *const *models, int32_t n, int64_t *unique,
                              int64_t *total, int64_t *cache) {
    int64_t count = 0;
    for (int32_t k = 0; k < n; k++) count += param_count(models[k]);
    const us_param_data **blocks = us_malloc_array((size_t)(count ? count : 1), sizeof *blocks);
    if (!blocks) return us_fail(UNETSEG_E_NOMEM, "model_param_bytes: out of memory");
    int64_t used = 0, sum = 0;
    for (int32_t k = 0; k < n; k++)
        for (int32_t i = 0; i < models[k]->n_layers; i++)
            for (int32_t p = 0; p < models[k]->layers[i].n_params; p++) {
                const us_param *q = &models[k]->layers[i].params[p];
                blocks[used++] = q->data;
                sum += q->value->numel * (int64_t)sizeof(float);
            }
    /* the same block in several models counts once: sort by address */
    qsort(blocks, (size_t)used, sizeof *blocks, cmp_ptr);
    int64_t once = 0, kept = 0;
    for (int64_t i = 0; i < used; i++) {
        if (i > 0 && blocks[i] == blocks[i - 1]) continue;
        once += blocks[i]->value->numel * (int64_t)sizeof(float);
        kept += us_param_data_cache_bytes(blocks[i]);
    }
    free(blocks);
    *unique = once;
    *total = sum;
    *cache = kept;
    return UNETSEG_OK;
}
