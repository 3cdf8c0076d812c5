#include "train/optimizer.h"

#include <math.h>

#include "core/parallel.h"
#include "core/simd.h"
#include "unetseg.h"

#define US_PI 3.14159265358979323846

double us_schedule_lr(const us_optim_config *c, int64_t step) {
    switch (c->schedule) {
    case UNETSEG_SCHEDULE_STEP:
        return c->lr * pow(c->gamma, (double)(step / c->step_size));
    case UNETSEG_SCHEDULE_COSINE: {
        double t = step < c->total_steps ? (double)step / (double)c->total_steps : 1.0;
        return c->min_lr + (c->lr - c->min_lr) * 0.5 * (1.0 + cos(US_PI * t));
    }
    default: return c->lr;
    }
}

void us_sgd_update(const us_optim_config *c, double lr, float *w, const float *g, float *v,
                   int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        double grad = g[i] + c->weight_decay * w[i];
        if (c->momentum == 0.0) {
            w[i] = (float)(w[i] - lr * grad);
            continue;
        }
        double vel = c->momentum * v[i] - lr * grad;
        v[i] = (float)vel;
        w[i] = (float)(c->nesterov ? w[i] + c->momentum * vel - lr * grad : w[i] + vel);
    }
}

typedef struct adam_job {
    float lr_t, b1, b2, eps, wd;
    float *w, *m, *v;
    const float *g;
} adam_job;

/* Elements [lo, hi): each is updated alone, so bands never change a result. */
US_VECTOR_CLONES static void adam_band(void *arg, int64_t lo, int64_t hi) {
    const adam_job *j = arg;
    float *restrict w = j->w, *restrict m = j->m, *restrict v = j->v;
    const float *restrict g = j->g;
    const float b1 = j->b1, b2 = j->b2, eps = j->eps, wd = j->wd, lr_t = j->lr_t;
    for (int64_t i = lo; i < hi; i++) {
        float grad = g[i] + wd * w[i];
        float mi = b1 * m[i] + (1.0f - b1) * grad;
        float vi = b2 * v[i] + (1.0f - b2) * grad * grad;
        m[i] = mi;
        v[i] = vi;
        w[i] -= lr_t * mi / (sqrtf(vi) + eps);
    }
}

void us_adam_update(const us_optim_config *c, double lr, int64_t t, float *w, const float *g,
                    float *m, float *v, int64_t n) {
    /* float arithmetic with hoisted constants: this loop streams 4 arrays of
     * every weight each step, so it must vectorise */
    adam_job j = {(float)(lr * sqrt(1.0 - pow(c->beta2, (double)t)) / (1.0 - pow(c->beta1, (double)t))),
                  (float)c->beta1, (float)c->beta2, (float)c->epsilon, (float)c->weight_decay,
                  w, m, v, g};
    us_parallel_rows(n, 4, adam_band, &j); /* w, g, m, v */
}
