/* BatchNormalization over the channel axis: gamma (if scale), beta (if
 * center), moving_mean, moving_variance. Batch statistics in training,
 * unless the layer is frozen (tf.keras 2); the kernels are in
 * ops/batchnorm*.c. */
#include <string.h>

#include "graph/kinds/kind_util.h"

static const us_cfg_field FIELDS[] = {US_FIELD(epsilon, 0), US_FIELD(momentum, 0),
                                      US_FIELD(center, 0), US_FIELD(scale, 0)};

static int32_t check(const char *name, const us_layer_config *c) {
    if (!(c->epsilon > 0.0 && c->epsilon < 1.0) || !(c->momentum >= 0.0 && c->momentum < 1.0))
        return us_fail(UNETSEG_E_INVALID_ARG, "%s: epsilon must be in (0,1), momentum in [0,1)",
                       name);
    if (!us_is_0_or_1(c->center) || !us_is_0_or_1(c->scale))
        return us_fail(UNETSEG_E_INVALID_ARG, "%s: center and scale must be 0 or 1", name);
    return UNETSEG_OK;
}

static int32_t params(const us_layer_config *c, int64_t cin, us_param_spec out[US_MAX_PARAMS]) {
    int32_t n = 0;
    if (c->scale) out[n++] = (us_param_spec){"gamma", 0, 1, {cin}, 1.0f};
    if (c->center) out[n++] = (us_param_spec){"beta", 0, 1, {cin}, 0.0f};
    out[n++] = (us_param_spec){"moving_mean", 1, 1, {cin}, 0.0f};
    out[n++] = (us_param_spec){"moving_variance", 1, 1, {cin}, 1.0f};
    return n;
}

int us_bn_uses_batch_stats(const us_layer *l, const us_exec_ctx *ctx) {
    return ctx->training && l->trainable;
}

static int32_t forward(const us_layer *l, const us_exec_ctx *ctx, const float *const *in,
                       const int64_t (*is)[4], int32_t n_in, float *out, const int64_t os[4],
                       float *aux) {
    US_UNUSED(n_in), US_UNUSED(os);
    const int64_t count = us_count4(is[0]), c = is[0][3];
    const float *gamma = us_layer_param(l, "gamma"), *beta = us_layer_param(l, "beta");
    if (us_bn_uses_batch_stats(l, ctx))
    {
        double rows = 0;
        int32_t st = us_batchnorm_train_forward(in[0], count, c, gamma, beta, l->cfg.epsilon,
                                                &ctx->bn_sync, out, aux, aux + c, aux + 2 * c, &rows);
        if (!st) memcpy(aux + 3 * c, &rows, sizeof rows);
        return st;
    }
    us_batchnorm_inference(in[0], count, c, gamma, beta, us_layer_param(l, "moving_mean"),
                           us_layer_param(l, "moving_variance"), l->cfg.epsilon, 0, out);
    return UNETSEG_OK;
}

static int32_t backward(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a) {
    const int64_t count = us_count4(a->in_shape[0]), c = a->in_shape[0][3];
    const float *gamma = us_layer_param(l, "gamma");
    if (us_bn_uses_batch_stats(l, ctx))
        return us_batchnorm_train_backward(a->in[0], a->dy, count, c, gamma, a->aux, a->aux + c,
                                           us_bn_aux_rows(a->aux, c), &ctx->bn_sync, a->dx[0], us_kind_param_grad(l, a, "gamma"),
                                           us_kind_param_grad(l, a, "beta"));
    if (a->dx[0])
        us_batchnorm_inference_backward(a->dy, count, c, gamma,
                                        us_layer_param(l, "moving_variance"), l->cfg.epsilon,
                                        a->dx[0]);
    return UNETSEG_OK;
}

/* Training keeps the batch mean, 1/std and biased variance (3 x C), then
 * the row count they cover as a double in the next two floats' bytes
 * (exact, where a float count would round above 2^24 rows). */
static int64_t aux_floats(const us_layer *l, const int64_t out_shape[4]) {
    US_UNUSED(l);
    return 3 * out_shape[3] + (int64_t)(sizeof(double) / sizeof(float));
}

double us_bn_aux_rows(const float *aux, int64_t c) {
    double rows;
    memcpy(&rows, aux + 3 * c, sizeof rows);
    return rows;
}

const us_layer_kind us_kind_batchnorm = {
    .keras_class = "BatchNormalization",
    .lower_name = "batchnormalization",
    .min_in = 1,
    .max_in = 1,
    .elementwise = 1,
    .fields = US_FIELDS(FIELDS),
    .check = check,
    .params = params,
    .infer = us_kind_infer_same,
    .forward = forward,
    .backward = backward,
    .aux_floats = aux_floats,
};
