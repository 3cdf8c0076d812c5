/* Element-wise activations and the channel softmax. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/parallel.h"
#include "core/simd.h"
#include "ops/ops.h"
#include "unetseg.h"

/* e^x for -87 <= x <= 0, within 2 ulp of expf (tests/test_ops_fixtures.c
 * checks the sigmoid): x = n ln 2 + r with |r| <= ln 2 / 2 (n rounded by
 * truncating x log2(e) - 1/2, which x <= 0 makes a rounding to nearest),
 * e^r by its Taylor polynomial of degree 7 (error below 6e-9), times 2^n
 * built in the exponent bits. No call and no branch, so a loop of it
 * vectorises (glibc's expf kept the network's final sigmoid at 8 ns a
 * pixel: 0.5 ms of a 256x256 pass); plain C rounding, so every clone
 * computes the same bits. */
static inline float exp_nonpositive(float x) {
    const int32_t n = (int32_t)(x * 1.44269504f - 0.5f);
    const float fn = (float)n;
    const float r = (x - fn * 0.693145752f) - fn * 1.42860677e-6f; /* ln 2 in two parts */
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const int32_t bits = (n + 127) * (1 << 23);
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* Values per block of the sigmoid. */
#define US_SIGMOID_BLOCK 256

/* y = 1 / (1 + e^-x), from e = e^-|x| (never overflows): 1 / (1 + e) for
 * x >= 0, e / (1 + e) below (as e times the former). Two loops per block:
 * -|x| clamped to -87 (e^-87 = 1.6e-38: the sigmoid is 1 or 0 to float
 * precision beyond), then the rest; in one loop GCC split the clamped case
 * off into a branch and vectorised neither. y may be x. */
US_VECTOR_CLONES static void sigmoid_rows(const float *x, int64_t count, float *y) {
    float t[US_SIGMOID_BLOCK];
    for (int64_t i0 = 0; i0 < count; i0 += US_SIGMOID_BLOCK) {
        const int64_t n = count - i0 < US_SIGMOID_BLOCK ? count - i0 : US_SIGMOID_BLOCK;
        for (int64_t i = 0; i < n; i++) {
            const float v = x[i0 + i] >= 0 ? -x[i0 + i] : x[i0 + i];
            t[i] = v >= -87.0f ? v : -87.0f; /* NaN too: no undefined conversion */
        }
        for (int64_t i = 0; i < n; i++) {
            const float v = x[i0 + i], e = exp_nonpositive(t[i]), q = 1.0f / (1.0f + e);
            y[i0 + i] = v >= 0 ? q : v < 0 ? e * q : v; /* NaN stays NaN */
        }
    }
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
        sigmoid_rows(x, count, y);
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
