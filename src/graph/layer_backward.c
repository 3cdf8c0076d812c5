/* Backward of every layer kind: unpack the layer, call the kernel in src/ops. */
#include "graph/layer_backward.h"

#include <string.h>

#include "core/rng.h"

static int64_t count4(const int64_t s[4]) { return s[0] * s[1] * s[2] * s[3]; }

/* The gradient slot of parameter `name`, or NULL when it is not trained. */
static float *param_grad(const us_layer *l, const us_backward_args *a, const char *name) {
    if (!a->dparams) return NULL;
    for (int32_t p = 0; p < l->n_params; p++)
        if (strcmp(l->params[p].name, name) == 0) return a->dparams[p];
    return NULL;
}

int32_t us_bwd_conv(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a) {
    (void)ctx;
    us_conv_geom g;
    us_layer_conv_geom(l, a->in_shape[0], a->out_shape, &g);
    const float *kernel = us_layer_param(l, "kernel");
    float *dk = param_grad(l, a, "kernel"), *db = param_grad(l, a, "bias");
    if (l->kind == UNETSEG_LAYER_CONV2D_TRANSPOSE)
        return us_conv2d_transpose_backward(&g, a->in[0], kernel, a->dy, a->dx[0], dk, db);
    return us_conv2d_backward(&g, a->in[0], kernel, a->dy, a->dx[0], dk, db);
}

int64_t us_aux_batchnorm(const us_layer *l, const int64_t out_shape[4]) {
    (void)l;
    return 3 * out_shape[3];
}

int32_t us_bwd_batchnorm(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a) {
    const int64_t count = count4(a->in_shape[0]), c = a->in_shape[0][3];
    const float *gamma = us_layer_param(l, "gamma");
    if (us_bn_uses_batch_stats(l, ctx))
        return us_batchnorm_train_backward(a->in[0], a->dy, count, c, gamma, a->aux, a->aux + c,
                                           a->dx[0], param_grad(l, a, "gamma"),
                                           param_grad(l, a, "beta"));
    if (a->dx[0])
        us_batchnorm_inference_backward(a->dy, count, c, gamma, us_layer_param(l, "moving_variance"),
                                        l->cfg.epsilon, a->dx[0]);
    return UNETSEG_OK;
}

int32_t us_bwd_activation(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a) {
    (void)ctx;
    if (a->dx[0])
        us_activation_backward(l->cfg.activation, a->out, a->dy, count4(a->out_shape),
                               a->out_shape[3], a->dx[0]);
    return UNETSEG_OK;
}

int32_t us_bwd_zero_pad(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a) {
    (void)ctx;
    const int64_t *s = a->in_shape[0];
    if (a->dx[0])
        us_zero_pad_backward(a->dy, s[0], s[1], s[2], s[3], l->cfg.pad_top, l->cfg.pad_bottom,
                             l->cfg.pad_left, l->cfg.pad_right, a->dx[0]);
    return UNETSEG_OK;
}

int32_t us_bwd_maxpool(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a) {
    (void)ctx;
    us_conv_geom g;
    us_layer_conv_geom(l, a->in_shape[0], a->out_shape, &g);
    if (a->dx[0]) us_maxpool_backward(&g, a->in[0], a->out, a->dy, a->dx[0]);
    return UNETSEG_OK;
}

int32_t us_bwd_upsampling(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a) {
    (void)ctx;
    const int64_t *s = a->in_shape[0];
    if (a->dx[0])
        us_upsample_backward(a->dy, s[0], s[1], s[2], s[3], l->cfg.size_h, l->cfg.size_w,
                             l->cfg.interpolation, a->dx[0]);
    return UNETSEG_OK;
}

int32_t us_bwd_concat(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a) {
    (void)l, (void)ctx;
    int64_t cs[64];
    for (int32_t i = 0; i < a->n_in; i++) cs[i] = a->in_shape[i][3];
    us_concat_backward(a->dy, cs, a->n_in, a->out_shape[0] * a->out_shape[1] * a->out_shape[2],
                       a->dx);
    return UNETSEG_OK;
}

int32_t us_bwd_add(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a) {
    (void)l, (void)ctx;
    const int64_t count = count4(a->out_shape);
    for (int32_t i = 0; i < a->n_in; i++)
        if (a->dx[i])
            for (int64_t k = 0; k < count; k++) a->dx[i][k] += a->dy[k];
    return UNETSEG_OK;
}

int32_t us_bwd_dropout(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a) {
    const int64_t *s = a->in_shape[0];
    if (!a->dx[0]) return UNETSEG_OK;
    if (!us_dropout_active(l, ctx)) {
        for (int64_t k = 0; k < count4(s); k++) a->dx[0][k] += a->dy[k];
        return UNETSEG_OK;
    }
    us_dropout_backward(a->dy, s[0], s[1] * s[2], s[3], l->cfg.rate, us_dropout_spatial(l),
                        us_dropout_key(l, ctx), a->dx[0]);
    return UNETSEG_OK;
}
