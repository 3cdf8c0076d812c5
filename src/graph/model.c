/* The layer list: creation, lookup, appending with validation. */
#include "graph/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "graph/layer_kinds.h"
#include "core/parallel.h"
#include "core/cpu.h"
#include "core/threads.h"

int32_t us_model_new(unetseg_model **out) {
    *out = us_calloc(1, sizeof **out);
    if (*out) (*out)->group = us_share_group_new();
    if (!*out || !(*out)->group) {
        free(*out);
        *out = NULL;
        return us_fail(UNETSEG_E_NOMEM, "model_create: out of memory");
    }
    (*out)->input_multiple = 1;
    return UNETSEG_OK;
}

void us_model_free(unetseg_model *m) {
    if (!m) return;
    us_error_forget(m->last_error);
    us_model_invalidate(m);
    us_pool_free(&m->run_pool);
    us_profile_free(&m->profile);
    for (int32_t i = 0; i < m->n_layers; i++) us_layer_clear(&m->layers[i]);
    free(m->layers);
    us_layer_index_free(&m->index);
    free(m->description);
    us_share_group_release(m->group); /* after the blocks, which point to it */
    free(m);
}

int32_t us_model_find(const unetseg_model *m, const char *name) {
    if (us_layer_index_fresh(&m->index, m->n_layers))
        return us_layer_index_find_name(&m->index, m->layers, name);
    for (int32_t i = 0; i < m->n_layers; i++)
        if (strcmp(m->layers[i].name, name) == 0) return i;
    return -1;
}

int32_t us_model_index_of_id(const unetseg_model *m, int32_t id) {
    if (us_layer_index_fresh(&m->index, m->n_layers)) return us_layer_index_find_id(&m->index, id);
    for (int32_t i = 0; i < m->n_layers; i++)
        if (m->layers[i].id == id) return i;
    return -1;
}

void us_layer_clear(us_layer *l) {
    free(l->name);
    free(l->in_ids);
    for (int32_t i = 0; i < l->n_params; i++) us_param_release(&l->params[i]);
    memset(l, 0, sizeof *l);
}

void us_model_invalidate(unetseg_model *m) {
    /* Transformed kernels of blocks only this model holds go (its weights
     * may have changed); shared blocks never change, so theirs stay. Every
     * append calls this: no pass over the layers unless kernels are kept. */
    const int kept = m->group && atomic_load_explicit(&m->group->cache_floats, memory_order_relaxed) > 0;
    for (int32_t i = 0; kept && i < m->n_layers; i++)
        for (int32_t p = 0; p < m->layers[i].n_params; p++)
            us_param_drop_private_cache(&m->layers[i].params[p]);
    free(m->summary_text);
    m->summary_text = NULL;
    free(m->param_name_cache);
    m->param_name_cache = NULL;
    free(m->load_report);
    m->load_report = NULL;
}

void us_model_set_kernel_cache_limit(unetseg_model *m, int64_t bytes) {
    us_share_group_set_cache_limit(m->group, bytes / (int64_t)sizeof(float));
    for (int32_t i = 0; i < m->n_layers; i++)
        for (int32_t p = 0; p < m->layers[i].n_params; p++)
            us_param_drop_private_cache(&m->layers[i].params[p]);
}

us_param *us_model_find_param(const unetseg_model *m, const char *full_name) {
    const char *slash = strrchr(full_name, '/');
    char layer_name[US_MAX_NAME + 1];
    if (!slash || (size_t)(slash - full_name) > US_MAX_NAME) return NULL;
    memcpy(layer_name, full_name, (size_t)(slash - full_name));
    layer_name[slash - full_name] = '\0';
    int32_t i = us_model_find(m, layer_name);
    if (i < 0) return NULL;
    return us_layer_find_param(&m->layers[i], slash + 1);
}

void us_model_param_totals(const unetseg_model *m, int64_t *total, int64_t *trainable) {
    int64_t t = 0, tr = 0;
    for (int32_t i = 0; i < m->n_layers; i++) {
        const us_layer *l = &m->layers[i];
        for (int32_t p = 0; p < l->n_params; p++) {
            t += l->params[p].value->numel;
            if (l->trainable && !l->params[p].is_statistic) tr += l->params[p].value->numel;
        }
    }
    *total = t;
    *trainable = tr;
}

static int32_t check_name(const unetseg_model *m, const char *name) {
    size_t len = strlen(name);
    if (len == 0 || len > US_MAX_NAME)
        return us_fail(UNETSEG_E_INVALID_ARG, "layer name must be 1..%d characters", US_MAX_NAME);
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '.' || c == '-';
        if (!ok)
            return us_fail(UNETSEG_E_INVALID_ARG,
                           "layer name '%s': character %zu is not one of [A-Za-z0-9_.-]", name,
                           i + 1);
    }
    if (us_model_find(m, name) >= 0)
        return us_fail(UNETSEG_E_NAME_EXISTS, "a layer named '%s' already exists", name);
    return UNETSEG_OK;
}

