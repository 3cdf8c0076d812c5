/* Conv2D and Conv2DTranspose: kernel (kh, kw, in, filters), resp. (kh, kw,
 * filters, in), optional bias; the kernels are in ops/conv2d*.c. */
#include "graph/kinds/kind_util.h"

#include <string.h>

static const us_cfg_field FIELDS[] = {
    US_FIELD(filters, 0),  US_FIELD(kernel_h, 0), US_FIELD(kernel_w, 0), US_FIELD(stride_h, 0),
    US_FIELD(stride_w, 0), US_FIELD(padding, 0),  US_FIELD(use_bias, 0),
};

static int32_t check(const char *name, const us_layer_config *c) {
    int32_t st;
    if (!us_in_range(c->filters, 1, 65536))
        return us_fail(UNETSEG_E_INVALID_ARG, "%s: filters must be 1..65536", name);
    if ((st = us_kind_check_window(name, c))) return st;
    if (!us_is_0_or_1(c->use_bias))
        return us_fail(UNETSEG_E_INVALID_ARG, "%s: use_bias must be 0 or 1", name);
    return UNETSEG_OK;
}

static int32_t kernel_and_bias(const us_layer_config *c, const int64_t kernel[4],
                               us_param_spec out[US_MAX_PARAMS]) {
    out[0] = (us_param_spec){.name = "kernel", .rank = 4};
    memcpy(out[0].shape, kernel, 4 * sizeof(int64_t));
    out[1] = (us_param_spec){.name = "bias", .rank = 1, .shape = {c->filters}};
    return c->use_bias ? 2 : 1;
}

static int32_t params(const us_layer_config *c, int64_t cin, us_param_spec out[US_MAX_PARAMS]) {
    return kernel_and_bias(c, (int64_t[4]){c->kernel_h, c->kernel_w, cin, c->filters}, out);
}

static int32_t params_transpose(const us_layer_config *c, int64_t cin,
                                us_param_spec out[US_MAX_PARAMS]) {
    return kernel_and_bias(c, (int64_t[4]){c->kernel_h, c->kernel_w, c->filters, cin}, out);
}

static int32_t infer(const us_layer *l, const int64_t (*in)[4], int32_t n_in, int64_t out[4]) {
    US_UNUSED(n_in);
    out[3] = l->cfg.filters;
    return us_kind_infer_window(l, in[0], out);
}

static int32_t infer_transpose(const us_layer *l, const int64_t (*in)[4], int32_t n_in,
                               int64_t out[4]) {
    US_UNUSED(n_in);
    const us_layer_config *c = &l->cfg;
    const int32_t same = c->padding == UNETSEG_PADDING_SAME;
    if (in[0][3] < 1)
        return us_fail(UNETSEG_E_SHAPE, "%s: the input channel count must be known", l->name);
    out[0] = in[0][0];
    out[1] = us_dim_or_unknown(in[0][1], us_conv_transpose_out_size(in[0][1], c->kernel_h,
                                                                    c->stride_h, same));
    out[2] = us_dim_or_unknown(in[0][2], us_conv_transpose_out_size(in[0][2], c->kernel_w,
                                                                    c->stride_w, same));
    out[3] = c->filters;
    return UNETSEG_OK;
}

static int32_t forward(const us_layer *l, const us_exec_ctx *ctx, const float *const *in,
                       const int64_t (*is)[4], int32_t n_in, float *out, const int64_t os[4],
                       float *aux) {
    US_UNUSED(ctx), US_UNUSED(n_in), US_UNUSED(aux);
    us_conv_geom g;
    us_layer_conv_geom(l, is[0], os, &g);
    const float *kernel = us_layer_param(l, "kernel"), *bias = us_layer_param(l, "bias");
    if (l->kind == UNETSEG_LAYER_CONV2D_TRANSPOSE)
        return us_conv2d_transpose_forward(&g, in[0], kernel, bias, out);
    return us_conv2d_forward(&g, in[0], kernel, bias, NULL, out);
}

static int32_t backward(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a) {
    US_UNUSED(ctx);
    us_conv_geom g;
    us_layer_conv_geom(l, a->in_shape[0], a->out_shape, &g);
    const float *kernel = us_layer_param(l, "kernel");
    float *dk = us_kind_param_grad(l, a, "kernel"), *db = us_kind_param_grad(l, a, "bias");
    if (l->kind == UNETSEG_LAYER_CONV2D_TRANSPOSE)
        return us_conv2d_transpose_backward(&g, a->in[0], kernel, a->dy, a->dx[0], dk, db);
    return us_conv2d_backward(&g, a->in[0], kernel, a->dy, a->dx[0], dk, db);
}

const us_layer_kind us_kind_conv2d = {
    .keras_class = "Conv2D",
    .lower_name = "conv2d",
    .min_in = 1,
    .max_in = 1,
    .fields = US_FIELDS(FIELDS),
    .check = check,
    .params = params,
    .infer = infer,
    .forward = forward,
    .backward = backward,
};

const us_layer_kind us_kind_conv2d_transpose = {
    .keras_class = "Conv2DTranspose",
    .lower_name = "conv2dtranspose",
    .min_in = 1,
    .max_in = 1,
    .fields = US_FIELDS(FIELDS),
    .check = check,
    .params = params_transpose,
    .infer = infer_transpose,
    .forward = forward,
    .backward = backward,
};
