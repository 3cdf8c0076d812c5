/* Optimizer updates and learning-rate schedules (internal). */
#ifndef US_TRAIN_OPTIMIZER_H
#define US_TRAIN_OPTIMIZER_H

#include <stdint.h>

typedef struct us_optim_config {
    int32_t optimizer;          /* UNETSEG_OPTIMIZER_* */
    double lr, momentum, weight_decay, beta1, beta2, epsilon;
    int32_t nesterov;
    int32_t schedule;           /* UNETSEG_SCHEDULE_* */
    int64_t step_size, total_steps;
    double gamma, min_lr;
} us_optim_config;

/* Learning rate of step `step` (0-based) under the schedule. */
double us_schedule_lr(const us_optim_config *c, int64_t step);

/* tf.keras SGD: v = momentum v - lr g; w += v (Nesterov: w += momentum v - lr g).
 * Weight decay adds wd * w to the gradient first. */
void us_sgd_update(const us_optim_config *c, double lr, float *w, const float *g, float *v,
                   int64_t n);
/* tf.keras Adam, step t >= 1: m, v moments; lr_t = lr sqrt(1-b2^t)/(1-b1^t);
 * w -= lr_t m / (sqrt(v) + eps). */
void us_adam_update(const us_optim_config *c, double lr, int64_t t, float *w, const float *g,
                    float *m, float *v, int64_t n);

#endif
