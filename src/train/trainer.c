/* The trainer: loss on logits, one training pass, optimizer update. */
#include "train/trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "graph/exec.h"
#include "graph/train_exec.h"

/* The loss sees the logits: the input of a final sigmoid/softmax Activation,
 * otherwise the last layer's output (sigmoid for one channel, softmax else). */
static void find_loss_layer(const unetseg_model *m, int32_t *loss_layer, int32_t *head) {
    const us_layer *last = &m->layers[m->n_layers - 1];
    int32_t act = last->kind == UNETSEG_LAYER_ACTIVATION ? last->cfg.activation : -1;
    if (act == UNETSEG_ACT_SIGMOID || act == UNETSEG_ACT_SOFTMAX) {
        *loss_layer = us_model_index_of_id(m, last->in_ids[0]);
        *head = act;
    } else {
        *loss_layer = m->n_layers - 1;
        *head = -1; /* decided from the channel count */
    }
}

int us_next_slot(us_slot_walk *w) {
    const unetseg_model *m = w->m;
    w->param_index++;
    while (w->layer_index < m->n_layers && w->param_index >= m->layers[w->layer_index].n_params) {
        w->layer_index++;
        w->param_index = 0;
    }
    if (w->layer_index >= m->n_layers) return 0;
    w->slot++;
    w->layer = &m->layers[w->layer_index];
    w->param = &w->layer->params[w->param_index];
    return 1;
}

static void free_slots(float **slots, int32_t n) {
    for (int32_t i = 0; slots && i < n; i++) free(slots[i]);
    free(slots);
}

UNETSEG_API void unetseg_trainer_free(unetseg_trainer *t) {
    if (!t) return;
    us_error_forget(t->last_error);
    us_pool_free(&t->pool);
    free(t->grads); /* views into grad_flat */
    free(t->grad_flat);
    free_slots(t->m1, t->n_slots);
    free_slots(t->m2, t->n_slots);
    free(t);
}

