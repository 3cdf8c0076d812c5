/* Training pass: keep every activation of the forward, then walk the list
 * backwards. A layer's output gradient is complete once all its consumers
 * (later in the list) ran their backward; it and the layer's output are freed
 * right after the layer's own backward. */
#include "graph/train_exec.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "graph/exec.h"

int32_t us_param_slot_of_layer(const unetseg_model *m, int32_t layer) {
    int32_t slot = 0;
    for (int32_t i = 0; i < layer; i++) slot += m->layers[i].n_params;
    return slot;
}

typedef struct train_state {
    us_buffer_pool *pool; /* ctx->pool (buffers outlive the pass) or `own` */
    us_buffer_pool own;
    int32_t n;
    int64_t (*shapes)[4];
    float **out, **grad, **aux;
    int32_t *in_idx;      /* n x UNETSEG_MAX_INBOUND inbound indices */
    uint8_t *needs_grad;  /* the output's gradient is needed by someone */
} train_state;

static void state_free(train_state *s) {
    for (int32_t i = 0; i < s->n; i++) {
        if (s->out && i > 0) us_pool_release(s->pool, s->out[i]); /* out[0] is the caller's input */
        if (s->grad) us_pool_release(s->pool, s->grad[i]);
        if (s->aux) us_pool_release(s->pool, s->aux[i]);
    }
    free(s->shapes);
    free(s->out);
    free(s->grad);
    free(s->aux);
    free(s->in_idx);
    free(s->needs_grad);
    us_pool_free(&s->own);
}

static int32_t state_init(unetseg_model *m, const us_exec_ctx *ctx, int32_t n, train_state *s) {
    s->pool = ctx->pool ? ctx->pool : &s->own;
    s->n = n;
    s->shapes = us_calloc_array((size_t)m->n_layers, sizeof *s->shapes);
    s->out = us_calloc_array((size_t)n, sizeof *s->out);
    s->grad = us_calloc_array((size_t)n, sizeof *s->grad);
    s->aux = us_calloc_array((size_t)n, sizeof *s->aux);
    s->in_idx = us_calloc_array((size_t)n * UNETSEG_MAX_INBOUND, sizeof *s->in_idx);
    s->needs_grad = us_calloc_array((size_t)n, 1);
    if (!s->shapes || !s->out || !s->grad || !s->aux || !s->in_idx || !s->needs_grad)
        return us_fail(UNETSEG_E_NOMEM, "train: out of memory");
    for (int32_t i = 0; i < n; i++) {
        const us_layer *l = &m->layers[i];
        int trains = 0;
        for (int32_t p = 0; p < l->n_params; p++) trains |= l->trainable && !l->params[p].is_statistic;
        for (int32_t j = 0; j < l->n_in; j++) {
            s->in_idx[i * UNETSEG_MAX_INBOUND + j] = us_model_index_of_id(m, l->in_ids[j]);
            trains |= s->needs_grad[s->in_idx[i * UNETSEG_MAX_INBOUND + j]];
        }
        /* An output needs a gradient if a trainable parameter lies at or upstream of it. */
        s->needs_grad[i] = (uint8_t)trains;
    }
    return UNETSEG_OK;
}

static int32_t forward_all(unetseg_model *m, const us_exec_ctx *ctx, const unetseg_tensor *input,
                           train_state *s) {
    const float *ins[UNETSEG_MAX_INBOUND];
    int64_t in_shapes[UNETSEG_MAX_INBOUND][4];
    s->out[0] = input->data;
    for (int32_t i = 1; i < s->n; i++) {
        const us_layer *l = &m->layers[i];
        const us_layer_kind *k = us_layer_kind_get(l->kind);
        for (int32_t j = 0; j < l->n_in; j++) {
            ins[j] = s->out[s->in_idx[i * UNETSEG_MAX_INBOUND + j]];
            memcpy(in_shapes[j], s->shapes[s->in_idx[i * UNETSEG_MAX_INBOUND + j]], sizeof in_shapes[j]);
        }
        s->out[i] = us_pool_acquire(s->pool, us_shape_numel(4, s->shapes[i]));
        int64_t aux = k->aux_floats ? k->aux_floats(l, s->shapes[i]) : 0;
        if (aux) s->aux[i] = us_pool_acquire(s->pool, aux);
        if (!s->out[i] || (aux && !s->aux[i]))
            return us_fail(UNETSEG_E_NOMEM, "train: cannot keep the output of %s", l->name);
        int32_t st = k->forward(l, ctx, ins, (const int64_t(*)[4])in_shapes, l->n_in, s->out[i],
                                s->shapes[i], s->aux[i]);
        if (st) return st;
    }
    return UNETSEG_OK;
}

