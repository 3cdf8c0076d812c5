/* The layer table, and what is done the same way for every kind: settings,
 * validation, parameters. Each kind is defined in src/graph/kinds/. */
#include "graph/layer_kinds.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

/* ---------------------------------------------------------------- the table */
/* One line per kind: its public constant (include/unetseg.h) and the
 * us_layer_kind its file under src/graph/kinds/ defines. */
#define KINDS(X)                                                  \
    X(UNETSEG_LAYER_INPUT, us_kind_input)                         \
    X(UNETSEG_LAYER_CONV2D, us_kind_conv2d)                       \
    X(UNETSEG_LAYER_CONV2D_TRANSPOSE, us_kind_conv2d_transpose)   \
    X(UNETSEG_LAYER_BATCHNORM, us_kind_batchnorm)                 \
    X(UNETSEG_LAYER_ACTIVATION, us_kind_activation)               \
    X(UNETSEG_LAYER_ZERO_PADDING2D, us_kind_zero_padding2d)       \
    X(UNETSEG_LAYER_MAX_POOLING2D, us_kind_max_pooling2d)         \
    X(UNETSEG_LAYER_UPSAMPLING2D, us_kind_upsampling2d)           \
    X(UNETSEG_LAYER_CONCATENATE, us_kind_concatenate)             \
    X(UNETSEG_LAYER_ADD, us_kind_add)                             \
    X(UNETSEG_LAYER_DROPOUT, us_kind_dropout)                     \
    X(UNETSEG_LAYER_SPATIAL_DROPOUT2D, us_kind_spatial_dropout2d) \
    X(UNETSEG_LAYER_CONDITIONAL_DROPOUT, us_kind_conditional_dropout)

#define DECLARE(id, kind) extern const us_layer_kind kind;
KINDS(DECLARE)
#define ROW(id, kind) [id] = &kind,
static const us_layer_kind *const TABLE[] = {KINDS(ROW)};
#define ONE(id, kind) +1
/* Rows at distinct indices (a repeated one is an error under -Wextra),
 * none past the count and as many as the count: every kind has its row. */
_Static_assert(sizeof TABLE / sizeof *TABLE == UNETSEG_LAYER_KIND_COUNT,
               "a row index is not below UNETSEG_LAYER_KIND_COUNT");
_Static_assert(0 KINDS(ONE) == UNETSEG_LAYER_KIND_COUNT,
               "one row per UNETSEG_LAYER_* kind: UNETSEG_LAYER_KIND_COUNT rows");

const us_layer_kind *us_layer_kind_get(int32_t kind) {
    if (kind < 0 || kind >= UNETSEG_LAYER_KIND_COUNT) return NULL;
    return TABLE[kind];
}

int32_t us_layer_kind_find(const char *name) {
    for (int32_t k = 0; k < UNETSEG_LAYER_KIND_COUNT; k++)
        if (strcmp(TABLE[k]->lower_name, name) == 0) return k;
    return -1;
}

/* ---------------------------------------------------------------- settings */
int32_t us_layer_config_check(int32_t kind, const char *name, const us_layer_config *cfg) {
    const us_layer_kind *k = us_layer_kind_get(kind);
    if (!k) return us_fail(UNETSEG_E_INVALID_ARG, "%s: unknown layer kind %d", name, kind);
    return k->check ? k->check(name, cfg) : UNETSEG_OK;
}

static size_t field_size(const us_cfg_field *f) {
    return f->type == US_FIELD_I32   ? sizeof(int32_t)
           : f->type == US_FIELD_I64 ? sizeof(int64_t)
                                     : sizeof(double);
}

void us_layer_config_canonical(int32_t kind, const us_layer_config *in, us_layer_config *out) {
    const us_layer_kind *k = TABLE[kind];
    us_layer_config c; /* `in` and `out` may be the same */
    memset(&c, 0, sizeof c);
    for (int32_t i = 0; i < k->n_fields; i++) {
        const us_cfg_field *f = &k->fields[i];
        memcpy((char *)&c + f->offset, (const char *)in + f->offset, field_size(f));
    }
    memcpy(out, &c, sizeof c); /* padding too: configs compare with memcmp */
}

static const us_cfg_field *field_of(const us_layer_kind *k, const char *key) {
    for (int32_t i = 0; i < k->n_fields; i++)
        if (strcmp(k->fields[i].key, key) == 0) return &k->fields[i];
    return NULL;
}

const us_cfg_field *us_cfg_field_find(int32_t kind, const char *key) {
    const us_cfg_field *f = field_of(TABLE[kind], key);
    for (int32_t k = 0; !f && k < UNETSEG_LAYER_KIND_COUNT; k++) f = field_of(TABLE[k], key);
    return f;
}

/* -------------------------------------------------------------- parameters */
static int32_t param_specs(const us_layer_kind *k, const us_layer_config *c, int64_t cin,
                           us_param_spec specs[US_MAX_PARAMS]) {
    return k->params ? k->params(c, cin, specs) : 0;
}

int32_t us_layer_make_params(us_layer *l, us_share_group *group, int64_t cin) {
    us_param_spec specs[US_MAX_PARAMS];
    const int32_t n = param_specs(TABLE[l->kind], &l->cfg, cin, specs);
    for (int32_t i = 0; i < n; i++) {
        us_param *p = &l->params[l->n_params];
        int32_t st = us_param_alloc(p, group, specs[i].rank, specs[i].shape);
        if (st) return st;
        snprintf(p->name, sizeof p->name, "%s", specs[i].name);
        p->is_statistic = specs[i].is_statistic;
        if (specs[i].fill != 0.0f)
            for (int64_t e = 0; e < p->value->numel; e++) p->value->data[e] = specs[i].fill;
        l->n_params++;
    }
    return UNETSEG_OK;
}

int64_t us_layer_param_count(int32_t kind, const us_layer_config *cfg, int64_t cin) {
    const us_layer_kind *k = us_layer_kind_get(kind);
    us_param_spec specs[US_MAX_PARAMS];
    if (!k || cin < 1) return 0;
    const int32_t n = param_specs(k, cfg, cin, specs);
    int64_t total = 0;
    for (int32_t i = 0; i < n; i++) {
        int64_t numel = 1;
        for (int32_t d = 0; d < specs[i].rank; d++)
            if (specs[i].shape[d] < 1 || !us_mul_i64(numel, specs[i].shape[d], &numel)) return 0;
        if (total > INT64_MAX - numel) return 0;
        total += numel;
    }
    return total;
}

const float *us_layer_param(const us_layer *l, const char *name) {
    for (int32_t i = 0; i < l->n_params; i++)
        if (strcmp(l->params[i].name, name) == 0) return l->params[i].value->data;
    return NULL;
}

us_param *us_layer_find_param(us_layer *l, const char *name) {
    for (int32_t i = 0; i < l->n_params; i++)
        if (strcmp(l->params[i].name, name) == 0) return &l->params[i];
    return NULL;
}
