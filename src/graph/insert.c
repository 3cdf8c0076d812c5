/* Dropout insertion by matcher (DESIGN §5): validate everything, prepare
 * every allocation, then edit the layer list in one step that cannot fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "graph/insert.h"
#include "graph/layer_kinds.h"
#include "graph/matcher.h"

typedef struct plan {
    int32_t *targets;  /* matched layer indices, in order */
    int32_t n;
    us_layer *fresh;   /* the new dropout layers, one per target */
    us_layer *layers;  /* the new layer array (old n_layers + n) */
} plan;

static void plan_free(plan *p, int keep_fresh_contents) {
    if (p->fresh && !keep_fresh_contents)
        for (int32_t i = 0; i < p->n; i++) us_layer_clear(&p->fresh[i]);
    free(p->fresh);
    free(p->layers);
    free(p->targets);
}

static int32_t check_target(const unetseg_model *m, const us_layer *t, const us_insert_spec *s,
                            const char *new_name) {
    if (strlen(new_name) > US_MAX_NAME)
        return us_fail(UNETSEG_E_INVALID_ARG, "insert: the name '%s' is longer than %d", new_name,
                       US_MAX_NAME);
    if (us_model_find(m, new_name) >= 0)
        return us_fail(UNETSEG_E_NAME_EXISTS,
                       "insert: a layer named '%s' already exists (dropout already inserted at "
                       "'%s'? use another suffix)",
                       new_name, t->name);
    if (s->position == UNETSEG_INSERT_BEFORE && t->n_in != 1)
        return us_fail(UNETSEG_E_INVALID_ARG,
                       "insert: cannot insert before '%s': it has %d inputs (before-insertion "
                       "needs exactly one; insert after its inputs instead)",
                       t->name, t->n_in);
    return UNETSEG_OK;
}

/* Build the new layers (all allocation happens here). */
static int32_t prepare(const unetseg_model *m, const us_insert_spec *s, plan *p) {
    p->fresh = us_calloc_array((size_t)p->n, sizeof *p->fresh);
    p->layers = us_malloc_array((size_t)(m->n_layers + p->n), sizeof *p->layers);
    if (!p->fresh || !p->layers) return us_fail(UNETSEG_E_NOMEM, "insert: out of memory");
    for (int32_t i = 0; i < p->n; i++) {
        const us_layer *t = &m->layers[p->targets[i]];
        char name[US_MAX_NAME + 40];
        snprintf(name, sizeof name, "%s%s", t->name, s->suffix);
        int32_t st = check_target(m, t, s, name);
        if (st) return st;
        us_layer *d = &p->fresh[i];
        d->name = us_strdup(name);
        d->in_ids = us_malloc(sizeof *d->in_ids);
        if (!d->name || !d->in_ids) return us_fail(UNETSEG_E_NOMEM, "insert: out of memory");
        d->kind = s->kind;
        us_layer_config_canonical(s->kind, &s->cfg, &d->cfg);
        d->region = t->region;
        d->trainable = 1;
        d->inserted = 1;
        d->n_in = 1;
        if (s->position == UNETSEG_INSERT_AFTER) {
            d->in_ids[0] = t->id;
            memcpy(d->shape, t->shape, sizeof d->shape);
        } else {
            d->in_ids[0] = t->in_ids[0];
            memcpy(d->shape, m->layers[us_model_index_of_id(m, t->in_ids[0])].shape, sizeof d->shape);
        }
    }
    return UNETSEG_OK;
}

/* The edit itself: new list order, ids and rewiring. Cannot fail. */
static void apply(unetseg_model *m, const us_insert_spec *s, plan *p) {
    int32_t out = 0, next = 0;
    for (int32_t i = 0; i < p->n; i++) p->fresh[i].id = m->next_id++;
    for (int32_t i = 0; i < m->n_layers; i++) {
        int is_target = next < p->n && p->targets[next] == i;
        if (is_target && s->position == UNETSEG_INSERT_BEFORE) p->layers[out++] = p->fresh[next];
        p->layers[out++] = m->layers[i];
        if (is_target && s->position == UNETSEG_INSERT_AFTER) p->layers[out++] = p->fresh[next];
        next += is_target;
    }
    free(m->layers);
    m->layers = p->layers;
    m->n_layers = out;
    m->cap_layers = out;
    p->layers = NULL;
    us_layer_index_rebuild(&m->index, m->layers, m->n_layers, m->next_id);
    for (int32_t i = 0; i < p->n; i++) {
        const us_layer *d = &p->fresh[i];
        if (s->position == UNETSEG_INSERT_BEFORE) {
            /* the target now reads the dropout */
            us_layer *t = &m->layers[us_model_index_of_id(m, d->id) + 1];
            t->in_ids[0] = d->id;
            continue;
        }
        /* every consumer of the target, except the new dropout, reads the dropout */
        int32_t target_id = d->in_ids[0];
        for (int32_t k = 0; k < m->n_layers; k++) {
            us_layer *l = &m->layers[k];
            if (l->id == d->id) continue;
            for (int32_t j = 0; j < l->n_in; j++)
                if (l->in_ids[j] == target_id) l->in_ids[j] = d->id;
        }
    }
    us_model_invalidate(m);
}

int32_t us_model_insert(unetseg_model *m, const unetseg_matcher *matcher, const us_insert_spec *s,
                        int32_t *inserted) {
    plan p = {0};
    int32_t st = us_layer_config_check(s->kind, "insert", &s->cfg);
    if (st) return st;
    p.targets = us_malloc_array((size_t)(m->n_layers ? m->n_layers : 1), sizeof *p.targets);
    if (!p.targets) return us_fail(UNETSEG_E_NOMEM, "insert: out of memory");
    st = us_model_match(m, matcher, p.targets, m->n_layers, &p.n,
                        s->allow_no_match ? NULL : "insert_dropout");
    if (st == UNETSEG_E_NO_MATCH && s->allow_no_match) {
        plan_free(&p, 0);
        return UNETSEG_OK;
    }
    if (!st) st = prepare(m, s, &p);
    if (!st) {
        apply(m, s, &p);
        *inserted = p.n;
    }
    plan_free(&p, !st);
    return st;
}