/* moving = momentum * moving + (1 - momentum) * batch statistic, with the
 * unbiased variance n/(n-1) in the update (tf.keras 2). */
/* momentum < 0: each layer's own momentum. */
static void update_moving_stats(unetseg_model *m, const us_exec_ctx *ctx, const train_state *s,
                                double momentum) {
    for (int32_t i = 1; i < s->n; i++) {
        us_layer *l = &m->layers[i];
        if (l->kind != UNETSEG_LAYER_BATCHNORM || !us_bn_uses_batch_stats(l, ctx)) continue;
        /* n: the rows of the batch statistics, over every replica when synchronised */
        const int64_t c = s->shapes[i][3];
        const double n = us_bn_aux_rows(s->aux[i], c);
        const double mom = momentum >= 0 ? momentum : l->cfg.momentum, unbias = n > 1 ? n / (n - 1) : 1.0;
        float *mean = (float *)us_layer_param(l, "moving_mean");
        float *var = (float *)us_layer_param(l, "moving_variance");
        for (int64_t k = 0; k < c; k++) {
            mean[k] = (float)(mom * mean[k] + (1 - mom) * s->aux[i][k]);
            var[k] = (float)(mom * var[k] + (1 - mom) * s->aux[i][2 * c + k] * unbias);
        }
    }
}

static int32_t backward_all(const unetseg_model *m, const us_exec_ctx *ctx, train_state *s,
                            float *const *grads) {
    const float *ins[UNETSEG_MAX_INBOUND];
    int64_t in_shapes[UNETSEG_MAX_INBOUND][4];
    float *dx[UNETSEG_MAX_INBOUND], *dparams[US_MAX_PARAMS];
    for (int32_t i = s->n - 1; i >= 1; i--) {
        const us_layer *l = &m->layers[i];
        if (!s->grad[i]) continue; /* nothing downstream depends on this output */
        int32_t slot = us_param_slot_of_layer(m, i), any = 0;
        for (int32_t p = 0; p < l->n_params; p++) {
            int trained = l->trainable && !l->params[p].is_statistic && grads;
            dparams[p] = trained ? grads[slot + p] : NULL;
        }
        for (int32_t j = 0; j < l->n_in; j++) {
            int32_t src = s->in_idx[i * UNETSEG_MAX_INBOUND + j];
            ins[j] = s->out[src];
            memcpy(in_shapes[j], s->shapes[src], sizeof in_shapes[j]);
            dx[j] = NULL;
            if (!s->needs_grad[src]) continue;
            if (!s->grad[src]) {
                s->grad[src] = us_pool_acquire_zeroed(s->pool, us_shape_numel(4, s->shapes[src]));
                if (!s->grad[src]) return us_fail(UNETSEG_E_NOMEM, "train: out of memory");
            }
            dx[j] = s->grad[src];
            any = 1;
        }
        for (int32_t p = 0; p < l->n_params; p++) any |= dparams[p] != NULL;
        const us_layer_kind *k = us_layer_kind_get(l->kind);
        if (any && k->backward) {
            us_backward_args a = {ins,    (const int64_t(*)[4])in_shapes, l->n_in, s->out[i],
                                  s->shapes[i], s->grad[i], dx,   dparams, s->aux[i]};
            int32_t st = k->backward(l, ctx, &a);
            if (st) return st;
        }
        us_pool_release(s->pool, s->grad[i]);
        s->grad[i] = NULL;
        us_pool_release(s->pool, s->out[i]);
        s->out[i] = NULL;
    }
    return UNETSEG_OK;
}

