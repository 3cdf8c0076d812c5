/* BatchNormalization in training mode (tf.keras): normalise with the batch
 * mean and the biased batch variance; backward through those statistics. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/parallel.h"
#include "core/simd.h"
#include "ops/ops.h"

/* Sums over pixels run in a fixed number of bands (from the shape alone),
 * each into its own double partial sums, combined in band order: threads
 * take whole bands, so the sums never depend on the thread count. */
#define US_BN_MAX_BANDS 8
#define US_BN_MIN_BAND_ROWS 256

typedef struct bn_job {
    const float *x, *dy, *gamma, *beta;
    float *y, *dx;
    int64_t rows, c, bands;
    const float *mean, *inv_std;
    double *partial;       /* bands x 2c: per band, two sums per channel */
    const double *sum_dy, *sum_dy_xhat; /* backward: the totals */
    double n;
} bn_job;

static int64_t band_count(int64_t rows) {
    int64_t b = rows / US_BN_MIN_BAND_ROWS;
    return b < 1 ? 1 : b > US_BN_MAX_BANDS ? US_BN_MAX_BANDS : b;
}

static void band_range(const bn_job *j, int64_t band, int64_t *lo, int64_t *hi) {
    *lo = j->rows * band / j->bands;
    *hi = j->rows * (band + 1) / j->bands;
}

/* The loops below read through restrict-qualified locals and are compiled
 * per ISA (US_VECTOR_CLONES): through the job's pointers GCC had to assume
 * the sums might overwrite x and left them scalar (12 % of a training step).
 * Each element is still computed alone, in the same order. */

/* Band sums of x (pass 0) or of (x - mean)^2 (pass 1), into partial[b][0..c). */
US_VECTOR_CLONES static void sum_x_bands(void *arg, int64_t b0, int64_t b1, int squares) {
    const bn_job *j = arg;
    const int64_t c = j->c;
    const float *restrict x = j->x, *restrict mean = j->mean;
    for (int64_t b = b0; b < b1; b++) {
        double *restrict acc = j->partial + b * 2 * c;
        int64_t lo, hi;
        band_range(j, b, &lo, &hi);
        for (int64_t k = 0; k < c; k++) acc[k] = 0;
        for (int64_t r = lo; r < hi; r++) {
            const float *restrict xr = x + r * c;
            if (squares)
                for (int64_t k = 0; k < c; k++) {
                    double v = xr[k];
                    acc[k] += (v - mean[k]) * (v - mean[k]);
                }
            else
                for (int64_t k = 0; k < c; k++) acc[k] += (double)xr[k];
        }
    }
}
static void sum_mean_bands(void *arg, int64_t b0, int64_t b1) { sum_x_bands(arg, b0, b1, 0); }
static void sum_var_bands(void *arg, int64_t b0, int64_t b1) { sum_x_bands(arg, b0, b1, 1); }

/* The band partial sums (bands x 2c) and n_totals totals; NOMEM frees both. */
static int32_t alloc_sums(bn_job *j, int64_t n_totals, double **totals) {
    j->partial = us_calloc_array((size_t)(j->bands * 2 * j->c), sizeof(double));
    *totals = us_calloc_array((size_t)n_totals, sizeof(double));
    if (j->partial && *totals) return UNETSEG_OK;
    free(j->partial);
    free(*totals);
    return us_fail(UNETSEG_E_NOMEM, "batchnorm: out of memory");
}

/* total[k] = sum over bands of partial[b][offset + k], in band order. */
static void combine(const bn_job *j, int64_t offset, double *total) {
    for (int64_t k = 0; k < j->c; k++) {
        double s = 0;
        for (int64_t b = 0; b < j->bands; b++) s += j->partial[b * 2 * j->c + offset + k];
        total[k] = s;
    }
}

US_VECTOR_CLONES static void normalise_rows(void *arg, int64_t lo, int64_t hi) {
    const bn_job *j = arg;
    const int64_t c = j->c;
    const float *restrict x = j->x, *restrict mean = j->mean, *restrict inv_std = j->inv_std;
    const float *restrict gamma = j->gamma, *restrict beta = j->beta;
    float *restrict y = j->y;
    for (int64_t r = lo; r < hi; r++)
        for (int64_t k = 0; k < c; k++) {
            float xhat = (x[r * c + k] - mean[k]) * inv_std[k];
            y[r * c + k] = xhat * (gamma ? gamma[k] : 1.0f) + (beta ? beta[k] : 0.0f);
        }
}

