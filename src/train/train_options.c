/* The training options handle and its setters. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "train/trainer.h"

#define CHECK_OPTIONS(o, fn)                                                        \
    do {                                                                            \
        us_clear_error();                                                           \
        if (!(o)) return us_fail(UNETSEG_E_INVALID_ARG, fn ": options is NULL");    \
    } while (0)

UNETSEG_API int32_t unetseg_train_options_create(unetseg_train_options **out) {
    us_clear_error();
    if (!out) return us_fail(UNETSEG_E_INVALID_ARG, "train_options_create: out is NULL");
    unetseg_train_options *o = us_calloc(1, sizeof *o);
    if (!o) return us_fail(UNETSEG_E_NOMEM, "train_options_create: out of memory");
    o->loss = UNETSEG_LOSS_BCE;
    o->optim = (us_optim_config){.optimizer = UNETSEG_OPTIMIZER_ADAM, .lr = 1e-3, .beta1 = 0.9,
                                 .beta2 = 0.999, .epsilon = 1e-7,
                                 .schedule = UNETSEG_SCHEDULE_CONSTANT, .step_size = 1,
                                 .total_steps = 1, .gamma = 1.0};
    *out = o;
    return UNETSEG_OK;
}

UNETSEG_API void unetseg_train_options_free(unetseg_train_options *options) { free(options); }

UNETSEG_API int32_t unetseg_train_options_set_loss(unetseg_train_options *o, int32_t loss) {
    CHECK_OPTIONS(o, "train_options_set_loss");
    if (loss < UNETSEG_LOSS_BCE || loss > UNETSEG_LOSS_CCE_JACCARD)
        return us_fail(UNETSEG_E_INVALID_ARG, "train_options_set_loss: unknown loss %d", loss);
    o->loss = loss;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_train_options_set_class_weights(unetseg_train_options *o,
                                                            const float *weights, int32_t n) {
    CHECK_OPTIONS(o, "train_options_set_class_weights");
    if (!weights || n == 0) {
        o->n_class_weights = 0;
        return UNETSEG_OK;
    }
    if (n < 0 || n > US_MAX_CLASS_WEIGHTS)
        return us_fail(UNETSEG_E_INVALID_ARG, "train_options_set_class_weights: n must be 1..%d",
                       US_MAX_CLASS_WEIGHTS);
    for (int32_t i = 0; i < n; i++)
        if (!(weights[i] >= 0.0f) || weights[i] > 1e30f)
            return us_fail(UNETSEG_E_INVALID_ARG,
                           "train_options_set_class_weights: weight %d is negative or not finite", i);
    memcpy(o->class_weights, weights, (size_t)n * sizeof(float));
    o->n_class_weights = n;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_train_options_set_optimizer(unetseg_train_options *o,
                                                        int32_t optimizer, double learning_rate) {
    CHECK_OPTIONS(o, "train_options_set_optimizer");
    if (optimizer != UNETSEG_OPTIMIZER_SGD && optimizer != UNETSEG_OPTIMIZER_ADAM)
        return us_fail(UNETSEG_E_INVALID_ARG, "train_options_set_optimizer: SGD or ADAM");
    if (!(learning_rate > 0.0 && learning_rate < 1e6))
        return us_fail(UNETSEG_E_INVALID_ARG, "train_options_set_optimizer: learning rate must be > 0");
    o->optim.optimizer = optimizer;
    o->optim.lr = learning_rate;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_train_options_set_sgd(unetseg_train_options *o, double momentum,
                                                  int32_t nesterov, double weight_decay) {
    CHECK_OPTIONS(o, "train_options_set_sgd");
    if (!(momentum >= 0.0 && momentum < 1.0) || (nesterov != 0 && nesterov != 1) ||
        !(weight_decay >= 0.0 && weight_decay < 1.0))
        return us_fail(UNETSEG_E_INVALID_ARG,
                       "train_options_set_sgd: momentum in [0,1), nesterov 0/1, weight decay in [0,1)");
    o->optim.momentum = momentum;
    o->optim.nesterov = nesterov;
    o->optim.weight_decay = weight_decay;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_train_options_set_adam(unetseg_train_options *o, double beta1,
                                                   double beta2, double epsilon) {
    CHECK_OPTIONS(o, "train_options_set_adam");
    if (!(beta1 >= 0.0 && beta1 < 1.0) || !(beta2 >= 0.0 && beta2 < 1.0) ||
        !(epsilon > 0.0 && epsilon < 1.0))
        return us_fail(UNETSEG_E_INVALID_ARG,
                       "train_options_set_adam: beta1, beta2 in [0,1), epsilon in (0,1)");
    o->optim.beta1 = beta1;
    o->optim.beta2 = beta2;
    o->optim.epsilon = epsilon;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_train_options_set_schedule(unetseg_train_options *o, int32_t schedule,
                                                       int64_t step_size, double gamma,
                                                       int64_t total_steps, double min_lr) {
    CHECK_OPTIONS(o, "train_options_set_schedule");
    if (schedule == UNETSEG_SCHEDULE_STEP && (step_size < 1 || !(gamma > 0.0 && gamma <= 1.0)))
        return us_fail(UNETSEG_E_INVALID_ARG,
                       "train_options_set_schedule: STEP needs step_size >= 1, gamma in (0,1]");
    if (schedule == UNETSEG_SCHEDULE_COSINE && (total_steps < 1 || !(min_lr >= 0.0)))
        return us_fail(UNETSEG_E_INVALID_ARG,
                       "train_options_set_schedule: COSINE needs total_steps >= 1, min_lr >= 0");
    if (schedule < UNETSEG_SCHEDULE_CONSTANT || schedule > UNETSEG_SCHEDULE_COSINE)
        return us_fail(UNETSEG_E_INVALID_ARG, "train_options_set_schedule: unknown schedule %d",
                       schedule);
    o->optim.schedule = schedule;
    if (schedule == UNETSEG_SCHEDULE_STEP) {
        o->optim.step_size = step_size;
        o->optim.gamma = gamma;
    }
    if (schedule == UNETSEG_SCHEDULE_COSINE) {
        o->optim.total_steps = total_steps;
        o->optim.min_lr = min_lr;
    }
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_train_options_set_seed(unetseg_train_options *o, uint64_t seed) {
    CHECK_OPTIONS(o, "train_options_set_seed");
    o->seed = seed;
    return UNETSEG_OK;
}
