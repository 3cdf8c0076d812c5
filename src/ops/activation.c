/* Element-wise activations and the channel softmax. */
#include <math.h>

#include "core/parallel.h"
#include "core/simd.h"
#include "ops/ops.h"
#include "unetseg.h"

static float sigmoid(float v) {
    /* Two branches keep exp() from overflowing for large |v|. */
    if (v >= 0) return 1.0f / (1.0f + expf(-v));
    float e = expf(v);
    return e / (1.0f + e);
}

static void softmax_run(const float *x, int64_t c, float *y) {
    float m = x[0];
    for (int64_t k = 1; k < c; k++) m = x[k] > m ? x[k] : m;
    double sum = 0;
    for (int64_t k = 0; k < c; k++) {
        y[k] = expf(x[k] - m); /* subtracting the max keeps exp <= 1 */
        sum += y[k];
    }
    for (int64_t k = 0; k < c; k++) y[k] = (float)(y[k] / sum);
}

US_VECTOR_CLONES static void forward_band(int32_t activation, const float *x, int64_t count,
                                          int64_t c, float *y) {
    switch (activation) {
    case UNETSEG_ACT_RELU:
        for (int64_t i = 0; i < count; i++) y[i] = x[i] > 0 ? x[i] : 0.0f;
        break;
    case UNETSEG_ACT_SIGMOID:
        for (int64_t i = 0; i < count; i++) y[i] = sigmoid(x[i]);
        break;
    case UNETSEG_ACT_TANH:
        for (int64_t i = 0; i < count; i++) y[i] = tanhf(x[i]);
        break;
    case UNETSEG_ACT_SOFTMAX:
        for (int64_t i = 0; i < count; i += c) softmax_run(x + i, c, y + i);
        break;
    default: /* linear */
        if (y != x)
            for (int64_t i = 0; i < count; i++) y[i] = x[i];
        break;
    }
}

US_VECTOR_CLONES static void backward_band(int32_t activation, const float *y, const float *dy,
                                           int64_t count, int64_t c, float *dx) {
    switch (activation) {
    case UNETSEG_ACT_RELU:
        for (int64_t i = 0; i < count; i++) dx[i] += y[i] > 0 ? dy[i] : 0.0f;
        break;
    case UNETSEG_ACT_SIGMOID:
        for (int64_t i = 0; i < count; i++) dx[i] += dy[i] * y[i] * (1.0f - y[i]);
        break;
    case UNETSEG_ACT_TANH:
        for (int64_t i = 0; i < count; i++) dx[i] += dy[i] * (1.0f - y[i] * y[i]);
        break;
    case UNETSEG_ACT_SOFTMAX:
        for (int64_t i = 0; i < count; i += c) {
            double dot = 0;
            for (int64_t k = 0; k < c; k++) dot += (double)dy[i + k] * y[i + k];
            for (int64_t k = 0; k < c; k++) dx[i + k] += (float)(y[i + k] * (dy[i + k] - dot));
        }
        break;
    default:
        for (int64_t i = 0; i < count; i++) dx[i] += dy[i];
        break;
    }
}

/* The public entry points split the rows of c channels into bands over the
 * pass's threads; every element is computed alone, so results do not depend
 * on the split. */
typedef struct act_job {
    int32_t activation;
    const float *in, *dy;
    float *out;
    int64_t c;
} act_job;

static void forward_rows(void *arg, int64_t lo, int64_t hi) {
    const act_job *j = arg;
    forward_band(j->activation, j->in + lo * j->c, (hi - lo) * j->c, j->c, j->out + lo * j->c);
}

static void backward_rows(void *arg, int64_t lo, int64_t hi) {
    const act_job *j = arg;
    backward_band(j->activation, j->in + lo * j->c, j->dy + lo * j->c, (hi - lo) * j->c, j->c,
                  j->out + lo * j->c);
}

void us_activation_forward(int32_t activation, const float *x, int64_t count, int64_t c,
                           float *y) {
    act_job j = {activation, x, NULL, y, c};
    us_parallel_rows(count / c, c, forward_rows, &j);
}

void us_activation_backward(int32_t activation, const float *y, const float *dy, int64_t count,
                            int64_t c, float *dx) {
    act_job j = {activation, y, dy, dx, c};
    us_parallel_rows(count / c, c, backward_rows, &j);
}