static int32_t grow(unetseg_model *m) {
    if (m->n_layers < m->cap_layers) return UNETSEG_OK;
    int32_t cap = m->cap_layers ? m->cap_layers * 2 : 64;
    us_layer *grown = us_realloc(m->layers, (size_t)cap * sizeof *grown);
    if (!grown) return us_fail(UNETSEG_E_NOMEM, "cannot grow the layer list");
    m->layers = grown;
    m->cap_layers = cap;
    return UNETSEG_OK;
}

/* Inferred sizes stay within a tensor's limit (2^31-1 a dim, as in the
 * executor), so that the next layer's shape arithmetic cannot overflow: a
 * chain of UpSampling2D layers used to overflow int64 (found by fuzzing). */
static int32_t check_inferred(const us_layer *l) {
    for (int d = 1; d < 4; d++)
        if (l->shape[d] > INT32_MAX)
            return us_fail(UNETSEG_E_SHAPE, "%s: output size %lld exceeds 2^31-1", l->name,
                           (long long)l->shape[d]);
    return UNETSEG_OK;
}

int32_t us_model_append(unetseg_model *m, const char *name, int32_t kind,
                        const char *const *inbound, int32_t n_in, const us_layer_config *cfg) {
    const us_layer_kind *k = us_layer_kind_get(kind);
    int32_t st;
    if ((st = check_name(m, name))) return st;
    if ((st = us_layer_config_check(kind, name, cfg))) return st;
    if (kind == UNETSEG_LAYER_INPUT && m->n_layers > 0)
        return us_fail(UNETSEG_E_GRAPH, "%s: the input layer must be the first and only one",
                       name);
    if (kind != UNETSEG_LAYER_INPUT && m->n_layers == 0)
        return us_fail(UNETSEG_E_GRAPH, "%s: add the input layer first", name);
    if (n_in < k->min_in || n_in > k->max_in)
        return us_fail(UNETSEG_E_INVALID_ARG, "%s: %s takes %d..%d inbound layers, got %d", name,
                       k->keras_class, k->min_in, k->max_in, n_in);

    us_layer l;
    memset(&l, 0, sizeof l);
    int64_t in_shapes[UNETSEG_MAX_INBOUND][4];
    l.in_ids = us_malloc_array((size_t)(n_in ? n_in : 1), sizeof(int32_t));
    l.name = us_strdup(name);
    if (!l.in_ids || !l.name) {
        us_layer_clear(&l);
        return us_fail(UNETSEG_E_NOMEM, "%s: out of memory", name);
    }
    for (int32_t i = 0; i < n_in; i++) {
        if (!inbound[i]) {
            us_layer_clear(&l);
            return us_fail(UNETSEG_E_INVALID_ARG, "%s: inbound name %d is NULL", name, i);
        }
        int32_t idx = us_model_find(m, inbound[i]);
        if (idx < 0) {
            us_layer_clear(&l);
            return us_fail(UNETSEG_E_GRAPH, "%s: unknown inbound layer '%s'", name, inbound[i]);
        }
        l.in_ids[i] = m->layers[idx].id;
        memcpy(in_shapes[i], m->layers[idx].shape, sizeof in_shapes[i]);
    }
    l.n_in = n_in;
    l.kind = kind;
    us_layer_config_canonical(kind, cfg, &l.cfg);
    l.trainable = 1;
    l.region = UNETSEG_REGION_NONE;
    if ((st = k->infer(&l, (const int64_t(*)[4])in_shapes, n_in, l.shape)) ||
        (st = check_inferred(&l)) || (st = us_layer_make_params(&l, m->group, in_shapes[0][3])) ||
        (st = grow(m))) {
        us_layer_clear(&l);
        return st;
    }
    l.id = m->next_id++;
    m->layers[m->n_layers++] = l;
    us_layer_index_appended(&m->index, m->layers, m->n_layers, m->next_id);
    us_model_invalidate(m);
    return UNETSEG_OK;
}

/* unetseg splits each GEMM itself (see ops/gemm.c), which keeps results
 * independent of the thread count; the bound of unetseg_set_max_threads
 * applies (us_parallel_set_threads). */
int32_t us_model_apply_threads(const unetseg_model *m) {
    us_parallel_set_threads(m->threads > 0 ? m->threads : us_cpu_count());
    return us_parallel_threads();
}

/* OpenBLAS runs GEMMs only on CPUs without AVX2 + FMA (ops/gemm.c), one
 * call per thread of ours, single-threaded so that one kind of worker
 * thread is busy at a time: only then is its process-wide setting touched,
 * and the host's value comes back at the end of the pass. */
int us_model_pass_begin(const unetseg_model *m) {
    us_model_apply_threads(m);
    if (us_cpu_isa() != US_ISA_BLAS) return 0;
    us_blas_pass_begin();
    return 1;
}

void us_model_pass_end(int token) {
    if (token) us_blas_pass_end();
}
