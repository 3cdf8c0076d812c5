/* Checkpoints: the model file plus the optimizer moments ("optimizer/m/<param>",
 * "optimizer/v/<param>") and step ("unetseg.optimizer.step" metadata). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "io/weights.h"
#include "train/trainer.h"

#define OPT_PREFIX US_OPTIMIZER_PREFIX
#define STEP_KEY "unetseg.optimizer.step"

static const char *optimizer_name(const unetseg_trainer *t) {
    return t->opts.optim.optimizer == UNETSEG_OPTIMIZER_ADAM ? "adam" : "sgd";
}

/* Name of moment `which` ('m' or 'v') of the slot `w` is at. */
static void moment_name(const us_slot_walk *w, char which, char *out, size_t size) {
    snprintf(out, size, OPT_PREFIX "%c/%s/%s", which, w->layer->name, w->param->name);
}

UNETSEG_API int32_t unetseg_trainer_save_checkpoint(const unetseg_trainer *t, const char *path) {
    US_CLEAR_ERROR_ON(t);
    if (!t || !path) return us_fail(UNETSEG_E_INVALID_ARG, "save_checkpoint: NULL argument");
    const unetseg_model *m = t->model;
    us_st_tensor *extra = us_calloc_array((size_t)(2 * t->n_slots + 1), sizeof *extra);
    char (*names)[US_MAX_NAME + 64] = us_calloc_array((size_t)(2 * t->n_slots + 1), sizeof *names);
    int32_t n = 0, st = UNETSEG_OK;
    if (!extra || !names) st = us_fail(UNETSEG_E_NOMEM, "save_checkpoint: out of memory");
    for (us_slot_walk w = US_SLOT_WALK(m); !st && us_next_slot(&w);) {
        if (!t->grads[w.slot]) continue;
        const unetseg_tensor *v = w.param->value;
        moment_name(&w, 'm', names[n], sizeof names[n]);
        extra[n] = (us_st_tensor){names[n], v->rank, v->shape, t->m1[w.slot]};
        n++;
        moment_name(&w, 'v', names[n], sizeof names[n]);
        extra[n] = (us_st_tensor){names[n], v->rank, v->shape, t->m2[w.slot]};
        n++;
    }
    char step[32];
    snprintf(step, sizeof step, "%lld", (long long)t->step);
    const char *keys[2] = {STEP_KEY, "unetseg.optimizer"};
    const char *values[2] = {step, optimizer_name(t)};
    if (!st) st = us_save_model_file(m, path, extra, n, keys, values, 2);
    free(extra);
    free(names);
    return st;
}

/* Read both moments of every trained slot into staged buffers. */
static int32_t stage_moments(const unetseg_trainer *t, us_st_file *f, float **m1, float **m2) {
    char name[US_MAX_NAME + 64];
    for (us_slot_walk w = US_SLOT_WALK(t->model); us_next_slot(&w);) {
        if (!t->grads[w.slot]) continue;
        int64_t numel = w.param->value->numel;
        for (int which = 0; which < 2; which++) {
            float **dst = which ? &m2[w.slot] : &m1[w.slot];
            moment_name(&w, which ? 'v' : 'm', name, sizeof name);
            const us_st_entry *e = us_st_find(f, name);
            if (!e) return us_fail(UNETSEG_E_NOT_FOUND, "load_checkpoint: no tensor '%s'", name);
            if (us_st_numel(e) != numel)
                return us_fail(UNETSEG_E_SHAPE, "load_checkpoint: '%s' has the wrong size", name);
            *dst = us_malloc_array((size_t)numel, sizeof(float));
            if (!*dst) return us_fail(UNETSEG_E_NOMEM, "load_checkpoint: out of memory");
            int32_t st = us_st_read_f32(f, e, *dst, numel);
            if (st) return st;
        }
    }
    return UNETSEG_OK;
}

static int32_t parse_step(us_st_file *f, const char *expected_optimizer, int64_t *step) {
    const char *text = us_st_meta(f, STEP_KEY), *opt = us_st_meta(f, "unetseg.optimizer");
    char *end = NULL;
    if (!text || !opt)
        return us_fail(UNETSEG_E_FORMAT, "load_checkpoint: not a checkpoint (no optimizer state)");
    if (strcmp(opt, expected_optimizer) != 0)
        return us_fail(UNETSEG_E_FORMAT, "load_checkpoint: the checkpoint is for %s, the trainer uses %s",
                       opt, expected_optimizer);
    long long v = strtoll(text, &end, 10);
    if (end == text || *end || v < 0)
        return us_fail(UNETSEG_E_FORMAT, "load_checkpoint: bad step '%s'", text);
    *step = v;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_trainer_load_checkpoint(unetseg_trainer *t, const char *path) {
    US_CLEAR_ERROR_ON(t);
    if (!t || !path) return us_fail(UNETSEG_E_INVALID_ARG, "load_checkpoint: NULL argument");
    us_st_file *f = NULL;
    int64_t step = 0;
    float **m1 = us_calloc_array((size_t)(t->n_slots ? t->n_slots : 1), sizeof *m1);
    float **m2 = us_calloc_array((size_t)(t->n_slots ? t->n_slots : 1), sizeof *m2);
    int32_t st = m1 && m2 ? UNETSEG_OK : us_fail(UNETSEG_E_NOMEM, "load_checkpoint: out of memory");
    if (!st) st = us_st_open(path, &f);
    if (!st) st = parse_step(f, optimizer_name(t), &step);
    if (!st) st = stage_moments(t, f, m1, m2);
    /* weights last: they are all-or-nothing, and nothing else can fail after */
    if (!st) st = us_load_model_weights(t->model, f, UNETSEG_LOAD_STRICT, OPT_PREFIX);
    for (int32_t i = 0; i < t->n_slots && m1 && m2; i++) {
        if (!st && t->grads[i]) {
            float *a = t->m1[i], *b = t->m2[i];
            t->m1[i] = m1[i], t->m2[i] = m2[i];
            m1[i] = a, m2[i] = b;
        }
        free(m1[i]);
        free(m2[i]);
    }
    if (!st) t->step = step;
    free(m1);
    free(m2);
    us_st_close(f);
    return st;
}