int32_t us_batchnorm_train_forward(const float *x, int64_t count, int64_t c, const float *gamma,
                                const float *beta, double eps, float *y, float *mean_out,
                                float *inv_std_out, float *batch_var_out) {
    const int64_t rows = count / c;
    /* Two passes in double: mean, then the centred sum of squares, which is
     * accurate even when |mean| >> std (e.g. raw 0..255 pixels in bn_data). */
    bn_job j = {.x = x, .gamma = gamma, .beta = beta, .y = y, .rows = rows, .c = c,
                .bands = band_count(rows), .mean = mean_out, .inv_std = inv_std_out};
    double *total = NULL;
    int32_t st = alloc_sums(&j, c, &total);
    if (st) return st;
    us_parallel_rows(j.bands, rows / j.bands * c, sum_mean_bands, &j);
    combine(&j, 0, total);
    for (int64_t k = 0; k < c; k++) mean_out[k] = (float)(total[k] / (double)rows);
    us_parallel_rows(j.bands, rows / j.bands * c, sum_var_bands, &j);
    combine(&j, 0, total);
    for (int64_t k = 0; k < c; k++) {
        double var = total[k] / (double)rows;
        batch_var_out[k] = (float)var;
        inv_std_out[k] = (float)(1.0 / sqrt(var + eps));
    }
    free(j.partial);
    free(total);
    us_parallel_rows(rows, c, normalise_rows, &j);
    return UNETSEG_OK;
}

/* Band sums of dy and dy * xhat into partial[b][0..c) and [c..2c). */
US_VECTOR_CLONES static void sum_grad_bands(void *arg, int64_t b0, int64_t b1) {
    const bn_job *j = arg;
    const int64_t c = j->c;
    const float *restrict x = j->x, *restrict dy = j->dy, *restrict mean = j->mean;
    const float *restrict inv_std = j->inv_std;
    for (int64_t b = b0; b < b1; b++) {
        double *restrict s_dy = j->partial + b * 2 * c, *restrict s_dyx = s_dy + c;
        int64_t lo, hi;
        band_range(j, b, &lo, &hi);
        for (int64_t k = 0; k < 2 * c; k++) s_dy[k] = 0;
        for (int64_t r = lo; r < hi; r++)
            for (int64_t k = 0; k < c; k++) {
                double xhat = ((double)x[r * c + k] - mean[k]) * inv_std[k];
                s_dy[k] += dy[r * c + k];
                s_dyx[k] += dy[r * c + k] * xhat;
            }
    }
}

/* dx = gamma * inv_std * (dy - mean(dy) - xhat * mean(dy * xhat)), rows
 * [lo, hi); inlined once with gamma and once with NULL, so that the test on
 * gamma is not in the loop (there it kept the loop scalar). */
static inline __attribute__((always_inline)) void input_grad(const bn_job *j, int64_t lo,
                                                             int64_t hi,
                                                             const float *restrict gamma) {
    const int64_t c = j->c;
    const float *restrict x = j->x, *restrict dy = j->dy, *restrict mean = j->mean;
    const float *restrict inv_std = j->inv_std;
    const double *restrict sum_dy = j->sum_dy, *restrict sum_dy_xhat = j->sum_dy_xhat;
    const double n = j->n;
    float *restrict dx = j->dx;
    for (int64_t r = lo; r < hi; r++)
        for (int64_t k = 0; k < c; k++) {
            double xhat = ((double)x[r * c + k] - mean[k]) * inv_std[k];
            double g = (gamma ? gamma[k] : 1.0) * inv_std[k];
            dx[r * c + k] += (float)(g * (dy[r * c + k] - sum_dy[k] / n - xhat * sum_dy_xhat[k] / n));
        }
}

US_VECTOR_CLONES static void input_grad_rows(void *arg, int64_t lo, int64_t hi) {
    const bn_job *j = arg;
    if (j->gamma)
        input_grad(j, lo, hi, j->gamma);
    else
        input_grad(j, lo, hi, NULL);
}

int32_t us_batchnorm_train_backward(const float *x, const float *dy, int64_t count, int64_t c,
                                 const float *gamma, const float *mean, const float *inv_std,
                                 float *dx, float *dgamma, float *dbeta) {
    const int64_t rows = count / c;
    bn_job j = {.x = x, .dy = dy, .gamma = gamma, .dx = dx, .rows = rows, .c = c,
                .bands = band_count(rows), .mean = mean, .inv_std = inv_std, .n = (double)rows};
    double *sums = NULL;
    int32_t st = alloc_sums(&j, 2 * c, &sums);
    if (st) return st;
    us_parallel_rows(j.bands, rows / j.bands * 2 * c, sum_grad_bands, &j);
    combine(&j, 0, sums);
    combine(&j, c, sums + c);
    j.sum_dy = sums;
    j.sum_dy_xhat = sums + c;
    for (int64_t k = 0; k < c; k++) {
        if (dgamma) dgamma[k] += (float)sums[c + k];
        if (dbeta) dbeta[k] += (float)sums[k];
    }
    if (dx) us_parallel_rows(rows, 2 * c, input_grad_rows, &j);
    free(j.partial);
    free(sums);
    return UNETSEG_OK;
}

void us_batchnorm_inference_backward(const float *dy, int64_t count, int64_t c,
                                     const float *gamma, const float *var, double eps,
                                     float *dx) {
    for (int64_t i = 0; i < count; i += c)
        for (int64_t k = 0; k < c; k++)
            dx[i + k] += dy[i + k] * (float)((gamma ? gamma[k] : 1.0) / sqrt((double)var[k] + eps));
}
