/* BatchNormalization in training mode (tf.keras): normalise with the batch
 * mean and the biased batch variance; backward through those statistics. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "ops/ops.h"

int32_t us_batchnorm_train_forward(const float *x, int64_t count, int64_t c, const float *gamma,
                                const float *beta, double eps, float *y, float *mean_out,
                                float *inv_std_out, float *batch_var_out) {
    const int64_t n = count / c;
    /* Two passes in double: mean, then the centred sum of squares, which is
     * accurate even when |mean| >> std (e.g. raw 0..255 pixels in bn_data). */
    double *acc = us_calloc((size_t)c, sizeof(double));
    if (!acc) return us_fail(UNETSEG_E_NOMEM, "batchnorm: out of memory");
    for (int64_t i = 0; i < count; i += c)
        for (int64_t k = 0; k < c; k++) acc[k] += x[i + k];
    for (int64_t k = 0; k < c; k++) mean_out[k] = (float)(acc[k] / (double)n);
    memset(acc, 0, (size_t)c * sizeof(double));
    for (int64_t i = 0; i < count; i += c)
        for (int64_t k = 0; k < c; k++) {
            double d = (double)x[i + k] - mean_out[k];
            acc[k] += d * d;
        }
    for (int64_t k = 0; k < c; k++) {
        double var = acc[k] / (double)n;
        batch_var_out[k] = (float)var;
        inv_std_out[k] = (float)(1.0 / sqrt(var + eps));
    }
    free(acc);
    for (int64_t i = 0; i < count; i += c)
        for (int64_t k = 0; k < c; k++) {
            float xhat = (x[i + k] - mean_out[k]) * inv_std_out[k];
            y[i + k] = xhat * (gamma ? gamma[k] : 1.0f) + (beta ? beta[k] : 0.0f);
        }
    return UNETSEG_OK;
}

int32_t us_batchnorm_train_backward(const float *x, const float *dy, int64_t count, int64_t c,
                                 const float *gamma, const float *mean, const float *inv_std,
                                 float *dx, float *dgamma, float *dbeta) {
    const double n = (double)(count / c);
    double *sum_dy = us_calloc((size_t)c, sizeof(double));
    double *sum_dy_xhat = us_calloc((size_t)c, sizeof(double));
    int32_t st = sum_dy && sum_dy_xhat ? UNETSEG_OK : us_fail(UNETSEG_E_NOMEM, "batchnorm: out of memory");
    if (!st) {
        for (int64_t i = 0; i < count; i += c)
            for (int64_t k = 0; k < c; k++) {
                double xhat = ((double)x[i + k] - mean[k]) * inv_std[k];
                sum_dy[k] += dy[i + k];
                sum_dy_xhat[k] += dy[i + k] * xhat;
            }
        for (int64_t k = 0; k < c; k++) {
            if (dgamma) dgamma[k] += (float)sum_dy_xhat[k];
            if (dbeta) dbeta[k] += (float)sum_dy[k];
        }
        /* dx = gamma * inv_std * (dy - mean(dy) - xhat * mean(dy * xhat)) */
        if (dx)
            for (int64_t i = 0; i < count; i += c)
                for (int64_t k = 0; k < c; k++) {
                    double xhat = ((double)x[i + k] - mean[k]) * inv_std[k];
                    double g = (gamma ? gamma[k] : 1.0) * inv_std[k];
                    dx[i + k] += (float)(g * (dy[i + k] - sum_dy[k] / n - xhat * sum_dy_xhat[k] / n));
                }
    }
    free(sum_dy);
    free(sum_dy_xhat);
    return st;
}

void us_batchnorm_inference_backward(const float *dy, int64_t count, int64_t c,
                                     const float *gamma, const float *var, double eps,
                                     float *dx) {
    for (int64_t i = 0; i < count; i += c)
        for (int64_t k = 0; k < c; k++)
            dx[i + k] += dy[i + k] * (float)((gamma ? gamma[k] : 1.0) / sqrt((double)var[k] + eps));
}