static int32_t alloc_slots(unetseg_trainer *t) {
    const unetseg_model *m = t->model;
    size_t n = (size_t)(t->n_slots ? t->n_slots : 1);
    t->grads = us_calloc_array(n, sizeof *t->grads);
    t->m1 = us_calloc_array(n, sizeof *t->m1);
    t->m2 = us_calloc_array(n, sizeof *t->m2);
    if (!t->grads || !t->m1 || !t->m2) return us_fail(UNETSEG_E_NOMEM, "trainer: out of memory");
    for (us_slot_walk w = US_SLOT_WALK(m); us_next_slot(&w);)
        if (w.layer->trainable && !w.param->is_statistic) t->grad_count += w.param->value->numel;
    if (t->grad_count == 0) return us_fail(UNETSEG_E_STATE, "trainer: the model has no trainable parameter");
    t->grad_flat = us_calloc_array((size_t)t->grad_count, sizeof(float));
    if (!t->grad_flat) return us_fail(UNETSEG_E_NOMEM, "trainer: out of memory for the gradients");
    int64_t offset = 0;
    for (us_slot_walk w = US_SLOT_WALK(m); us_next_slot(&w);) {
        if (!w.layer->trainable || w.param->is_statistic) continue;
        size_t count = (size_t)w.param->value->numel;
        t->grads[w.slot] = t->grad_flat + offset;
        offset += (int64_t)count;
        t->m1[w.slot] = us_calloc_array(count, sizeof(float));
        t->m2[w.slot] = us_calloc_array(count, sizeof(float));
        if (!t->m1[w.slot] || !t->m2[w.slot])
            return us_fail(UNETSEG_E_NOMEM, "trainer: out of memory for %s", w.layer->name);
    }
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_trainer_create(unetseg_model *model,
                                           const unetseg_train_options *options,
                                           unetseg_trainer **out) {
    US_CLEAR_ERROR_ON(model); /* a failed create records on the model */
    if (out) *out = NULL;
    if (!model || !options || !out)
        return us_fail(UNETSEG_E_INVALID_ARG, "trainer_create: NULL argument");
    if (model->n_layers < 2) return us_fail(UNETSEG_E_STATE, "trainer_create: the model has no layers");
    unetseg_trainer *t = us_calloc(1, sizeof *t);
    if (!t) return us_fail(UNETSEG_E_NOMEM, "trainer_create: out of memory");
    t->model = model;
    t->opts = *options;
    for (int32_t i = 0; i < model->n_layers; i++) t->n_slots += model->layers[i].n_params;
    find_loss_layer(model, &t->loss_layer, &t->head);
    int32_t st = alloc_slots(t);
    if (st) {
        unetseg_trainer_free(t);
        return st;
    }
    *out = t;
    return UNETSEG_OK;
}

/* ------------------------------------------------------------- a batch */
typedef struct loss_ctx {
    const unetseg_trainer *t;
    const unetseg_tensor *masks;
    int32_t with_grad;
    double iou, fscore;
} loss_ctx;

static int32_t loss_spec(const unetseg_trainer *t, int64_t c, us_loss_spec *spec) {
    spec->loss = t->opts.loss;
    spec->head = t->head >= 0 ? t->head : (c == 1 ? UNETSEG_ACT_SIGMOID : UNETSEG_ACT_SOFTMAX);
    spec->class_weights = NULL;
    if (t->opts.n_class_weights) {
        if (t->opts.n_class_weights != c)
            return us_fail(UNETSEG_E_SHAPE, "trainer: %d class weights for %lld classes",
                           t->opts.n_class_weights, (long long)c);
        spec->class_weights = t->opts.class_weights;
    }
    return UNETSEG_OK;
}

static int32_t check_masks(const unetseg_tensor *masks, const int64_t shape[4]) {
    if (masks->shape[0] != shape[0] || masks->shape[1] != shape[1] || masks->shape[2] != shape[2] ||
        masks->shape[3] != shape[3])
        return us_fail(UNETSEG_E_SHAPE,
                       "trainer: masks are (%lld, %lld, %lld, %lld), the model's logits "
                       "(%lld, %lld, %lld, %lld)",
                       (long long)masks->shape[0], (long long)masks->shape[1],
                       (long long)masks->shape[2], (long long)masks->shape[3], (long long)shape[0],
                       (long long)shape[1], (long long)shape[2], (long long)shape[3]);
    return UNETSEG_OK;
}

static int32_t train_loss(void *user, const float *out, const int64_t shape[4], float *grad,
                          double *loss) {
    loss_ctx *lc = user;
    us_loss_spec spec;
    int32_t st = check_masks(lc->masks, shape);
    if (!st) st = loss_spec(lc->t, shape[3], &spec);
    if (st) return st;
    return us_loss_forward_backward(&spec, out, lc->masks->data, shape[0] * shape[1] * shape[2],
                                    shape[3], loss, grad);
}

static int32_t check_batch(const unetseg_trainer *t, const unetseg_tensor *images,
                           const unetseg_tensor *masks) {
    if (!images || !masks) return us_fail(UNETSEG_E_INVALID_ARG, "trainer: NULL batch");
    if (masks->rank != 4) return us_fail(UNETSEG_E_SHAPE, "trainer: masks must be rank 4");
    int32_t st = us_check_forward_input(t->model, images);
    if (st) return st;
    if (masks->shape[0] != images->shape[0] || masks->shape[1] != images->shape[1] ||
        masks->shape[2] != images->shape[2])
        return us_fail(UNETSEG_E_SHAPE, "trainer: images and masks differ in N, H or W");
    /* NaN or infinity would silently poison every weight in one update */
    int64_t bad = us_first_non_finite(images->data, images->numel);
    if (bad >= 0)
        return us_fail(UNETSEG_E_NUMERIC, "trainer: image element %lld is NaN or infinite",
                       (long long)bad);
    for (int64_t i = 0; i < masks->numel; i++)
        if (!(masks->data[i] >= 0.0f && masks->data[i] <= 1.0f))
            return us_fail(UNETSEG_E_NUMERIC, "trainer: mask element %lld (%g) is not in [0, 1]",
                           (long long)i, (double)masks->data[i]);
    return UNETSEG_OK;
}

/* The host's hook sees the gradients first (every rank calls it, whatever
 * its own loss, or the others would wait for it for ever); then a
 * non-finite loss or gradient (e.g. an exploding learning rate) must not
 * reach the weights. */
static int32_t hook_then_check_step(void *user, double loss) {
    const unetseg_trainer *t = user;
    if (t->hook) {
        int32_t r = t->hook(t->grad_flat, t->grad_count, t->hook_user);
        if (r != 0)
            return us_fail(UNETSEG_E_IO, "trainer_step: the gradient hook returned %d; step skipped",
                           (int)r);
    }
    if (!isfinite(loss)) return us_fail(UNETSEG_E_NUMERIC, "trainer: the loss is not finite; step skipped");
    for (us_slot_walk w = US_SLOT_WALK(t->model); us_next_slot(&w);) {
        if (!t->grads[w.slot]) continue;
        int64_t bad = us_first_non_finite(t->grads[w.slot], w.param->value->numel);
        if (bad >= 0)
            return us_fail(UNETSEG_E_NUMERIC, "trainer: the gradient of %s/%s is not finite; step skipped",
                           w.layer->name, w.param->name);
    }
    return UNETSEG_OK;
}

static void apply_update(unetseg_trainer *t) {
    const us_optim_config *c = &t->opts.optim;
    double lr = us_schedule_lr(c, t->step);
    for (us_slot_walk w = US_SLOT_WALK(t->model); us_next_slot(&w);) {
        const int32_t s = w.slot;
        if (!t->grads[s]) continue;
        unetseg_tensor *v = w.param->value;
        if (c->optimizer == UNETSEG_OPTIMIZER_ADAM)
            us_adam_update(c, lr, t->step + 1, v->data, t->grads[s], t->m1[s], t->m2[s], v->numel);
        else
            us_sgd_update(c, lr, v->data, t->grads[s], t->m1[s], v->numel);
    }
}

UNETSEG_API int32_t unetseg_trainer_step(unetseg_trainer *t, const unetseg_tensor *images,
                                         const unetseg_tensor *masks, double *loss) {
    US_CLEAR_ERROR_ON(t);
    if (loss) *loss = 0;
    if (!t) return us_fail(UNETSEG_E_INVALID_ARG, "trainer_step: trainer is NULL");
    int32_t st = check_batch(t, images, masks);
    if (st) return st;
    memset(t->grad_flat, 0, (size_t)t->grad_count * sizeof(float));
    us_exec_ctx ctx = {.training = 1, .seed = t->opts.seed, .step = (uint64_t)t->step,
                       .pool = &t->pool, .bn_sync = {t->bn_sync, t->bn_sync_user}};
    const int pass = us_model_pass_begin(t->model);
    loss_ctx lc = {t, masks, 1, 0, 0};
    double value = 0;
    st = us_model_train_pass_checked(t->model, &ctx, images, t->loss_layer, train_loss, &lc,
                                     t->grads, 1, hook_then_check_step, t, &value);
    us_model_pass_end(pass);
    if (st) return st;
    apply_update(t);
    t->step++;
    us_model_invalidate(t->model);
    if (loss) *loss = value;
    return UNETSEG_OK;
}

/* ------------------------------------------------------------- evaluate */
typedef struct logits_capture {
    int32_t layer;
    unetseg_tensor *logits;
} logits_capture;

static int32_t capture_logits(void *user, int32_t layer, const float *data, const int64_t shape[4]) {
    logits_capture *c = user;
    if (layer != c->layer) return UNETSEG_OK;
    int32_t st = us_tensor_new(4, shape, &c->logits);
    if (!st) memcpy(c->logits->data, data, (size_t)c->logits->numel * sizeof(float));
    return st;
}

UNETSEG_API int32_t unetseg_trainer_evaluate(unetseg_trainer *t, const unetseg_tensor *images,
                                             const unetseg_tensor *masks, double *loss,
                                             double *iou, double *fscore) {
    US_CLEAR_ERROR_ON(t);
    if (!t) return us_fail(UNETSEG_E_INVALID_ARG, "trainer_evaluate: trainer is NULL");
    int32_t st = check_batch(t, images, masks);
    if (st) return st;
    logits_capture cap = {t->loss_layer, NULL};
    unetseg_tensor *y = NULL;
    us_exec_ctx ctx = {0};
    const int pass = us_model_pass_begin(t->model); /* the model's threads, as the step */
    st = us_model_run(t->model, &ctx, images, capture_logits, &cap, &y);
    us_model_pass_end(pass);
    unetseg_tensor_free(y);
    us_loss_spec spec;
    const int64_t *s = cap.logits ? cap.logits->shape : NULL;
    if (!st) st = check_masks(masks, s);
    if (!st) st = loss_spec(t, s[3], &spec);
    double value = 0, i = 0, f = 0;
    if (!st) st = us_loss_value(&spec, cap.logits->data, masks->data, s[0] * s[1] * s[2], s[3], &value);
    if (!st) us_metrics(spec.head, cap.logits->data, masks->data, s[0] * s[1] * s[2], s[3], &i, &f);
    unetseg_tensor_free(cap.logits);
    if (st) return st;
    if (loss) *loss = value;
    if (iou) *iou = i;
    if (fscore) *fscore = f;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_trainer_recalibrate_bn(unetseg_trainer *t, const unetseg_tensor *images,
                                                   int32_t reset) {
    US_CLEAR_ERROR_ON(t);
    if (!t || !images) return us_fail(UNETSEG_E_INVALID_ARG, "trainer_recalibrate_bn: NULL argument");
    if (reset != 0 && reset != 1)
        return us_fail(UNETSEG_E_INVALID_ARG, "trainer_recalibrate_bn: reset must be 0 or 1");
    int32_t st = us_check_forward_input(t->model, images);
    if (st) return st;
    int64_t bad = us_first_non_finite(images->data, images->numel);
    if (bad >= 0)
        return us_fail(UNETSEG_E_NUMERIC, "trainer_recalibrate_bn: image element %lld is NaN or infinite",
                       (long long)bad);
    if (reset) t->calibration_batches = 0;
    /* the k-th batch gets weight 1/(k+1): a plain average of all batches */
    double momentum = (double)t->calibration_batches / (double)(t->calibration_batches + 1);
    us_exec_ctx ctx = {.training = 1, .seed = t->opts.seed, .step = (uint64_t)t->step,
                       .pool = &t->pool};
    const int pass = us_model_pass_begin(t->model);
    st = us_model_bn_calibrate(t->model, &ctx, images, momentum);
    us_model_pass_end(pass);
    if (!st) t->calibration_batches++;
    return st;
}

UNETSEG_API int32_t unetseg_trainer_progress(const unetseg_trainer *t, int64_t *steps,
                                             double *learning_rate) {
    US_CLEAR_ERROR_ON(t);
    if (!t) return us_fail(UNETSEG_E_INVALID_ARG, "trainer_progress: trainer is NULL");
    if (steps) *steps = t->step;
    if (learning_rate) *learning_rate = us_schedule_lr(&t->opts.optim, t->step);
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_trainer_set_learning_rate(unetseg_trainer *t, double learning_rate) {
    US_CLEAR_ERROR_ON(t);
    if (!t) return us_fail(UNETSEG_E_INVALID_ARG, "trainer_set_learning_rate: trainer is NULL");
    if (!(learning_rate > 0.0) || !isfinite(learning_rate))
        return us_fail(UNETSEG_E_INVALID_ARG,
                       "trainer_set_learning_rate: the learning rate must be > 0 and finite (%g)",
                       learning_rate);
    t->opts.optim.lr = learning_rate;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_trainer_sync_trainable(unetseg_trainer *t) {
    US_CLEAR_ERROR_ON(t);
    if (!t) return us_fail(UNETSEG_E_INVALID_ARG, "trainer_sync_trainable: trainer is NULL");
    /* New slots for the model's flags now, built aside so that a failure
     * leaves the trainer as it was. */
    unetseg_trainer fresh = {.model = t->model, .n_slots = t->n_slots};
    int32_t st = alloc_slots(&fresh);
    if (st) {
        free(fresh.grads);
        free(fresh.grad_flat);
        free_slots(fresh.m1, fresh.n_slots);
        free_slots(fresh.m2, fresh.n_slots);
        return st;
    }
    /* a parameter trained before and now keeps its moments (Keras keeps an
     * optimizer's slots when a recompile reuses the optimizer); a newly
     * trained one starts from zero moments, as a new Keras slot does */
    for (int32_t i = 0; i < t->n_slots; i++)
        if (fresh.m1[i] && t->m1[i]) {
            float *m1 = fresh.m1[i], *m2 = fresh.m2[i];
            fresh.m1[i] = t->m1[i], fresh.m2[i] = t->m2[i];
            t->m1[i] = m1, t->m2[i] = m2;
        }
    free(t->grads);
    free(t->grad_flat);
    free_slots(t->m1, t->n_slots);
    free_slots(t->m2, t->n_slots);
    t->grads = fresh.grads, t->grad_flat = fresh.grad_flat, t->grad_count = fresh.grad_count;
    t->m1 = fresh.m1, t->m2 = fresh.m2;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_trainer_set_gradient_hook(unetseg_trainer *t, unetseg_gradient_hook hook,
                                                     void *user) {
    US_CLEAR_ERROR_ON(t);
    if (!t) return us_fail(UNETSEG_E_INVALID_ARG, "trainer_set_gradient_hook: trainer is NULL");
    t->hook = hook;
    t->hook_user = hook ? user : NULL;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_trainer_set_batchnorm_sync_hook(unetseg_trainer *t,
                                                            unetseg_batchnorm_sync_hook hook,
                                                            void *user) {
    US_CLEAR_ERROR_ON(t);
    if (!t) return us_fail(UNETSEG_E_INVALID_ARG, "trainer_set_batchnorm_sync_hook: trainer is NULL");
    t->bn_sync = hook;
    t->bn_sync_user = hook ? user : NULL;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_trainer_gradient_count(const unetseg_trainer *t, int64_t *count) {
    US_CLEAR_ERROR_ON(t);
    if (count) *count = 0;
    if (!t || !count) return us_fail(UNETSEG_E_INVALID_ARG, "trainer_gradient_count: NULL argument");
    *count = t->grad_count;
    return UNETSEG_OK;
}

UNETSEG_API const char *unetseg_trainer_last_error(const unetseg_trainer *trainer) {
    return trainer ? trainer->last_error : "";
}