/* Parameters a training pass will write get values private to this model
 * first (graph/param_share.h): the moving statistics of the BatchNorm layers
 * among the first n that use batch statistics (when update_stats), and every
 * parameter with a gradient slot (the optimizer's update). Values do not
 * change; NOMEM before anything else happens. */
static int32_t prepare_writes(unetseg_model *m, const us_exec_ctx *ctx, int32_t n,
                              float *const *grads, int32_t update_stats) {
    for (int32_t i = 0, slot = 0; i < m->n_layers; slot += m->layers[i].n_params, i++) {
        us_layer *l = &m->layers[i];
        const int stats = update_stats && i < n && l->kind == UNETSEG_LAYER_BATCHNORM &&
                          us_bn_uses_batch_stats(l, ctx);
        for (int32_t p = 0; p < l->n_params; p++) {
            const int written = l->params[p].is_statistic ? stats : grads && grads[slot + p];
            if (written && us_param_make_writable(&l->params[p]))
                return us_fail(UNETSEG_E_NOMEM, "train: out of memory for a private copy of %s/%s "
                               "(shared with a clone)", l->name, l->params[p].name);
        }
    }
    return UNETSEG_OK;
}

int32_t us_model_train_pass(unetseg_model *m, const us_exec_ctx *ctx, const unetseg_tensor *input,
                            int32_t loss_layer, us_loss_cb loss_cb, void *user,
                            float *const *grads, int32_t update_stats, double *loss) {
    return us_model_train_pass_checked(m, ctx, input, loss_layer, loss_cb, user, grads,
                                       update_stats, NULL, NULL, loss);
}

int32_t us_model_train_pass_checked(unetseg_model *m, const us_exec_ctx *ctx,
                                    const unetseg_tensor *input, int32_t loss_layer,
                                    us_loss_cb loss_cb, void *user, float *const *grads,
                                    int32_t update_stats, us_commit_check check,
                                    void *check_user, double *loss) {
    train_state s = {0};
    int32_t st = prepare_writes(m, ctx, loss_layer + 1, grads, update_stats);
    if (!st) st = state_init(m, ctx, loss_layer + 1, &s);
    if (!st) st = us_infer_shapes(m, input->shape, s.shapes);
    if (!st) st = forward_all(m, ctx, input, &s);
    if (!st) {
        s.grad[loss_layer] = us_pool_acquire_zeroed(s.pool, us_shape_numel(4, s.shapes[loss_layer]));
        st = s.grad[loss_layer] ? loss_cb(user, s.out[loss_layer], s.shapes[loss_layer],
                                          s.grad[loss_layer], loss)
                                : us_fail(UNETSEG_E_NOMEM, "train: out of memory");
    }
    if (!st) st = backward_all(m, ctx, &s, grads);
    if (!st && check) st = check(check_user, *loss);
    /* the statistics move only after a pass that fully succeeded */
    if (!st && update_stats) update_moving_stats(m, ctx, &s, -1.0);
    state_free(&s);
    return st;
}

int32_t us_model_bn_calibrate(unetseg_model *m, const us_exec_ctx *ctx, const unetseg_tensor *input,
                              double momentum) {
    train_state s = {0};
    int32_t st = prepare_writes(m, ctx, m->n_layers, NULL, 1);
    if (!st) st = state_init(m, ctx, m->n_layers, &s);
    if (!st) st = us_infer_shapes(m, input->shape, s.shapes);
    if (!st) st = forward_all(m, ctx, input, &s);
    if (!st) update_moving_stats(m, ctx, &s, momentum);
    state_free(&s);
    return st;
}
